package awsproto

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
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
