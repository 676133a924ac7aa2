package iamapi_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/reservoir-dev/reservoir/internal/iam"
	"github.com/reservoir-dev/reservoir/internal/iamapi"
)

const (
	acct      = "123456789012"
	otherAcct = "210987654321"
	// otherKey is the access key ID that accountFromKey maps to otherAcct.
	otherKey = "AKIAOTHERACCOUNT"
	trust    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
)

func testClock() time.Time { return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC) }

// memStore is an in-memory iam.Store. With failWrites set, writes fail and
// change nothing.
type memStore struct {
	mu         sync.Mutex
	roles      map[string]iam.Role
	policies   map[string]iam.ManagedPolicy
	failWrites bool
}

func (m *memStore) LoadPolicies(context.Context) ([]iam.ManagedPolicy, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []iam.ManagedPolicy
	for _, p := range m.policies {
		p.Tags = maps.Clone(p.Tags)
		p.Versions = slices.Clone(p.Versions)
		out = append(out, p)
	}
	return out, nil
}

func (m *memStore) SavePolicy(_ context.Context, p iam.ManagedPolicy) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWrites {
		return errors.New("memstore: secret internal failure detail")
	}
	if m.policies == nil {
		m.policies = make(map[string]iam.ManagedPolicy)
	}
	p.Tags = maps.Clone(p.Tags)
	p.Versions = slices.Clone(p.Versions)
	m.policies[p.Account+"/"+p.Name] = p
	return nil
}

func (m *memStore) DeletePolicy(_ context.Context, account, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWrites {
		return errors.New("memstore: secret internal failure detail")
	}
	delete(m.policies, account+"/"+name)
	return nil
}

func (m *memStore) LoadRoles(context.Context) ([]iam.Role, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []iam.Role
	for _, r := range m.roles {
		r.Tags = maps.Clone(r.Tags)
		out = append(out, r)
	}
	return out, nil
}

func (m *memStore) SaveRole(_ context.Context, r iam.Role) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWrites {
		return errors.New("memstore: secret internal failure detail")
	}
	r.Tags = maps.Clone(r.Tags)
	m.roles[r.Account+"/"+r.Name] = r
	return nil
}

func (m *memStore) DeleteRole(_ context.Context, account, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWrites {
		return errors.New("memstore: secret internal failure detail")
	}
	delete(m.roles, account+"/"+name)
	return nil
}

// syncBuffer is a bytes.Buffer safe for the server's and the test's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// accountFromKey is the accountFor of the tests: the access key ID in the
// SigV4 credential scope picks the account.
func accountFromKey(r *http.Request) string {
	if strings.Contains(r.Header.Get("Authorization"), "Credential="+otherKey+"/") {
		return otherAcct
	}
	return acct
}

type testServer struct {
	*httptest.Server
	store *memStore
	logs  *syncBuffer
}

// newTestServer serves a fresh IAM on 127.0.0.1.
func newTestServer(t *testing.T) *testServer {
	t.Helper()
	store := &memStore{roles: make(map[string]iam.Role)}
	svc, err := iam.NewService(context.Background(), store, testClock)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(iamapi.NewHandler(svc, accountFromKey, logger))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &testServer{Server: srv, store: store, logs: logs}
}

func (s *testServer) awsConfig(accessKey string) aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(accessKey, "secret", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
}

func (s *testServer) iamClient(accessKey string) *iamsdk.Client {
	return iamsdk.NewFromConfig(s.awsConfig(accessKey), func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(s.URL) })
}

func (s *testServer) stsClient(accessKey string) *sts.Client {
	return sts.NewFromConfig(s.awsConfig(accessKey), func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL) })
}
