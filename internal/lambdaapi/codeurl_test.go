package lambdaapi_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

const (
	urlAccount  = "123456789012"
	urlAccount2 = "210987654321"
)

// authModes runs f against a server in each auth mode: code URLs are signed
// and checked the same way in both.
func authModes(t *testing.T, o reservoirtest.Options, f func(t *testing.T, srv *reservoirtest.Server)) {
	for _, mode := range []string{"none", "sigv4"} {
		t.Run(mode, func(t *testing.T) {
			o := o
			o.Executor = "simulate"
			if mode == "sigv4" {
				o.Credentials = map[string]string{urlAccount: "secret", urlAccount2: "secret"}
			}
			f(t, reservoirtest.StartWith(t, o))
		})
	}
}

// createWithZip creates a function named name holding one file with content
// and returns its package.
func createWithZip(t *testing.T, c *lambda.Client, name, content string, publish bool) []byte {
	t.Helper()
	zip := zipOf(t, map[string]string{"handler.py": content})
	if _, err := c.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.RuntimePython312, Handler: aws.String("handler.handler"),
		Role: aws.String(callerRole(t, c)), Code: &types.FunctionCode{ZipFile: zip}, Publish: publish,
	}); err != nil {
		t.Fatalf("CreateFunction %s: %v", name, err)
	}
	return zip
}

func codeLocation(t *testing.T, c *lambda.Client, name string, optFns ...func(*lambda.Options)) string {
	t.Helper()
	fn, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}, optFns...)
	if err != nil {
		t.Fatalf("GetFunction %s: %v", name, err)
	}
	if fn.Code == nil || aws.ToString(fn.Code.Location) == "" {
		t.Fatalf("GetFunction %s: no Code.Location", name)
	}
	return aws.ToString(fn.Code.Location)
}

type s3Error struct {
	Code    string
	Message string
}

type fetched struct {
	status int
	body   []byte
	err    s3Error // parsed when the answer is an error
}

// fetch GETs u with a plain HTTP client, no credentials.
func fetch(t *testing.T, u string) fetched {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	f := fetched{status: resp.StatusCode, body: body}
	if f.status >= 400 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/xml" {
			t.Errorf("GET %s: %d with Content-Type %q, want S3's application/xml", u, f.status, ct)
		}
		if err := xml.Unmarshal(body, &f.err); err != nil || f.err.Code == "" || f.err.Message == "" {
			t.Errorf("GET %s: %d body is no S3 error (%v): %q", u, f.status, err, body)
		}
	}
	return f
}

func mustServe(t *testing.T, u string, want []byte) {
	t.Helper()
	if f := fetch(t, u); f.status != 200 || !bytes.Equal(f.body, want) {
		t.Fatalf("GET %s: %d, %d bytes (%q), want 200 and the %d-byte package", u, f.status, len(f.body), f.body, len(want))
	}
}

func mustRefuse(t *testing.T, u string, status int, code string) {
	t.Helper()
	f := fetch(t, u)
	if f.status != status || f.err.Code != code {
		t.Fatalf("GET %s: %d %s, want %d %s", u, f.status, f.err.Code, status, code)
	}
}

