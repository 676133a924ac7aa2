package awsproto

import (
	"net/http"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// VerifySigV4 reports whether r carries a SigV4 signature for service that
// verifies against creds at now, by the same rules RequireSigV4 applies to
// the API (function URLs of AuthType AWS_IAM check their calls with it). It
// reads the body to hash it and puts it back.
func VerifySigV4(r *http.Request, creds Credentials, now time.Time, service string) bool {
	a, ok := parseAuthHeader(r.Header.Get("Authorization"))
	if !ok || a.service != service {
		return false
	}
	_, ok = verify(r, creds, now, v4.NewSigner())
	return ok
}
