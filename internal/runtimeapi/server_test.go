package runtimeapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// fakeRuntime is a minimal Runtime API client.
type fakeRuntime struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newServer(t *testing.T, opts Options) (*Server, *fakeRuntime) {
	t.Helper()
	s, err := Listen(opts)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(func() {
		_ = s.Close()
		tr.CloseIdleConnections()
	})
	return s, &fakeRuntime{t: t, base: "http://" + s.Addr() + Prefix, c: &http.Client{Transport: tr}}
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (f *fakeRuntime) do(method, path string, body io.Reader, header map[string]string) reply {
	f.t.Helper()
	req, err := http.NewRequest(method, f.base+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := f.c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// nextAsync calls GET next in the background.
func (f *fakeRuntime) nextAsync() <-chan reply {
	ch := make(chan reply, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, f.base+"/invocation/next", nil)
		resp, err := f.c.Do(req)
		if err != nil {
			ch <- reply{status: -1, body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		ch <- reply{resp.StatusCode, resp.Header, string(b)}
	}()
	return ch
}

type result struct {
	r   Response
	err error
}

func invokeAsync(s *Server, ctx context.Context, inv Invocation) <-chan result {
	ch := make(chan result, 1)
	go func() {
		r, err := s.Invoke(ctx, inv)
		ch <- result{r, err}
	}()
	return ch
}

// waitingNexts is how many GET next requests wait for an invocation.
func (s *Server) waitingNexts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting
}

// awaitNexts waits until n GET next requests wait for an invocation.
func awaitNexts(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.waitingNexts() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d GET next waiting, want %d", s.waitingNexts(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// awaitQueued waits until an invocation is queued for GET next.
func awaitQueued(t *testing.T, s *Server) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(s.queue) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no invocation queued")
		}
		time.Sleep(time.Millisecond)
	}
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("timed out")
		panic("unreachable")
	}
}

func TestInvocationRoundTrip(t *testing.T) {
	s, rt := newServer(t, Options{})
	next := rt.nextAsync()
	recv(t, ready(s))
	awaitNexts(t, s, 1)
	select {
	case r := <-next:
		t.Fatalf("next returned before any invocation: %+v", r)
	default:
	}

	deadline := time.Now().Add(3 * time.Second).Truncate(time.Millisecond)
	res := invokeAsync(s, context.Background(), Invocation{
		RequestID: "req-1", Deadline: deadline, FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:f",
		TraceID: "Root=1-abc", ClientContext: `{"custom":{"a":"b"}}`, CognitoIdentity: `{"cognitoIdentityId":"x"}`,
		Payload: []byte(`{"hello":"world"}`),
	})
	got := recv(t, next)
	if got.status != http.StatusOK || got.body != `{"hello":"world"}` {
		t.Fatalf("next = %d %q", got.status, got.body)
	}
	for k, want := range map[string]string{
		HeaderRequestID:       "req-1",
		HeaderDeadlineMs:      strconv.FormatInt(deadline.UnixMilli(), 10),
		HeaderFunctionARN:     "arn:aws:lambda:us-east-1:123456789012:function:f",
		HeaderTraceID:         "Root=1-abc",
		HeaderClientContext:   `{"custom":{"a":"b"}}`,
		HeaderCognitoIdentity: `{"cognitoIdentityId":"x"}`,
	} {
		if v := got.header.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}

	post := rt.do(http.MethodPost, "/invocation/req-1/response", strings.NewReader(`"ok"`), nil)
	if post.status != http.StatusAccepted {
		t.Fatalf("response post = %d %s", post.status, post.body)
	}
	r := recv(t, res)
	if r.err != nil || string(r.r.Payload) != `"ok"` || r.r.Error {
		t.Fatalf("Invoke = %+v, %v", r.r, r.err)
	}

	// A duplicate answer is acknowledged and dropped.
	if dup := rt.do(http.MethodPost, "/invocation/req-1/response", strings.NewReader(`"again"`), nil); dup.status != http.StatusAccepted {
		t.Errorf("duplicate post = %d", dup.status)
	}
	// So is an answer for a request that never existed.
	if dup := rt.do(http.MethodPost, "/invocation/nope/error", strings.NewReader(`{}`), nil); dup.status != http.StatusAccepted {
		t.Errorf("unknown id post = %d", dup.status)
	}
}