// TestCodeLocationIsPresigned: GetFunction's Code.Location serves exactly the
// package to a plain HTTP GET, and nothing once any part of it is changed:
// the query dropped, the signature, the function, account or version in the
// path, or a parameter added or altered (403, S3's answers). In both auth
// modes; under sigv4 the download itself needs no credentials.
func TestCodeLocationIsPresigned(t *testing.T) {
	authModes(t, reservoirtest.Options{}, func(t *testing.T, srv *reservoirtest.Server) {
		c := lambda.NewFromConfig(srv.AWSConfigFor(urlAccount, "us-east-1"))
		c2 := lambda.NewFromConfig(srv.AWSConfigFor(urlAccount2, "us-east-1"))
		zip := createWithZip(t, c, "pkg", "# pkg\n", true)
		createWithZip(t, c, "other", "# other\n", false)
		createWithZip(t, c2, "pkg", "# pkg in another account\n", false)

		loc := codeLocation(t, c, "pkg")
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		// S3's presigned URL naming; the signature is the last parameter.
		q := u.Query()
		if q.Get("X-Amz-Expires") != "600" || q.Get("X-Amz-Date") == "" ||
			!strings.Contains(u.RawQuery, "&X-Amz-Signature=") || strings.Contains(u.RawQuery[strings.Index(u.RawQuery, "&X-Amz-Signature=")+1:], "&") {
			t.Fatalf("Code.Location query %q: want X-Amz-Date, X-Amz-Expires=600, and X-Amz-Signature last", u.RawQuery)
		}
		mustServe(t, loc, zip)
		mustServe(t, loc, zip) // as often as wanted while valid

		sig := q.Get("X-Amz-Signature")
		flipped := sig[:len(sig)-1] + "0"
		if flipped == sig {
			flipped = sig[:len(sig)-1] + "1"
		}
		other := func(part, with string) string {
			return strings.Replace(loc, "/"+part+"/", "/"+with+"/", 1)
		}
		for _, tc := range []struct {
			name, url, code string
		}{
			{"no query", strings.SplitN(loc, "?", 2)[0], "AccessDenied"},
			{"no signature", strings.SplitN(loc, "&X-Amz-Signature=", 2)[0], "AccessDenied"},
			{"signature changed", strings.Replace(loc, sig, flipped, 1), "SignatureDoesNotMatch"},
			{"signature emptied", strings.Replace(loc, sig, "", 1), "SignatureDoesNotMatch"},
			{"another function", strings.Replace(loc, "/pkg/", "/other/", 1), "SignatureDoesNotMatch"},
			{"another account", other(urlAccount, urlAccount2), "SignatureDoesNotMatch"},
			{"another region", other("us-east-1", "us-west-2"), "SignatureDoesNotMatch"},
			{"another version", strings.Replace(loc, "/$LATEST?", "/1?", 1), "SignatureDoesNotMatch"},
			{"longer lifetime", strings.Replace(loc, "X-Amz-Expires=600", "X-Amz-Expires=6000", 1), "SignatureDoesNotMatch"},
			{"parameter added", loc + "&x=1", "SignatureDoesNotMatch"},
			{"parameter repeated", loc + "&X-Amz-Expires=600", "SignatureDoesNotMatch"},
		} {
			if tc.url == loc {
				t.Fatalf("%s: the URL did not change: %s", tc.name, loc)
			}
			mustRefuse(t, tc.url, http.StatusForbidden, tc.code)
		}
	})
}

// TestCodeLocationExpires: a URL serves for 10 minutes from its issue and is
// refused (403 AccessDenied) from then on; the clock is the server's.
func TestCodeLocationExpires(t *testing.T) {
	start := time.Date(2026, 12, 5, 10, 15, 0, 0, time.UTC)
	var offset atomic.Int64
	clock := func() time.Time { return start.Add(time.Duration(offset.Load())) }
	authModes(t, reservoirtest.Options{CodeURLClock: clock}, func(t *testing.T, srv *reservoirtest.Server) {
		offset.Store(0)
		c := lambda.NewFromConfig(srv.AWSConfig(t))
		zip := createWithZip(t, c, "exp", "# exp\n", false)
		loc := codeLocation(t, c, "exp")
		if !strings.Contains(loc, "X-Amz-Date=20261205T101500Z") {
			t.Fatalf("Code.Location %s was not issued at the server's clock", loc)
		}
		offset.Store(int64(10*time.Minute - time.Second))
		mustServe(t, loc, zip)
		offset.Store(int64(10 * time.Minute))
		mustRefuse(t, loc, http.StatusForbidden, "AccessDenied")
		offset.Store(int64(24 * time.Hour))
		mustRefuse(t, loc, http.StatusForbidden, "AccessDenied")
		mustServe(t, codeLocation(t, c, "exp"), zip) // a URL issued now serves
	})
}

