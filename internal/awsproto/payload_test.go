package awsproto_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go/middleware"
)

// tamper rewrites request bodies after the SDK signed them, keeping every
// header (X-Amz-Content-Sha256 and Content-Length included), as a party in
// the middle would. It records the X-Amz-Content-Sha256 each request had.
type tamper struct {
	from, to string // same length

	mu     sync.Mutex
	hashes []string
}

func (tr *tamper) RoundTrip(r *http.Request) (*http.Response, error) {
	tr.mu.Lock()
	tr.hashes = append(tr.hashes, r.Header.Get("X-Amz-Content-Sha256"))
	tr.mu.Unlock()
	if r.Body != nil && tr.from != "" {
		b, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			return nil, err
		}
		b = bytes.Replace(b, []byte(tr.from), []byte(tr.to), 1)
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (tr *tamper) last() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.hashes[len(tr.hashes)-1]
}

// sendContentSha256 makes the SDK send X-Amz-Content-Sha256 (as it does for
// S3 only): the body's SHA-256, or UNSIGNED-PAYLOAD.
func sendContentSha256(unsigned bool) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		if unsigned {
			if err := v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware(st); err != nil {
				return err
			}
		}
		return v4.AddContentSHA256HeaderMiddleware(st)
	}
}

func tinyZip(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("handler.py")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("def handler(e, c):\n    return e\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSigV4ChecksContentSha256: under sigv4, a body altered after signing
// is refused (403 InvalidSignatureException / SignatureDoesNotMatch) even
// though the X-Amz-Content-Sha256 the signature covers came with it, and
// the write does not land; honest requests with the header, and
// UNSIGNED-PAYLOAD ones, are accepted.
func TestSigV4ChecksContentSha256(t *testing.T) {
	ctx := context.Background()
	srv := startSigned(t)
	client := func(tr *tamper, unsigned bool) *lambda.Client {
		cfg := cfgWith(srv, goodKey, goodSecret)
		cfg.HTTPClient = &http.Client{Transport: tr, Timeout: 30 * time.Second}
		return lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.APIOptions = append(o.APIOptions, sendContentSha256(unsigned)) })
	}
	honestTr := &tamper{}
	honest := client(honestTr, false)
	if _, err := honest.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("fn"), Runtime: types.RuntimePython312, Handler: aws.String("handler.handler"),
		Role: aws.String("arn:aws:iam::111111111111:role/r"), Code: &types.FunctionCode{ZipFile: tinyZip(t)},
	}); err != nil {
		t.Fatalf("honest CreateFunction with X-Amz-Content-Sha256: %v", err)
	}
	put := func(c *lambda.Client, n int32) error {
		_, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("fn"), ReservedConcurrentExecutions: aws.Int32(n)})
		return err
	}
	reserved := func() int32 {
		out, err := honest.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("fn")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToInt32(out.ReservedConcurrentExecutions)
	}
	if err := put(honest, 5); err != nil {
		t.Fatalf("honest PutFunctionConcurrency: %v", err)
	}
	if h := honestTr.last(); len(h) != 64 {
		t.Fatalf("the SDK sent X-Amz-Content-Sha256 %q, want a hex SHA-256", h)
	}

	evil := client(&tamper{from: ":5}", to: ":7}"}, false)
	if err := put(evil, 5); apiCode(err) != "InvalidSignatureException" {
		t.Fatalf("body altered after signing: %v, want InvalidSignatureException", err)
	}
	if n := reserved(); n != 5 {
		t.Fatalf("reservation %d after the altered request, want 5", n)
	}

	// UNSIGNED-PAYLOAD stays accepted, as on AWS.
	unsignedTr := &tamper{}
	if err := put(client(unsignedTr, true), 6); err != nil || unsignedTr.last() != "UNSIGNED-PAYLOAD" || reserved() != 6 {
		t.Fatalf("UNSIGNED-PAYLOAD (header %q): %v", unsignedTr.last(), err)
	}

	// The query protocol (IAM) refuses it too, in its own words.
	iamClient := func(tr *tamper) *iam.Client {
		cfg := cfgWith(srv, goodKey, goodSecret)
		cfg.HTTPClient = &http.Client{Transport: tr, Timeout: 30 * time.Second}
		return iam.NewFromConfig(cfg, func(o *iam.Options) { o.APIOptions = append(o.APIOptions, sendContentSha256(false)) })
	}
	_, err := iamClient(&tamper{from: "RoleName=aaa", to: "RoleName=bbb"}).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("aaa"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})
	if apiCode(err) != "SignatureDoesNotMatch" {
		t.Fatalf("IAM body altered after signing: %v, want SignatureDoesNotMatch", err)
	}
	for _, name := range []string{"aaa", "bbb"} {
		if _, err := iamClient(&tamper{}).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)}); apiCode(err) != "NoSuchEntity" {
			t.Fatalf("role %s after the altered CreateRole: %v, want NoSuchEntity", name, err)
		}
	}
}

// TestSigV4ContentSha256Values: what a correctly signed request may carry
// as X-Amz-Content-Sha256.
func TestSigV4ContentSha256Values(t *testing.T) {
	srv := startSigned(t)
	hexOf := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	for _, tc := range []struct {
		name, header string
		ok           bool
	}{
		{"absent", "", true},
		{"the body's hash", hexOf(""), true},
		{"the body's hash in capitals", strings.ToUpper(hexOf("")), true},
		{"UNSIGNED-PAYLOAD", "UNSIGNED-PAYLOAD", true},
		{"another body's hash", hexOf("x"), false},
		{"a short hash", hexOf("")[:62], false},
		{"chunked upload", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", false},
		{"not a hash", "whatever", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/2016-08-19/account-settings", nil)
			if err != nil {
				t.Fatal(err)
			}
			payload := tc.header
			if payload == "" {
				payload = hexOf("")
			} else {
				req.Header.Set("X-Amz-Content-Sha256", tc.header)
			}
			creds := aws.Credentials{AccessKeyID: goodKey, SecretAccessKey: goodSecret}
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payload, "lambda", "us-west-2", time.Now()); err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if tc.ok && resp.StatusCode != 200 {
				t.Fatalf("X-Amz-Content-Sha256 %q refused: %d %s", tc.header, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
			}
			if !tc.ok && (resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "InvalidSignatureException") {
				t.Fatalf("X-Amz-Content-Sha256 %q: %d %s, want 403 InvalidSignatureException", tc.header, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
			}
		})
	}
}