func ready(s *Server) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go func() {
		select {
		case <-s.Ready():
			ch <- struct{}{}
		case <-time.After(5 * time.Second):
		}
	}()
	return ch
}

func handOut(t *testing.T, s *Server, rt *fakeRuntime, id string) (<-chan result, reply) {
	t.Helper()
	next := rt.nextAsync()
	res := invokeAsync(s, context.Background(), Invocation{RequestID: id, Deadline: time.Now().Add(time.Minute), Payload: []byte("{}")})
	return res, recv(t, next)
}

func TestFunctionError(t *testing.T) {
	s, rt := newServer(t, Options{})
	res, _ := handOut(t, s, rt, "r1")
	body := `{"errorMessage":"boom","errorType":"ValueError","stackTrace":["a"]}`
	post := rt.do(http.MethodPost, "/invocation/r1/error", strings.NewReader(body), map[string]string{HeaderErrorType: "Unhandled"})
	if post.status != http.StatusAccepted {
		t.Fatalf("error post = %d", post.status)
	}
	r := recv(t, res)
	if !r.r.Error || r.r.ErrorType != "ValueError" || string(r.r.Payload) != body {
		t.Fatalf("got %+v", r.r)
	}

	res, _ = handOut(t, s, rt, "r2")
	rt.do(http.MethodPost, "/invocation/r2/error", strings.NewReader(`not json`), map[string]string{HeaderErrorType: "Custom.Type"})
	if r := recv(t, res); r.r.ErrorType != "Custom.Type" || string(r.r.Payload) != "not json" {
		t.Fatalf("got %+v", r.r)
	}
}

func TestErrorTrailer(t *testing.T) {
	s, rt := newServer(t, Options{})
	res, _ := handOut(t, s, rt, "r1")
	doc := `{"errorMessage":"stream broke","errorType":"errorString"}`
	req, _ := http.NewRequest(http.MethodPost, rt.base+"/invocation/r1/response", io.MultiReader(strings.NewReader("partial")))
	req.ContentLength = -1
	req.Trailer = http.Header{HeaderErrorType: nil, HeaderErrorBody: nil}
	req.Body = io.NopCloser(&trailerSetter{r: strings.NewReader("partial"), set: func() {
		req.Trailer.Set(HeaderErrorType, "errorString")
		req.Trailer.Set(HeaderErrorBody, base64.StdEncoding.EncodeToString([]byte(doc)))
	}})
	resp, err := rt.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", resp.StatusCode)
	}
	r := recv(t, res)
	if !r.r.Error || r.r.ErrorType != "errorString" || string(r.r.Payload) != doc {
		t.Fatalf("got %+v", r.r)
	}
}

// trailerSetter calls set when its reader is exhausted, like aws-lambda-go.
type trailerSetter struct {
	r   io.Reader
	set func()
}

func (ts *trailerSetter) Read(p []byte) (int, error) {
	n, err := ts.r.Read(p)
	if err == io.EOF {
		ts.set()
	}
	return n, err
}

func TestPayloadTooLarge(t *testing.T) {
	s, rt := newServer(t, Options{MaxResponseBytes: 1000})
	res, _ := handOut(t, s, rt, "big")
	post := rt.do(http.MethodPost, "/invocation/big/response", bytes.NewReader(make([]byte, 1001)), nil)
	if post.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", post.status)
	}
	r := recv(t, res)
	if !r.r.Error || !r.r.Discard || r.r.ErrorType != "Function.ResponseSizeTooLarge" ||
		!strings.Contains(string(r.r.Payload), "Response payload size exceeded maximum allowed payload size (1000 bytes).") {
		t.Fatalf("got %+v %s", r.r, r.r.Payload)
	}

	// Exactly at the limit is fine.
	res, _ = handOut(t, s, rt, "edge")
	if post := rt.do(http.MethodPost, "/invocation/edge/response", bytes.NewReader(make([]byte, 1000)), nil); post.status != http.StatusAccepted {
		t.Fatalf("status %d", post.status)
	}
	if r := recv(t, res); r.r.Error || len(r.r.Payload) != 1000 {
		t.Fatalf("got error=%v len=%d", r.r.Error, len(r.r.Payload))
	}
}

