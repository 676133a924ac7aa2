package awsproto_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
)

func s3Code(t *testing.T, err error) (int, string) {
	t.Helper()
	var e *awsproto.S3Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is no *awsproto.S3Error", err)
	}
	return e.Status, e.Code
}

// TestPresignerRoundTripAndRefusals: Verify accepts exactly what Presign
// issued, for its lifetime, and gives back the bound parameters; anything
// else gets S3's answer for it.
func TestPresignerRoundTripAndRefusals(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 15, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	key := bytes.Repeat([]byte{1}, awsproto.MinPresignKey)
	p, err := awsproto.NewPresigner(key, 10*time.Minute, clock)
	if err != nil {
		t.Fatal(err)
	}
	const path = "/_reservoir/code/a/b/c/$LATEST"
	q := p.Presign(path, url.Values{"CodeSha256": {"ab+/="}})
	if !strings.HasPrefix(q, "CodeSha256=ab%2B%2F%3D&X-Amz-Date=20261205T101500Z&X-Amz-Expires=600&X-Amz-Signature=") {
		t.Fatalf("presigned query %q", q)
	}
	params, err := p.Verify(path, q)
	if err != nil || len(params) != 1 || params.Get("CodeSha256") != "ab+/=" {
		t.Fatalf("Verify of an issued query: %v %v", params, err)
	}

	other, _ := awsproto.NewPresigner(bytes.Repeat([]byte{2}, awsproto.MinPresignKey), 10*time.Minute, clock)
	sig := q[strings.LastIndex(q, "=")+1:]
	for _, tc := range []struct {
		name, path, query string
		p                 *awsproto.Presigner
		status            int
		code              string
	}{
		{"no query", path, "", p, 403, "AccessDenied"},
		{"no signature", path, strings.Split(q, "&X-Amz-Signature")[0], p, 403, "AccessDenied"},
		{"bad query encoding", path, q + "&%zz", p, 403, "AccessDenied"},
		{"another key", path, q, other, 403, "SignatureDoesNotMatch"},
		{"another path", "/_reservoir/code/a/b/c/1", q, p, 403, "SignatureDoesNotMatch"},
		{"bound value changed", path, strings.Replace(q, "ab%2B", "ac%2B", 1), p, 403, "SignatureDoesNotMatch"},
		{"date changed", path, strings.Replace(q, "T101500Z", "T101501Z", 1), p, 403, "SignatureDoesNotMatch"},
		{"signature truncated", path, strings.TrimSuffix(q, sig) + sig[:10], p, 403, "SignatureDoesNotMatch"},
		{"signature not hex", path, strings.TrimSuffix(q, sig) + "zz", p, 403, "SignatureDoesNotMatch"},
		{"parameter added", path, q + "&a=b", p, 403, "SignatureDoesNotMatch"},
		{"parameter repeated", path, "CodeSha256=x&" + q, p, 403, "SignatureDoesNotMatch"},
		{"date malformed", path, strings.Replace(q, "20261205T101500Z", "2026-12-05", 1), p, 400, "AuthorizationQueryParametersError"},
		{"expires not a number", path, strings.Replace(q, "Expires=600", "Expires=ten", 1), p, 400, "AuthorizationQueryParametersError"},
		{"expires negative", path, strings.Replace(q, "Expires=600", "Expires=-1", 1), p, 400, "AuthorizationQueryParametersError"},
		{"expires over a week", path, strings.Replace(q, "Expires=600", "Expires=604801", 1), p, 400, "AuthorizationQueryParametersError"},
	} {
		_, err := tc.p.Verify(tc.path, tc.query)
		if status, code := s3Code(t, err); status != tc.status || code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, status, code, tc.status, tc.code)
		}
	}

	// Valid until the lifetime has passed, from then on 403 AccessDenied.
	now = now.Add(10*time.Minute - time.Nanosecond)
	if _, err := p.Verify(path, q); err != nil {
		t.Fatalf("just before expiry: %v", err)
	}
	now = now.Add(time.Nanosecond)
	if status, code := s3Code(t, errOf(p.Verify(path, q))); status != 403 || code != "AccessDenied" {
		t.Fatalf("at expiry: %d %s, want 403 AccessDenied", status, code)
	}
}

func errOf(_ url.Values, err error) error { return err }

func TestNewPresignerRefusesShortKeys(t *testing.T) {
	if _, err := awsproto.NewPresigner(make([]byte, awsproto.MinPresignKey-1), time.Minute, nil); err == nil {
		t.Fatal("a 31-byte key was accepted")
	}
	if _, err := awsproto.NewPresigner(make([]byte, awsproto.MinPresignKey), 0, nil); err == nil {
		t.Fatal("a zero lifetime was accepted")
	}
}

// TestWriteS3Error: S3's XML error shape, with extra elements escaped.
func TestWriteS3Error(t *testing.T) {
	rec := httptest.NewRecorder()
	awsproto.WriteS3Error(rec, httptest.NewRequest(http.MethodGet, "/", nil), &awsproto.S3Error{
		Status: 403, Code: "AccessDenied", Message: "Request has expired", Fields: [][2]string{{"Key", "a<b"}}})
	body := rec.Body.String()
	if rec.Code != 403 || rec.Header().Get("Content-Type") != "application/xml" ||
		!strings.Contains(body, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message><Key>a&lt;b</Key><RequestId>") {
		t.Fatalf("%d %s %s", rec.Code, rec.Header().Get("Content-Type"), body)
	}
}
