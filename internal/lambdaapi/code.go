package lambdaapi

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// CodeURLTTL is how long a Code.Location URL serves the package, as on AWS.
const CodeURLTTL = 10 * time.Minute

// codeURLSha is the query parameter binding a code URL to the package it was
// issued for (the CodeSha256 GetFunction reported).
const codeURLSha = "CodeSha256"

// codeURLs issues GetFunction's Code.Location and checks it on download: a
// presigned URL (see awsproto.Presigner) over the function's account,
// region, name and version and the package's CodeSha256, valid CodeURLTTL.
type codeURLs struct {
	base   string // scheme://host[/prefix], never from a request
	signer *awsproto.Presigner
}

// codePath is the escaped path of a version's package; the signature covers
// it, so a URL serves only the version it names.
func codePath(account, region, name, version string) string {
	return "/_reservoir/code/" + url.PathEscape(account) + "/" + url.PathEscape(region) + "/" +
		url.PathEscape(name) + "/" + url.PathEscape(version)
}

func (c *codeURLs) location(fn *lambda.Function, cfg lambda.Config) string {
	path := codePath(fn.Scope.Account, fn.Scope.Region, fn.Name, cfg.Version)
	return c.base + path + "?" + c.signer.Presign(path, url.Values{codeURLSha: {cfg.CodeSha256}})
}

// downloadCode serves a Code.Location URL. The route is exempt from SigV4
// header auth in every mode: the URL's own signature is its authorization,
// checked before anything is looked up (refusals are awsproto.Presigner's
// S3 answers). A genuine URL whose version is gone, or whose version now has
// other code than the URL was issued for (an UpdateFunctionCode on $LATEST
// since), answers 404 NoSuchKey "The specified key does not exist.", as S3
// does for a deleted object: it never serves code the URL was not issued for.
func (a *API) downloadCode(w http.ResponseWriter, r *http.Request, _ awsproto.Caller) error {
	account, region, name, version := r.PathValue("Account"), r.PathValue("Region"), r.PathValue("FunctionName"), r.PathValue("Version")
	params, err := a.code.signer.Verify(codePath(account, region, name, version), r.URL.RawQuery)
	if err != nil {
		return err
	}
	b, err := a.svc.Code(r.Context(), lambda.Scope{Account: account, Region: region}, name, version)
	return serveZip(w, b, err, params.Get(codeURLSha), account, region, name, version)
}

// serveZip answers a code download whose URL was verified: zip, with the
// error of reading it, must still be the package the URL's sha (base64 of
// its SHA-256) was issued for, or the answer is S3's NoSuchKey for the key
// made of the parts, as S3 answers for a deleted object. Hashing what is
// served (not comparing the current digest) leaves no window in which a
// concurrent update could slip in.
func serveZip(w http.ResponseWriter, zip []byte, readErr error, sha string, key ...string) error {
	noSuchKey := &awsproto.S3Error{Status: http.StatusNotFound, Code: "NoSuchKey", Message: "The specified key does not exist.",
		Fields: [][2]string{{"Key", strings.Join(key, "/")}}}
	var de *lambda.Error
	if errors.As(readErr, &de) && de.Kind == lambda.KindResourceNotFound {
		return noSuchKey
	}
	if readErr != nil {
		return readErr
	}
	sum := sha256.Sum256(zip)
	if base64.StdEncoding.EncodeToString(sum[:]) != sha {
		return noSuchKey
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Length", strconv.Itoa(len(zip)))
	_, _ = w.Write(zip)
	return nil
}