func TestInitError(t *testing.T) {
	s, rt := newServer(t, Options{})
	body := `{"errorMessage":"Unable to import module 'app'","errorType":"Runtime.ImportModuleError"}`
	post := rt.do(http.MethodPost, "/init/error", strings.NewReader(body), map[string]string{HeaderErrorType: "Runtime.ImportModuleError"})
	if post.status != http.StatusAccepted {
		t.Fatalf("status %d", post.status)
	}
	recv(t, chanOf(s.InitFailed()))
	ie, ok := s.InitError()
	if !ok || ie.ErrorType != "Runtime.ImportModuleError" || string(ie.Payload) != body {
		t.Fatalf("InitError = %+v, %v", ie, ok)
	}
	select {
	case <-s.Ready():
		t.Fatal("ready after init error")
	default:
	}
}

func TestInitErrorAfterReadyIsDropped(t *testing.T) {
	s, rt := newServer(t, Options{})
	_ = rt.nextAsync()
	recv(t, ready(s))
	if post := rt.do(http.MethodPost, "/init/error", strings.NewReader(`{}`), nil); post.status != http.StatusAccepted {
		t.Fatalf("status %d", post.status)
	}
	if _, ok := s.InitError(); ok {
		t.Fatal("init error recorded after ready")
	}
}

func chanOf(c <-chan struct{}) <-chan struct{} { return c }

func TestInvokeContextEndsAndLateAnswerDropped(t *testing.T) {
	s, rt := newServer(t, Options{})
	clock := clockwork.NewFakeClock()
	next := rt.nextAsync()
	ctx, cancel := clockwork.WithTimeout(context.Background(), clock, 100*time.Millisecond)
	defer cancel()
	res := invokeAsync(s, ctx, Invocation{RequestID: "slow", Deadline: clock.Now().Add(time.Second)})
	recv(t, next)
	// The runtime has the invocation; the caller's deadline passes first.
	clock.Advance(100 * time.Millisecond)
	if r := recv(t, res); !errors.Is(r.err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", r.err)
	}
	if post := rt.do(http.MethodPost, "/invocation/slow/response", strings.NewReader(`1`), nil); post.status != http.StatusAccepted {
		t.Fatalf("late answer status %d", post.status)
	}

	// Invocation not yet picked up: its deadline passing withdraws it.
	ctx2, cancel2 := clockwork.WithTimeout(context.Background(), clock, 50*time.Millisecond)
	defer cancel2()
	res = invokeAsync(s, ctx2, Invocation{RequestID: "never"})
	awaitQueued(t, s)
	clock.Advance(50 * time.Millisecond)
	if r := recv(t, res); !errors.Is(r.err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", r.err)
	}
	next = rt.nextAsync()
	res = invokeAsync(s, context.Background(), Invocation{RequestID: "third", Deadline: time.Now().Add(time.Minute)})
	if got := recv(t, next); got.header.Get(HeaderRequestID) != "third" {
		t.Fatalf("got request %q, want the withdrawn one skipped", got.header.Get(HeaderRequestID))
	}
	rt.do(http.MethodPost, "/invocation/third/response", strings.NewReader(`3`), nil)
	if r := recv(t, res); string(r.r.Payload) != "3" {
		t.Fatalf("got %+v", r)
	}
}

func TestAwaitNext(t *testing.T) {
	s, rt := newServer(t, Options{})
	res, _ := handOut(t, s, rt, "a")
	rt.do(http.MethodPost, "/invocation/a/response", strings.NewReader(`1`), nil)
	recv(t, res)

	// Without a GET next, AwaitNext waits until its context ends.
	clock := clockwork.NewFakeClock()
	ctx, cancel := clockwork.WithTimeout(context.Background(), clock, 50*time.Millisecond)
	defer cancel()
	awaited := make(chan error, 1)
	go func() { awaited <- s.AwaitNext(ctx) }()
	clock.Advance(50 * time.Millisecond)
	if err := recv(t, awaited); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("AwaitNext before next = %v", err)
	}
	_ = rt.nextAsync()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if err := s.AwaitNext(ctx2); err != nil {
		t.Fatal(err)
	}
}

