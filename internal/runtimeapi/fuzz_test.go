package runtimeapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fzMax is the response cap of the fuzzed server: small, so that fuzzed
// bodies cross it.
const fzMax = 24

// fzWait bounds every wait of the harness; passing it means a deadlock.
const fzWait = 2 * time.Second

type fzInvoke struct {
	id     string
	cancel context.CancelFunc
	done   chan fzInvokeResult
}

type fzInvokeResult struct {
	r   Response
	err error
}

type fzNext struct {
	code   int
	id     string
	body   []byte
	header http.Header
}

// fzHarness plays both sides of one environment: the owner calling Invoke
// (one invocation at a time) and a runtime calling the Runtime API. It
// tracks what the server must answer and checks every answer.
type fzHarness struct {
	t         *testing.T
	s         *Server
	n         int
	inv       *fzInvoke    // in flight: queued or handed out
	handed    string       // request ID handed out by GET next and not settled
	late      string       // a handed-out ID whose caller gave up
	next      chan fzNext  // an outstanding GET next
	ready     bool         // GET next was called
	initFail  bool         // init/error was accepted before ready
	discarded bool         // the runtime got a 413: the environment is dropped
	trace     []string     // the ops so far, for failure messages
	seen      map[int]bool // statuses answered
}

func (h *fzHarness) fail(format string, args ...any) {
	h.t.Helper()
	h.t.Fatalf("%s\nops: %v", fmt.Sprintf(format, args...), h.trace)
}

// serve calls the handler the way the HTTP server would.
func (h *fzHarness) serve(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.s.srv.Handler.ServeHTTP(rec, r)
	h.seen[rec.Code] = true
	return rec
}

