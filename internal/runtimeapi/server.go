// Package runtimeapi serves the AWS Lambda Runtime API
// (/2018-06-01/runtime/...) for one execution environment on its own
// loopback listener. The runtime inside the environment pulls invocations with
// GET invocation/next and posts their outcome; the owner hands invocations in
// with Invoke and learns that initialization is done when the runtime first
// asks for the next invocation (Ready) or that it failed (InitFailed).
//
// Runtimes such as aws-lambda-go exit on any answer other than the one they
// expect (200 for next, 202 for posts), so this server answers 4xx only when
// the environment is to be discarded anyway (see Response.Discard). A post for
// a request ID that is not the one in flight (late, duplicate, or made up) is
// acknowledged with 202 and dropped: the invocation it belonged to has already
// been settled, and killing a healthy environment over it would turn one bad
// answer into a cold start for the next caller.
package runtimeapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Prefix is the path prefix of every Runtime API route.
const Prefix = "/2018-06-01/runtime"

// MaxResponseBytes is the largest response payload a function may return
// (AWS's synchronous limit as its error message states it).
const MaxResponseBytes = 6291556

// Headers of the Runtime API.
const (
	HeaderRequestID       = "Lambda-Runtime-Aws-Request-Id"
	HeaderDeadlineMs      = "Lambda-Runtime-Deadline-Ms"
	HeaderFunctionARN     = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderTraceID         = "Lambda-Runtime-Trace-Id"
	HeaderClientContext   = "Lambda-Runtime-Client-Context"
	HeaderCognitoIdentity = "Lambda-Runtime-Cognito-Identity"
	HeaderErrorType       = "Lambda-Runtime-Function-Error-Type"
	// HeaderErrorBody is a trailer some runtimes (aws-lambda-go) send when
	// producing a streamed response failed midway: base64 of the error JSON.
	HeaderErrorBody = "Lambda-Runtime-Function-Error-Body"
)

// ErrClosed is returned by Invoke when the server is closed.
var ErrClosed = errors.New("runtimeapi: server closed")

// Invocation is handed to the runtime by GET invocation/next.
type Invocation struct {
	RequestID   string
	Deadline    time.Time
	FunctionARN string
	TraceID     string
	// ClientContext and CognitoIdentity are JSON documents, passed as they
	// are (ClientContext already decoded from the Invoke API's base64).
	ClientContext   string
	CognitoIdentity string
	Payload         []byte
}

// Response is what the runtime answered for one invocation.
type Response struct {
	Payload []byte
	// Error is true when the runtime reported a function error; Payload is
	// then the error document and ErrorType its type.
	Error     bool
	ErrorType string
	// Discard is true when the runtime was answered with a 4xx (payload too
	// large): it may exit any moment and must not be reused.
	Discard bool
}

// InitError is what the runtime posted to init/error.
type InitError struct {
	Payload   []byte
	ErrorType string
}

// Options configure a Server.
type Options struct {
	Logger *slog.Logger
	// MaxResponseBytes caps response and error payloads (default MaxResponseBytes).
	MaxResponseBytes int64
	// Admit, if set, decides for each new connection whether it is served;
	// one it refuses is closed at once, before a byte is read. (The sandbox
	// admits only its environment's own processes.)
	Admit func(net.Conn) bool
}

// call is one invocation handed to the server.
type call struct {
	inv    Invocation
	answer chan Response // buffered 1; receives exactly one Response
}

// Server is the Runtime API of one environment.
type Server struct {
	log     *slog.Logger
	maxBody int64
	ln      net.Listener
	srv     *http.Server
	served  chan struct{} // closed when Serve returns

	queue    chan *call    // invocations waiting for GET next (capacity 1)
	closed   chan struct{} // closed by Close
	ready    chan struct{} // closed at the first GET next
	initFail chan struct{} // closed at the first init/error before ready

	handlers sync.WaitGroup // running handlers, waited for by Close

	mu        sync.Mutex
	current   *call         // handed out, not yet answered
	waiting   int           // GET next requests blocked for work
	idle      chan struct{} // closed when a GET next starts waiting; replaced on hand-out
	isReady   bool
	initErr   *InitError
	closeOnce bool
}

