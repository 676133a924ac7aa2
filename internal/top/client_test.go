package top

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
)

func client(t *testing.T, url string) *Client {
	t.Helper()
	e, err := ParseEndpoint(url)
	if err != nil {
		t.Fatal(err)
	}
	return &Client{Endpoint: e}
}

func TestClientDecodesTheSnapshot(t *testing.T) {
	var gotPath, gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotQuery = r.URL.Path, r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(fixture())
	}))
	defer srv.Close()
	s, err := client(t, srv.URL+"/").Snapshot(context.Background(), "123456789012", "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if gotPath != SnapshotPath || gotQuery != "account=123456789012&region=us-east-1" {
		t.Errorf("asked %s?%s", gotPath, gotQuery)
	}
	want := fixture()
	if len(s.Functions) != 4 || s.Functions[1].Name != "bravo" || *s.Functions[1].Reserved != 10 || s.Functions[2].Reserved == nil ||
		s.Functions[0].Reserved != nil || *s.Functions[1].P99DurationMs != 12.5 || s.Functions[2].P99DurationMs != nil ||
		s.Functions[1].Provisioned[1] != want.Functions[1].Provisioned[1] || s.Pool != want.Pool || !s.Time.Equal(want.Time) ||
		len(s.Accounts) != 2 || s.Functions[1].Sparklines.Inflight[14] != 5 {
		t.Errorf("decoded %+v", s)
	}
	// Without an account and region, none is sent.
	if _, err := client(t, srv.URL).Snapshot(context.Background(), "", ""); err != nil || gotQuery != "" {
		t.Errorf("no account: %v, query %q", err, gotQuery)
	}
}

func TestClientErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		api     bool   // an *APIError with this status
		message string // in the error
	}{
		{"bad account", 400, `{"message":"account must be 12 digits"}`, true, "account must be 12 digits"},
		{"other account", 403, `{"message":"not your account"}`, true, "not your account"},
		{"AWS error", 403, `{"Message":"The security token included in the request is invalid."}`, true, "security token"},
		{"no API", 404, `not found`, true, "no snapshot API"},
		{"server error", 500, ``, true, "500"},
		{"not JSON", 200, `<html>`, false, "not what top reads"},
		{"wrong shape", 200, `{"functions":{}}`, false, "not what top reads"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			_, err := client(t, srv.URL).Snapshot(context.Background(), "123456789012", "us-east-1")
			var api *APIError
			if err == nil || errors.As(err, &api) != tc.api || (tc.api && api.Status != tc.status) || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("error %v (api %v)", err, api)
			}
		})
	}
}

func TestClientUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := client(t, url).Snapshot(context.Background(), "", "")
	var u *UnreachableError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "cannot reach "+url) {
		t.Errorf("error %v", err)
	}
}

// TestClientSigns: with credentials, the request carries a SigV4 signature
// for lambda in the region that the server's own verifier accepts; without,
// none.
func TestClientSigns(t *testing.T) {
	if sum := sha256.Sum256(nil); hex.EncodeToString(sum[:]) != emptyPayloadHash {
		t.Fatalf("emptyPayloadHash is not the SHA-256 of nothing")
	}
	creds := awsproto.Credentials{"123456789012": "secret"}
	var verified, signed bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		signed = r.Header.Get("Authorization") != ""
		verified = awsproto.VerifySigV4(r, creds, time.Now(), "lambda") && strings.Contains(r.Header.Get("Authorization"), "/eu-west-1/lambda/aws4_request")
		_ = json.NewEncoder(w).Encode(fixture())
	}))
	defer srv.Close()
	c := client(t, srv.URL)
	if _, err := c.Snapshot(context.Background(), "", ""); err != nil || signed {
		t.Errorf("without credentials: %v, signed %v", err, signed)
	}
	c.Credentials = credentials.NewStaticCredentialsProvider("123456789012", "secret", "")
	c.SigningRegion = "eu-west-1"
	if _, err := c.Snapshot(context.Background(), "123456789012", "eu-west-1"); err != nil || !verified {
		t.Errorf("signed: %v, verified %v", err, verified)
	}
	c.Credentials = credentials.NewStaticCredentialsProvider("123456789012", "wrong", "")
	if _, err := c.Snapshot(context.Background(), "123456789012", "eu-west-1"); err != nil || verified || !signed {
		t.Errorf("a wrong secret verified: %v %v", err, verified)
	}
}

func TestParseEndpoint(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:9001", "https://reservoir.test/", "http://h/prefix"} {
		if _, err := ParseEndpoint(ok); err != nil {
			t.Errorf("ParseEndpoint(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:9001", "ftp://h", "http://", "http://h/?a=b", "http://u:p@h", "http://h/#x", "::"} {
		if _, err := ParseEndpoint(bad); err == nil {
			t.Errorf("ParseEndpoint(%q) accepted", bad)
		}
	}
}

// TestClientTimeout: a server that accepts and never answers is an
// unreachable endpoint once the HTTP client's timeout passes.
func TestClientTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	c := client(t, srv.URL)
	c.HTTP = &http.Client{Timeout: 100 * time.Millisecond}
	_, err := c.Snapshot(context.Background(), "", "")
	var u *UnreachableError
	var ne net.Error
	if !errors.As(err, &u) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("error %v", err)
	}
}
