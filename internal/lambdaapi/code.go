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
	noSuchKey := &awsproto.S3Error{Status: http.StatusNotFound, Code: "NoSuchKey", Message: "The specified key does not exist.",
		Fields: [][2]string{{"Key", strings.Join([]string{account, region, name, version}, "/")}}}
	b, err := a.svc.Code(r.Context(), lambda.Scope{Account: account, Region: region}, name, version)
	var de *lambda.Error
	if errors.As(err, &de) && de.Kind == lambda.KindResourceNotFound {
		return noSuchKey
	}
	if err != nil {
		return err
	}
	// Hashing what is served (not comparing the version's current digest)
	// leaves no window in which a concurrent update could slip in.
	sum := sha256.Sum256(b)
	if base64.StdEncoding.EncodeToString(sum[:]) != params.Get(codeURLSha) {
		return noSuchKey
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
	return nil
}