// Listen starts a Runtime API server on 127.0.0.1 with a free port.
func Listen(opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtimeapi: listen: %w", err)
	}
	if opts.Admit != nil {
		ln = &admitListener{Listener: ln, admit: opts.Admit, log: opts.Logger}
	}
	s := &Server{
		log:      opts.Logger,
		maxBody:  opts.MaxResponseBytes,
		ln:       ln,
		served:   make(chan struct{}),
		queue:    make(chan *call, 1),
		closed:   make(chan struct{}),
		ready:    make(chan struct{}),
		initFail: make(chan struct{}),
		idle:     make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = MaxResponseBytes
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"/invocation/next", s.next)
	mux.HandleFunc("POST "+Prefix+"/invocation/{id}/response", s.response)
	mux.HandleFunc("POST "+Prefix+"/invocation/{id}/error", s.invocationError)
	mux.HandleFunc("POST "+Prefix+"/init/error", s.initError)
	s.srv = &http.Server{
		Handler:           s.track(mux),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Addr is the host:port the runtime must use (AWS_LAMBDA_RUNTIME_API).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Ready is closed when the runtime first asks for an invocation, which ends
// its initialization.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// InitFailed is closed when the runtime posted init/error before it was ready.
func (s *Server) InitFailed() <-chan struct{} { return s.initFail }

// InitError returns what the runtime posted to init/error, if it did.
func (s *Server) InitError() (InitError, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.initErr == nil {
		return InitError{}, false
	}
	return *s.initErr, true
}

// Invoke hands inv to the runtime and waits for its answer. It returns
// ctx's error when ctx ends first (the invocation is then forgotten: a later
// answer for it is dropped) and ErrClosed when the server is closed. One
// invocation at a time: the caller must not overlap calls.
func (s *Server) Invoke(ctx context.Context, inv Invocation) (Response, error) {
	c := &call{inv: inv, answer: make(chan Response, 1)}
	select {
	case s.queue <- c:
	case <-s.closed:
		return Response{}, ErrClosed
	case <-ctx.Done():
		return Response{}, ctx.Err()
	}
	select {
	case r := <-c.answer:
		return r, nil
	case <-ctx.Done():
		s.forget(c)
		return Response{}, ctx.Err()
	case <-s.closed:
		s.forget(c)
		return Response{}, ErrClosed
	}
}

// forget drops c whether it is still queued or already handed out.
func (s *Server) forget(c *call) {
	select {
	case q := <-s.queue:
		if q != c {
			s.queue <- q // not ours; cannot happen with one caller, but be exact
		}
	default:
	}
	s.mu.Lock()
	if s.current == c {
		s.current = nil
	}
	s.mu.Unlock()
}

// AwaitNext blocks until the runtime is waiting in GET next (it finished the
// previous invocation), or ctx ends.
func (s *Server) AwaitNext(ctx context.Context) error {
	s.mu.Lock()
	if s.waiting > 0 && s.current == nil {
		s.mu.Unlock()
		return nil
	}
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-s.closed:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the server: blocked requests end, the listener and connections
// are closed, and Close returns once every handler has returned.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closeOnce {
		s.mu.Unlock()
		<-s.served
		s.handlers.Wait()
		return nil
	}
	s.closeOnce = true
	close(s.closed)
	s.mu.Unlock()
	err := s.srv.Close()
	<-s.served
	s.handlers.Wait()
	return err
}

// track counts running handlers so Close can wait for them.
func (s *Server) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.closeOnce {
			s.mu.Unlock()
			writeJSON(w, http.StatusInternalServerError, errorBody("Runtime API is shutting down", "ServiceUnavailable"))
			return
		}
		s.handlers.Add(1)
		s.mu.Unlock()
		defer s.handlers.Done()
		h.ServeHTTP(w, r)
	})
}

