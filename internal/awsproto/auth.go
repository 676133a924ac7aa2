package awsproto

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Credentials maps access key IDs to secret keys for signature checking.
type Credentials map[string]string

// ParseCredentials reads "AKID:SECRET[,AKID:SECRET...]".
func ParseCredentials(s string) (Credentials, error) {
	out := Credentials{}
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		akid, secret, ok := strings.Cut(pair, ":")
		if !ok || akid == "" || secret == "" {
			return nil, fmt.Errorf("credentials must be AKID:SECRET pairs separated by commas, got %q", pair)
		}
		out[akid] = secret
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no credentials given")
	}
	return out, nil
}

// maxSkew is how far a request's X-Amz-Date may be from the server's clock.
const maxSkew = 15 * time.Minute

// maxSignedBody caps how much of a body is read to hash it.
const maxSignedBody = 80 << 20

// authFailure is why a request's signature was refused.
type authFailure struct {
	status    int
	jsonCode  string // the Lambda (REST-JSON) error type
	queryCode string // the IAM/STS (query) error code
	message   string
}

var (
	errMissingAuth = authFailure{403, "MissingAuthenticationTokenException", "MissingAuthenticationToken", "Missing Authentication Token"}
	errUnknownKey  = authFailure{403, "UnrecognizedClientException", "InvalidClientTokenId", "The security token included in the request is invalid."}
	errBadSig      = authFailure{403, "InvalidSignatureException", "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
)

func errExpired(signed, now time.Time) authFailure {
	return authFailure{403, "InvalidSignatureException", "SignatureDoesNotMatch",
		fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			signed.UTC().Format("20060102T150405Z"), now.Add(-maxSkew).UTC().Format("20060102T150405Z"), now.UTC().Format("20060102T150405Z"))}
}

// RequireSigV4 refuses requests whose SigV4 signature does not verify
// against creds, answering as AWS does. Signatures are recomputed with the
// AWS SDK's signer over the headers the client signed. paths for which
// exempt returns true (health, metrics, code downloads) pass unchecked.
func RequireSigV4(creds Credentials, now func() time.Time, exempt func(*http.Request) bool, next http.Handler) http.Handler {
	signer := v4.NewSigner()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if exempt(r) {
			next.ServeHTTP(w, r)
			return
		}
		if f, ok := verify(r, creds, now(), signer); !ok {
			Logger(r.Context()).Debug("signature refused", "code", f.jsonCode)
			writeAuthFailure(w, r, f)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type authHeader struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

// parseAuthHeader parses "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/
// SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex" strictly: each of
// the three parts exactly once and nothing else, so that the scope a request
// is verified with is the only scope it can act in.
func parseAuthHeader(h string) (authHeader, bool) {
	const prefix = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(h, prefix) {
		return authHeader{}, false
	}
	var a authHeader
	seen := map[string]bool{}
	for _, part := range strings.Split(h[len(prefix):], ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || seen[k] {
			return authHeader{}, false
		}
		seen[k] = true
		switch k {
		case "Credential":
			scope := strings.Split(v, "/")
			if len(scope) != 5 || scope[4] != "aws4_request" || scope[0] == "" || scope[2] == "" {
				return authHeader{}, false
			}
			a.accessKey, a.date, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		default:
			return authHeader{}, false
		}
	}
	return a, a.accessKey != "" && a.signature != "" && len(a.signedHeaders) > 0
}

func verify(r *http.Request, creds Credentials, now time.Time, signer *v4.Signer) (authFailure, bool) {
	auth, ok := parseAuthHeader(r.Header.Get("Authorization"))
	if !ok {
		return errMissingAuth, false
	}
	secret, known := creds[auth.accessKey]
	if !known {
		return errUnknownKey, false
	}
	signedAt, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return errBadSig, false
	}
	if d := now.Sub(signedAt); d > maxSkew || d < -maxSkew {
		return errExpired(signedAt, now), false
	}

	payloadHash, f, ok := checkPayload(r)
	if !ok {
		return f, false
	}

	// Rebuild the request with exactly the headers the client signed.
	check, err := http.NewRequestWithContext(context.Background(), r.Method, r.URL.String(), nil)
	if err != nil {
		return errBadSig, false
	}
	check.URL.Host = r.Host
	check.Host = r.Host
	for _, h := range auth.signedHeaders {
		switch h {
		case "host":
		case "content-length":
			check.ContentLength = r.ContentLength
		default:
			check.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	awsCreds := aws.Credentials{AccessKeyID: auth.accessKey, SecretAccessKey: secret, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := signer.SignHTTP(context.Background(), awsCreds, check, payloadHash, auth.service, auth.region, signedAt); err != nil {
		return errBadSig, false
	}
	want, ok := parseAuthHeader(check.Header.Get("Authorization"))
	if !ok || subtle.ConstantTimeCompare([]byte(want.signature), []byte(auth.signature)) != 1 {
		return errBadSig, false
	}
	return authFailure{}, true
}

// unsignedPayload is the X-Amz-Content-Sha256 of a request whose body the
// signature does not cover. It stays accepted, as AWS accepts it: SDKs send it
// (for streamed or presigned bodies), and the signature still covers the
// method, path, query and signed headers.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// checkPayload returns the payload hash the signature is to be checked with.
// Without X-Amz-Content-Sha256 the client signed the body's SHA-256, so that
// is computed; with a hex SHA-256 there, the body is hashed all the same and
// must match it, or a body swapped after signing would pass. Either way the
// body (read up to maxSignedBody, once) is restored for the handler. Any
// other value is refused: Lambda, IAM and STS take no chunked (STREAMING-*)
// uploads.
func checkPayload(r *http.Request) (string, authFailure, bool) {
	claimed := r.Header.Get("X-Amz-Content-Sha256")
	if claimed == unsignedPayload {
		return claimed, authFailure{}, true
	}
	var want []byte
	if claimed != "" {
		b, err := hex.DecodeString(claimed)
		if err != nil || len(b) != sha256.Size {
			return "", errBadSig, false
		}
		want = b
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSignedBody))
	if err != nil {
		return "", errBadSig, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(body)
	if claimed == "" {
		return hex.EncodeToString(sum[:]), authFailure{}, true
	}
	if subtle.ConstantTimeCompare(sum[:], want) != 1 {
		return "", errBadSig, false
	}
	return claimed, authFailure{}, true
}

// writeAuthFailure answers in the protocol of the service called, as the
// router found it; without a router, XML for the query protocol (IAM, STS:
// POST / or GET /?Action=), REST-JSON otherwise.
func writeAuthFailure(w http.ResponseWriter, r *http.Request, f authFailure) {
	p := requestProtocol(r.Context())
	if p == 0 {
		p = RESTJSON
		if r.URL.Path == "/" {
			p = Query
		}
	}
	writeFault(w, r, p, fault{status: f.status, code: f.jsonCode, queryCode: f.queryCode, message: f.message})
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}