// TestCodeLocationServesOnlyItsCode: a URL serves the package it was issued
// for or nothing: after $LATEST's code changes, a URL issued before answers
// 404 NoSuchKey (never the new code), while a published version's URL keeps
// serving; once the function is deleted, its URLs answer 404.
func TestCodeLocationServesOnlyItsCode(t *testing.T) {
	authModes(t, reservoirtest.Options{}, func(t *testing.T, srv *reservoirtest.Server) {
		ctx := context.Background()
		c := lambda.NewFromConfig(srv.AWSConfig(t))
		first := createWithZip(t, c, "chg", "# first\n", true)
		latest := codeLocation(t, c, "chg")
		v1 := codeLocation(t, c, "chg:1")
		second := zipOf(t, map[string]string{"handler.py": "# second\n"})
		if _, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("chg"), ZipFile: second}); err != nil {
			t.Fatal(err)
		}
		mustRefuse(t, latest, http.StatusNotFound, "NoSuchKey")
		mustServe(t, v1, first)
		mustServe(t, codeLocation(t, c, "chg"), second)

		if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("chg")}); err != nil {
			t.Fatal(err)
		}
		mustRefuse(t, v1, http.StatusNotFound, "NoSuchKey")
	})
}

// TestCodeLocationSurvivesRestart: the signing key is durable, so a URL
// issued before a restart on the same data dir serves after it.
func TestCodeLocationSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", DataDir: dir})
	c := lambda.NewFromConfig(srv.AWSConfig(t))
	zip := createWithZip(t, c, "keep", "# keep\n", false)
	loc := codeLocation(t, c, "keep")
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	// The new server has another port: ask it for the same path and query.
	pathAndQuery := strings.TrimPrefix(loc, srv.URL)
	again := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", DataDir: dir})
	mustServe(t, again.URL+pathAndQuery, zip)

	// A server with another data dir (another key) refuses it.
	stranger := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	createWithZip(t, lambda.NewFromConfig(stranger.AWSConfig(t)), "keep", "# keep\n", false)
	mustRefuse(t, stranger.URL+pathAndQuery, http.StatusForbidden, "SignatureDoesNotMatch")
}

// withHost sends a request with another Host header (signed as such, so
// sigv4 accepts it).
func withHost(host string) func(*lambda.Options) {
	return func(o *lambda.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Build.Add(middleware.BuildMiddlewareFunc("TestHost", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok {
					req.Host = host
				}
				return next.HandleBuild(ctx, in)
			}), middleware.After)
		})
	}
}

// TestCodeLocationIgnoresHostHeader: Code.Location points at the listen
// address (or the configured public URL) whatever Host the GetFunction
// request carried.
func TestCodeLocationIgnoresHostHeader(t *testing.T) {
	authModes(t, reservoirtest.Options{}, func(t *testing.T, srv *reservoirtest.Server) {
		c := lambda.NewFromConfig(srv.AWSConfig(t))
		zip := createWithZip(t, c, "host", "# host\n", false)
		loc := codeLocation(t, c, "host", withHost("attacker.example:666"))
		if !strings.HasPrefix(loc, srv.URL+"/") {
			t.Fatalf("Code.Location %s does not start with the listen address %s", loc, srv.URL)
		}
		mustServe(t, loc, zip)
	})
	t.Run("public URL", func(t *testing.T) {
		testPublicURLIgnoresHostHeader(t)
	})
}

func testPublicURLIgnoresHostHeader(t *testing.T) {
	authModes(t, reservoirtest.Options{PublicURL: "https://lambda.test:8443/prefix/"}, func(t *testing.T, srv *reservoirtest.Server) {
		c := lambda.NewFromConfig(srv.AWSConfig(t))
		zip := createWithZip(t, c, "host", "# host\n", false)
		loc := codeLocation(t, c, "host", withHost("attacker.example:666"))
		rest, ok := strings.CutPrefix(loc, "https://lambda.test:8443/prefix/_reservoir/code/")
		if !ok {
			t.Fatalf("Code.Location %s does not start with the public URL", loc)
		}
		// As behind a proxy that strips the prefix.
		mustServe(t, srv.URL+"/_reservoir/code/"+rest, zip)
	})
}