// next serves GET invocation/next: it blocks until an invocation is handed in.
func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if !s.isReady {
		s.isReady = true
		close(s.ready)
	}
	if c := s.current; c != nil {
		// The runtime moved on without answering: settle the invocation
		// rather than let its caller wait for its deadline.
		s.current = nil
		s.log.Warn("runtime asked for the next invocation without answering", "request_id", c.inv.RequestID)
		c.answer <- Response{
			Error:     true,
			ErrorType: "Runtime.NoResponse",
			Payload:   errorBody("RequestId: "+c.inv.RequestID+" Error: runtime asked for the next invocation without answering this one", "Runtime.NoResponse"),
		}
	}
	s.waiting++
	select {
	case <-s.idle:
	default:
		close(s.idle)
	}
	s.mu.Unlock()

	var c *call
	select {
	case c = <-s.queue:
	case <-s.closed:
	case <-r.Context().Done():
	}

	s.mu.Lock()
	s.waiting--
	if c != nil {
		s.current = c
		if s.waiting == 0 {
			s.idle = make(chan struct{})
		}
	}
	s.mu.Unlock()
	if c == nil {
		if r.Context().Err() == nil {
			writeJSON(w, http.StatusInternalServerError, errorBody("Runtime API is shutting down", "ServiceUnavailable"))
		}
		return
	}

	h := w.Header()
	h.Set(HeaderRequestID, c.inv.RequestID)
	h.Set(HeaderDeadlineMs, strconv.FormatInt(c.inv.Deadline.UnixMilli(), 10))
	h.Set(HeaderFunctionARN, c.inv.FunctionARN)
	if c.inv.TraceID != "" {
		h.Set(HeaderTraceID, c.inv.TraceID)
	}
	if c.inv.ClientContext != "" {
		h.Set(HeaderClientContext, c.inv.ClientContext)
	}
	if c.inv.CognitoIdentity != "" {
		h.Set(HeaderCognitoIdentity, c.inv.CognitoIdentity)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(c.inv.Payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(c.inv.Payload)
}

func (s *Server) response(w http.ResponseWriter, r *http.Request) {
	s.settle(w, r, false)
}

func (s *Server) invocationError(w http.ResponseWriter, r *http.Request) {
	s.settle(w, r, true)
}

// settle serves the response and error posts of an invocation.
func (s *Server) settle(w http.ResponseWriter, r *http.Request, isError bool) {
	id := r.PathValue("id")
	body, tooLarge, err := s.readBody(r)
	if err != nil {
		// The connection broke; nobody is listening for our answer.
		s.log.Debug("reading runtime post", "request_id", id, "err", err)
		return
	}

	s.mu.Lock()
	c := s.current
	if c == nil || c.inv.RequestID != id {
		s.mu.Unlock()
		s.log.Warn("runtime answered an invocation that is not in flight; dropped", "request_id", id)
		writeAccepted(w)
		return
	}
	s.current = nil
	s.mu.Unlock()

	resp := Response{Payload: body}
	switch {
	case tooLarge:
		resp = Response{
			Error:     true,
			ErrorType: "Function.ResponseSizeTooLarge",
			Payload:   errorBody(fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", s.maxBody), "Function.ResponseSizeTooLarge"),
			Discard:   true,
		}
	case isError:
		resp.Error = true
		resp.ErrorType = errorType(r.Header.Get(HeaderErrorType), body)
	case r.Trailer.Get(HeaderErrorType) != "":
		// A streamed response failed midway (aws-lambda-go sends the error
		// in trailers): the error document replaces the partial payload.
		resp.Error = true
		resp.ErrorType = r.Trailer.Get(HeaderErrorType)
		resp.Payload = errorBody("", resp.ErrorType)
		if b, err := base64.StdEncoding.DecodeString(r.Trailer.Get(HeaderErrorBody)); err == nil && len(b) > 0 {
			resp.Payload = b
		}
	}
	c.answer <- resp

	if tooLarge {
		w.Header().Set("Connection", "close")
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody(
			fmt.Sprintf("Exceeded maximum allowed payload size (%d bytes).", s.maxBody), "RequestEntityTooLarge"))
		return
	}
	writeAccepted(w)
}

func (s *Server) initError(w http.ResponseWriter, r *http.Request) {
	body, _, err := s.readBody(r)
	if err != nil {
		s.log.Debug("reading runtime init error", "err", err)
		return
	}
	ie := InitError{Payload: body, ErrorType: errorType(r.Header.Get(HeaderErrorType), body)}
	s.mu.Lock()
	switch {
	case s.isReady:
		// AWS answers 403 here; a runtime that does this is past its init
		// and may still be serving, so acknowledge and drop.
		s.mu.Unlock()
		s.log.Warn("runtime posted an init error after its initialization; dropped", "error_type", ie.ErrorType)
	case s.initErr != nil:
		s.mu.Unlock()
	default:
		s.initErr = &ie
		close(s.initFail)
		s.mu.Unlock()
	}
	writeAccepted(w)
}

// readBody reads a posted payload up to the limit; tooLarge reports that it
// was longer (the body is then not read to its end).
func (s *Server) readBody(r *http.Request) (body []byte, tooLarge bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r.Body, s.maxBody+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(body)) > s.maxBody {
		return nil, true, nil
	}
	return body, false, nil
}

// errorType prefers the header, then the errorType field of the body.
func errorType(header string, body []byte) string {
	var doc struct {
		ErrorType string `json:"errorType"`
	}
	if json.Unmarshal(body, &doc) == nil && doc.ErrorType != "" && (header == "" || header == "Unhandled") {
		return doc.ErrorType
	}
	if header != "" {
		return header
	}
	return "Unhandled"
}

func errorBody(msg, typ string) []byte {
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{msg, typ})
	return b
}

func writeAccepted(w http.ResponseWriter) {
	writeJSON(w, http.StatusAccepted, []byte(`{"status":"OK"}`))
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// admitListener closes the connections its admit function refuses.
type admitListener struct {
	net.Listener
	admit func(net.Conn) bool
	log   *slog.Logger
}

func (l *admitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || l.admit(c) {
			return c, err
		}
		if l.log != nil {
			l.log.Warn("runtime API: connection refused", "from", c.RemoteAddr().String())
		}
		_ = c.Close()
	}
}
