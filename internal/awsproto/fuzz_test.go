package awsproto

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var twelveDigits = regexp.MustCompile(`^[0-9]{12}$`)

// FuzzParseCaller: whatever the Authorization header and the presigned
// X-Amz-Credential hold, ParseCaller never panics, the account is 12 ASCII
// digits (the access key) or DefaultAccount, and the region is non-empty and
// free of the "/" that separates store keys.
func FuzzParseCaller(f *testing.F) {
	for _, s := range [][2]string{
		{"AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-west-2/lambda/aws4_request, SignedHeaders=host, Signature=0", ""},
		{"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/eu-west-1/lambda/aws4_request,SignedHeaders=host,Signature=0", ""},
		{"AWS4-HMAC-SHA256 Credential=123456789012/20260101//lambda/aws4_request", ""},
		{"AWS4-HMAC-SHA256 Credential=", ""},
		{"Credential=1/2/3/4/aws4_request Credential=123456789012/x/r/s/aws4_request", ""},
		{"", "123456789012/20260101/ap-south-1/lambda/aws4_request"},
		{"", "١٢٣٤٥٦٧٨٩٠١٢/20260101/us-east-1/lambda/aws4_request"},
		{"AWS4-HMAC-SHA256 Credential=123456789012\n/d/r/s/aws4_request", "x"},
		{"Bearer abc", "/////"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, auth, presigned string) {
		r := &http.Request{Header: http.Header{}, URL: &url.URL{Path: "/"}}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if presigned != "" {
			r.URL.RawQuery = url.Values{"X-Amz-Credential": {presigned}}.Encode()
		}
		c := ParseCaller(r)
		if c.Account != DefaultAccount && !twelveDigits.MatchString(c.Account) {
			t.Fatalf("account %q from %q / %q", c.Account, auth, presigned)
		}
		if c.Account != DefaultAccount && c.Account != c.AccessKey {
			t.Fatalf("account %q is not the access key %q", c.Account, c.AccessKey)
		}
		if c.Region == "" {
			t.Fatalf("empty region from %q / %q", auth, presigned)
		}
		for _, ch := range c.Region {
			if ch == '/' {
				t.Fatalf("region %q contains '/'", c.Region)
			}
		}
	})
}

// FuzzSigV4Caller: with signatures checked (RequireSigV4), a request that is
// let through must be attributed by ParseCaller to the access key, and the
// region, whose signature verified, whatever else its Authorization header
// carries. Otherwise the holder of one key acts in another account.
//
// Regression test for a bug this fuzz target found (fixed; seed "duplicate
// Credential before the signed one"): parseAuthHeader (auth.go) lets the last Credential= part of
// the header win and verifies the signature with it, while ParseCaller takes
// the first "Credential=" in the header. Prepending
// "Credential=222222222222/20260101/us-east-1/lambda/aws4_request, " to a
// correctly signed header of key 111111111111 passes verification, and the
// request then runs in account 222222222222 (region us-east-1).
func FuzzSigV4Caller(f *testing.F) {
	f.Add("", "")
	f.Add("Credential=222222222222/20260101/us-east-1/lambda/aws4_request, ", "") // duplicate Credential before the signed one
	f.Add("X=Credential=222222222222/20260101/eu-west-1/lambda/aws4_request, ", "")
	f.Add("", ", Credential=222222222222/20260101/us-east-1/lambda/aws4_request")
	f.Add("SignedHeaders=host, ", ", Signature=0")
	const key, secret = "111111111111", "s3cret"
	signedAt := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	signer := v4.NewSigner()
	f.Fuzz(func(t *testing.T, before, after string) {
		for _, v := range []string{before, after} {
			for i := 0; i < len(v); i++ {
				if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
					return // net/http's server refuses such a header
				}
			}
		}
		r := httptest.NewRequest(http.MethodGet, "http://localhost/2016-08-19/account-settings", nil)
		r.Header.Set("X-Amz-Date", signedAt.Format("20060102T150405Z"))
		const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
		if err := signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, r, emptySHA256, "lambda", "us-west-2", signedAt); err != nil {
			t.Fatal(err)
		}
		auth := r.Header.Get("Authorization")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 "+before+strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 ")+after)
		var got *Caller
		h := RequireSigV4(Credentials{key: secret, "333333333333": "other"}, func() time.Time { return signedAt },
			func(*http.Request) bool { return false },
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c := ParseCaller(r)
				got = &c
			}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if got == nil {
			if rec.Code != http.StatusForbidden || rec.Header().Get("X-Amzn-ErrorType") == "" {
				t.Fatalf("refused with %d %q: %s", rec.Code, rec.Header().Get("X-Amzn-ErrorType"), rec.Body)
			}
			return
		}
		if got.AccessKey != key || got.Account != key || got.Region != "us-west-2" {
			t.Fatalf("regression: signed by %s in us-west-2, but runs as access key %q, account %q, region %q\nAuthorization: %s",
				key, got.AccessKey, got.Account, got.Region, r.Header.Get("Authorization"))
		}
	})
}