func (h *fzHarness) post(path string, body []byte, header http.Header, trailer http.Header) *httptest.ResponseRecorder {
	u, err := url.Parse(Prefix + path)
	if err != nil {
		h.fail("bad path %q: %v", path, err)
	}
	r := &http.Request{Method: http.MethodPost, URL: u, RequestURI: u.RequestURI(), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: header, Trailer: trailer, Body: http.NoBody, Host: h.s.Addr(), RemoteAddr: "127.0.0.1:1"}
	if header == nil {
		r.Header = http.Header{}
	}
	if len(body) > 0 {
		r.Body = httpBody(body)
		r.ContentLength = int64(len(body))
	}
	return h.serve(r.WithContext(context.Background()))
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func httpBody(b []byte) readCloser { return readCloser{bytes.NewReader(b)} }

// waitResult waits for the in-flight invocation's outcome.
func (h *fzHarness) waitResult() fzInvokeResult {
	h.t.Helper()
	select {
	case r := <-h.inv.done:
		h.inv = nil
		return r
	case <-time.After(fzWait):
		h.fail("Invoke did not return")
		panic("unreachable")
	}
}

// noResult checks that the in-flight invocation is still unanswered.
func (h *fzHarness) noResult() {
	h.t.Helper()
	if h.inv == nil {
		return
	}
	select {
	case r := <-h.inv.done:
		h.fail("Invoke %s returned %+v %v although its answer was not posted", h.inv.id, r.r, r.err)
	default:
	}
}

// takeNext waits for the outstanding GET next to return an invocation.
func (h *fzHarness) takeNext() {
	h.t.Helper()
	select {
	case rep := <-h.next:
		h.next = nil
		if rep.code != http.StatusOK {
			h.fail("GET next answered %d %s to a kept environment", rep.code, rep.body)
		}
		if rep.id != h.inv.id {
			h.fail("GET next handed out %q, want %q", rep.id, h.inv.id)
		}
		if rep.header.Get(HeaderDeadlineMs) == "" || rep.header.Get("Content-Type") != "application/json" {
			h.fail("GET next without deadline or content type: %v", rep.header)
		}
		h.handed = rep.id
	case <-time.After(fzWait):
		h.fail("GET next did not hand out the queued invocation")
	}
}

func (h *fzHarness) invoke(payload []byte) {
	if h.inv != nil {
		return
	}
	h.n++
	ctx, cancel := context.WithCancel(context.Background())
	p := &fzInvoke{id: fmt.Sprintf("req-%d", h.n), cancel: cancel, done: make(chan fzInvokeResult, 1)}
	h.inv = p
	go func() {
		r, err := h.s.Invoke(ctx, Invocation{RequestID: p.id, Deadline: time.Now().Add(time.Hour), FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:f", Payload: payload})
		p.done <- fzInvokeResult{r, err}
	}()
	if h.next != nil {
		h.takeNext()
	}
}

func (h *fzHarness) askNext() {
	if h.next != nil {
		return
	}
	ch := make(chan fzNext, 1)
	h.next = ch
	go func() {
		u, _ := url.Parse(Prefix + "/invocation/next")
		r := (&http.Request{Method: http.MethodGet, URL: u, RequestURI: u.RequestURI(), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{}, Body: http.NoBody, Host: h.s.Addr(), RemoteAddr: "127.0.0.1:1"}).WithContext(context.Background())
		rec := httptest.NewRecorder()
		h.s.srv.Handler.ServeHTTP(rec, r)
		ch <- fzNext{code: rec.Code, id: rec.Header().Get(HeaderRequestID), body: rec.Body.Bytes(), header: rec.Header()}
	}()
	h.ready = true
	// A runtime that asks again without answering settles its invocation.
	if h.handed != "" {
		res := h.waitResult()
		if res.err != nil || !res.r.Error || res.r.ErrorType != "Runtime.NoResponse" {
			h.fail("unanswered invocation settled as %+v %v, want Runtime.NoResponse", res.r, res.err)
		}
		h.handed = ""
	}
	if h.inv != nil {
		h.takeNext() // the queued invocation is handed out at once
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), fzWait)
	defer cancel()
	if err := h.s.AwaitNext(ctx); err != nil {
		h.fail("GET next never started waiting: %v", err)
	}
}

// answer posts a response (or an error, or a response with error
// trailers) for id and checks the server's answer and the invocation's outcome.
func (h *fzHarness) answer(id string, kind int, body []byte, errType, trailerType, trailerBody string) {
	path, header, trailer := "/invocation/"+url.PathEscape(id)+"/response", http.Header{}, http.Header(nil)
	switch kind {
	case 1:
		path = "/invocation/" + url.PathEscape(id) + "/error"
		if errType != "" {
			header.Set(HeaderErrorType, errType)
		}
	case 2:
		trailer = http.Header{}
		if trailerType != "" {
			trailer.Set(HeaderErrorType, trailerType)
		}
		if trailerBody != "" {
			trailer.Set(HeaderErrorBody, trailerBody)
		}
	}
	rec := h.post(path, body, header, trailer)
	current := h.handed != "" && id == h.handed
	if !current {
		if rec.Code != http.StatusAccepted {
			h.fail("post for %q (not in flight) answered %d %s", id, rec.Code, rec.Body)
		}
		h.noResult()
		return
	}
	res := h.waitResult()
	h.handed = ""
	if res.err != nil {
		h.fail("Invoke failed: %v", res.err)
	}
	if len(body) > fzMax {
		if rec.Code != http.StatusRequestEntityTooLarge || !res.r.Discard || !res.r.Error || res.r.ErrorType != "Function.ResponseSizeTooLarge" {
			h.fail("%d-byte answer: %d %s, outcome %+v; want 413 and a discarded Function.ResponseSizeTooLarge", len(body), rec.Code, rec.Body, res.r)
		}
		h.discarded = true
		return
	}
	if rec.Code != http.StatusAccepted {
		h.fail("answer for the current invocation: %d %s, want 202", rec.Code, rec.Body)
	}
	if res.r.Discard {
		h.fail("a 202-answered invocation was marked for discard: %+v", res.r)
	}
	switch {
	case kind == 1:
		if !res.r.Error || res.r.ErrorType == "" || !bytes.Equal(res.r.Payload, body) {
			h.fail("error post became %+v", res.r)
		}
	case kind == 2 && trailerType != "":
		want := errorBody("", trailerType)
		if b, err := base64.StdEncoding.DecodeString(trailerBody); err == nil && len(b) > 0 {
			want = b
		}
		if !res.r.Error || res.r.ErrorType != trailerType || !bytes.Equal(res.r.Payload, want) {
			h.fail("response with error trailer %q became %+v", trailerType, res.r)
		}
	default:
		if res.r.Error || !bytes.Equal(res.r.Payload, body) {
			h.fail("response %q became %+v", body, res.r)
		}
	}
}

func (h *fzHarness) initError(body []byte, errType string) {
	header := http.Header{}
	if errType != "" {
		header.Set(HeaderErrorType, errType)
	}
	rec := h.post("/init/error", body, header, nil)
	if rec.Code != http.StatusAccepted {
		h.fail("init/error answered %d %s", rec.Code, rec.Body)
	}
	failed := false
	select {
	case <-h.s.InitFailed():
		failed = true
	default:
	}
	switch {
	case !h.ready && !failed:
		h.fail("init/error before the first GET next did not fail the init")
	case h.ready && failed && !h.initFail:
		h.fail("init/error after the first GET next failed the init")
	}
	h.initFail = failed
	h.noResult()
}

// giveUp ends the in-flight invocation from the caller's side (its
// deadline passed): a later answer for it must be acknowledged and dropped.
func (h *fzHarness) giveUp() {
	if h.inv == nil {
		return
	}
	h.inv.cancel()
	res := h.waitResult()
	if !errors.Is(res.err, context.Canceled) {
		// The answer may have raced in; then it was a normal outcome.
		if res.err != nil {
			h.fail("canceled Invoke returned %v", res.err)
		}
	}
	if h.handed != "" {
		h.late = h.handed
		h.handed = ""
	}
}

// FuzzRuntimeAPI runs arbitrary sequences of Runtime API calls with
// arbitrary request IDs, bodies, error types and trailers against one
// environment's server. It must never panic or deadlock, hand out every
// invocation once, settle each exactly once, and never answer a 4xx to a
// runtime it keeps: the only 4xx is the documented 413 for an oversized
// answer, which discards the environment.
func FuzzRuntimeAPI(f *testing.F) {
	f.Add([]byte{0, 1, 2, 0, 2}, []byte(`{"ok":true}`), "req-1", "Handled", "", "")
	f.Add([]byte{1, 0, 3, 1, 0, 4, 2}, []byte(`{"errorType":"ValueError","errorMessage":"x"}`), "req-2", "Unhandled", "", "")
	f.Add([]byte{1, 0, 6}, []byte(`partial`), "nope", "", "Runtime.StreamError", base64.StdEncoding.EncodeToString([]byte(`{"errorType":"E"}`)))
	f.Add([]byte{5, 1, 0, 2}, bytes.Repeat([]byte("x"), 100), "", "Runtime.ExitError", "", "")
	f.Add([]byte{0, 1, 7, 4, 0, 1, 2}, []byte(`late`), "req-1", "", "", "")
	f.Add([]byte{1, 5, 0, 1, 1, 2, 3}, []byte(`{}`), "req-3", "", "T", "!!")
	f.Fuzz(func(t *testing.T, ops, body []byte, id, errType, trailerType, trailerBody string) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		s, err := Listen(Options{MaxResponseBytes: fzMax})
		if err != nil {
			t.Fatal(err)
		}
		h := &fzHarness{t: t, s: s, seen: map[int]bool{}}
		// Request IDs are UUIDs: keep fuzzed ones to what can be one path
		// segment (ServeMux redirects "." and 404s an empty segment).
		id = strings.ReplaceAll(id, "/", "_")
		if id == "" || id == "." || id == ".." {
			id = "x"
		}
		for i, op := range ops {
			if h.discarded {
				break
			}
			// Vary the body per step: a prefix whose length the op decides.
			b := body
			if len(b) > 0 {
				b = b[:int(op>>3)%(len(b)+1)]
			}
			h.trace = append(h.trace, fmt.Sprintf("%d:%d/%dB", i, op%8, len(b)))
			switch op % 8 {
			case 0:
				h.invoke(b)
			case 1:
				h.askNext()
			case 2:
				h.answer(h.handed+h.idIfNone(id), 0, b, errType, trailerType, trailerBody)
			case 3:
				h.answer(h.handed+h.idIfNone(id), 1, b, errType, trailerType, trailerBody)
			case 4:
				target := id
				if h.late != "" && op&0x80 != 0 {
					target = h.late
				}
				h.answer(target, int(op>>6)%3, b, errType, trailerType, trailerBody)
			case 5:
				h.initError(b, errType)
			case 6:
				h.answer(h.handed+h.idIfNone(id), 2, b, errType, trailerType, trailerBody)
			case 7:
				h.giveUp()
			}
		}
		for code := range h.seen {
			if code >= 400 && code != http.StatusRequestEntityTooLarge {
				h.fail("answered %d to a kept environment", code)
			}
		}
		// Close ends everything: an invocation in flight fails with
		// ErrClosed, a blocked GET next returns.
		closed := make(chan error, 1)
		go func() { closed <- s.Close() }()
		select {
		case <-closed:
		case <-time.After(fzWait):
			h.fail("Close did not return")
		}
		if h.inv != nil {
			if r := h.waitResult(); r.err == nil && !h.discarded {
				h.fail("Invoke in flight at Close returned %+v", r.r)
			}
		}
		if h.next != nil {
			select {
			case <-h.next:
			case <-time.After(fzWait):
				h.fail("GET next still blocked after Close")
			}
		}
	})
}

// idIfNone is id when no invocation is handed out (the post is then for
// an invocation not in flight), else "".
func (h *fzHarness) idIfNone(id string) string {
	if h.handed != "" {
		return ""
	}
	return id
}