func TestNextWithoutAnswerSettlesInvocation(t *testing.T) {
	s, rt := newServer(t, Options{})
	res, _ := handOut(t, s, rt, "x")
	_ = rt.nextAsync()
	r := recv(t, res)
	if !r.r.Error || r.r.ErrorType != "Runtime.NoResponse" {
		t.Fatalf("got %+v", r.r)
	}
}

func TestRoutes(t *testing.T) {
	_, rt := newServer(t, Options{})
	if r := rt.do(http.MethodGet, "/nope", nil, nil); r.status != http.StatusNotFound {
		t.Errorf("unknown path = %d", r.status)
	}
	if r := rt.do(http.MethodPost, "/invocation/next", nil, nil); r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST next = %d", r.status)
	}
}

func TestCloseUnblocksEverything(t *testing.T) {
	before := packageGoroutines()
	s, err := Listen(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	rt := &fakeRuntime{t: t, base: "http://" + s.Addr() + Prefix, c: &http.Client{Transport: tr}}
	next := rt.nextAsync()
	recv(t, ready(s))
	next2 := rt.nextAsync()
	awaitNexts(t, s, 2)
	res := invokeAsync(s, context.Background(), Invocation{RequestID: "a", Deadline: time.Now().Add(time.Minute)})
	// Either waiting next may take it; the other stays blocked until Close.
	var other <-chan reply
	select {
	case <-next:
		other = next2
	case <-next2:
		other = next
	case <-time.After(5 * time.Second):
		t.Fatal("invocation not handed out")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if r := recv(t, res); !errors.Is(r.err, ErrClosed) {
		t.Fatalf("Invoke after Close = %v", r.err)
	}
	if r := recv(t, other); r.status == http.StatusOK {
		t.Fatalf("blocked next answered 200 at Close")
	}
	if _, err := s.Invoke(context.Background(), Invocation{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Invoke on closed server = %v", err)
	}
	_ = s.Close()
	deadline := time.Now().Add(2 * time.Second)
	for packageGoroutines() > before {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines of the package left: %d > %d", packageGoroutines(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func packageGoroutines() int {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "internal/runtimeapi.(*Server)")
}

// TestAdmitRefusesConnections: a connection that Options.Admit refuses is
// closed before its request is read, and the server is unaffected; one it
// admits is served.
func TestAdmitRefusesConnections(t *testing.T) {
	var mu sync.Mutex
	admit := false
	asked := 0
	s, rt := newServer(t, Options{Admit: func(net.Conn) bool {
		mu.Lock()
		defer mu.Unlock()
		asked++
		return admit
	}})
	req, _ := http.NewRequest(http.MethodGet, rt.base+"/invocation/next", nil)
	if resp, err := rt.c.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a refused connection got an answer: %s", resp.Status)
	}
	select {
	case <-s.Ready():
		t.Fatal("a refused connection's GET next made the runtime ready")
	default:
	}
	mu.Lock()
	admit = true
	mu.Unlock()
	next := rt.nextAsync()
	<-ready(s)
	res := invokeAsync(s, context.Background(), Invocation{RequestID: "r1", Payload: []byte(`{}`)})
	if r := recv(t, next); r.status != http.StatusOK {
		t.Fatalf("admitted GET next: %d %s", r.status, r.body)
	}
	rt.do(http.MethodPost, "/invocation/r1/response", strings.NewReader(`"ok"`), nil)
	if got := recv(t, res); got.err != nil || string(got.r.Payload) != `"ok"` {
		t.Fatalf("admitted invocation: %+v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if asked < 2 {
		t.Errorf("Admit asked %d times, want once per connection (2+)", asked)
	}
}
