package top

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// SnapshotPath is where the server answers snapshots.
const SnapshotPath = "/_reservoir/api/snapshot"

// maxSnapshot caps what the client reads of one answer.
const maxSnapshot = 64 << 20

// emptyPayloadHash is the hex SHA-256 of an empty body, what a signed GET
// carries (TestClientSigns checks it against crypto/sha256).
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Endpoint is the base URL of a Reservoir server: http or https, a host,
// no query. Make one with ParseEndpoint.
type Endpoint struct{ u *url.URL }

// ParseEndpoint checks that s is an http(s) URL with a host.
func ParseEndpoint(s string) (Endpoint, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Endpoint{}, fmt.Errorf("not a URL: %q", s)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return Endpoint{}, fmt.Errorf("want http(s)://host[:port], got %q", s)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return Endpoint{u: u}, nil
}

func (e Endpoint) String() string {
	if e.u == nil {
		return ""
	}
	return e.u.String()
}

// Client fetches snapshots from one server.
type Client struct {
	Endpoint Endpoint
	HTTP     *http.Client // nil: http.DefaultClient
	// Credentials, when not nil, sign every request with SigV4 (service
	// lambda, SigningRegion), as the server under --auth sigv4 requires.
	Credentials   aws.CredentialsProvider
	SigningRegion string
	Now           func() time.Time // the signing time; nil: time.Now
}

// APIError is an answer other than 200 from the server.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("the server answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("the server answered %d %s: %s", e.Status, http.StatusText(e.Status), printable(e.Message))
}

// UnreachableError is a request that got no answer at all.
type UnreachableError struct {
	Endpoint string
	Err      error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach %s: %v", e.Endpoint, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Snapshot fetches the snapshot of account and region; an empty one is left
// for the server to choose.
func (c *Client) Snapshot(ctx context.Context, account, region string) (*Snapshot, error) {
	q := url.Values{}
	if account != "" {
		q.Set("account", account)
	}
	if region != "" {
		q.Set("region", region)
	}
	u := *c.Endpoint.u
	u.Path += SnapshotPath
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if c.Credentials != nil {
		creds, err := c.Credentials.Retrieve(ctx)
		if err != nil {
			return nil, fmt.Errorf("credentials: %w", err)
		}
		now := time.Now
		if c.Now != nil {
			now = c.Now
		}
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, emptyPayloadHash, "lambda", c.SigningRegion, now()); err != nil {
			return nil, fmt.Errorf("signing: %w", err)
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &UnreachableError{Endpoint: c.Endpoint.String(), Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxSnapshot+1))
	if err != nil {
		return nil, &UnreachableError{Endpoint: c.Endpoint.String(), Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		var msg struct {
			Message      string `json:"message"`
			MessageUpper string `json:"Message"` // the AWS API's own errors (a refused signature)
		}
		_ = json.Unmarshal(body, &msg)
		m := msg.Message
		if m == "" {
			m = msg.MessageUpper
		}
		if m == "" && resp.StatusCode == http.StatusNotFound {
			m = "no snapshot API at " + SnapshotPath + " (is this a Reservoir server with the dashboard?)"
		}
		return nil, &APIError{Status: resp.StatusCode, Message: m}
	}
	if len(body) > maxSnapshot {
		return nil, fmt.Errorf("the snapshot is larger than %d bytes", maxSnapshot)
	}
	var s Snapshot
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, fmt.Errorf("the server's snapshot is not what top reads: %w", err)
	}
	return &s, nil
}
