// Package awsproto is the AWS protocol plumbing shared by Reservoir's wire
// layers: request IDs and the request-scoped logger (Middleware), who is
// calling (ParseCaller: account and region from the SigV4 credential
// scope), signature checks (RequireSigV4), presigned URLs, capped decoding,
// one error writer per protocol (REST-JSON WriteError, query WriteQueryError,
// JSON 1.0/1.1 and RPC v2 CBOR WriteRPCError, S3's REST-XML WriteS3Error),
// and the Router that serves every AWS service on one endpoint.
//
// The Router sends each request to the service its SigV4 scope names, or,
// unsigned, the one its protocol markers name; services register with
// Router.Register (a handler and what marks its requests) or, for the
// JSON, CBOR and query protocols, Router.RegisterRPC with an RPCService: a
// table of operations made with Op from typed handlers, func(ctx, *In)
// (*Out, error), and the service's one error table. The same table serves
// JSON 1.0/1.1, RPC v2 CBOR and the query protocol (XML answers); wire
// shapes carry json tags (CBOR and the query codec read them too) and
// times as Timestamp. A request for a service nobody registered is
// answered 501 NotImplemented in that service's protocol, which
// models_gen.go (generated from botocore's models) knows for every AWS
// service.
package awsproto

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/google/uuid"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// DefaultAccount is the account of callers whose access key is not a
// 12-digit account ID.
const DefaultAccount = "000000000000"

// DefaultRegion is the region of unsigned requests.
const DefaultRegion = "us-east-1"

// Caller is who sent a request, read from its SigV4 credential scope.
type Caller struct {
	AccessKey string
	Account   string
	Region    string
	Service   string
}

var accountKeyRE = regexp.MustCompile(`^\d{12}$`)

// ParseCaller reads the credential scope of the Authorization header
// ("AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...")
// or of a presigned URL's X-Amz-Credential. The account is the access key
// when that is 12 digits, else DefaultAccount. It never fails: a request
// without a well-formed scope gets the defaults. The header is parsed by the
// same strict parser that --auth sigv4 verifies signatures with, so a
// verified request acts in exactly the scope it was signed for.
func ParseCaller(r *http.Request) Caller {
	c := Caller{Account: DefaultAccount, Region: DefaultRegion}
	if auth := r.Header.Get("Authorization"); auth != "" {
		a, ok := parseAuthHeader(auth)
		if !ok {
			return c
		}
		c.AccessKey, c.Region, c.Service = a.accessKey, a.region, a.service
	} else if parts := strings.Split(r.URL.Query().Get("X-Amz-Credential"), "/"); len(parts) == 5 && parts[4] == "aws4_request" && parts[0] != "" && parts[2] != "" {
		c.AccessKey, c.Region, c.Service = parts[0], parts[2], parts[3]
	}
	c.Account = AccountOfKey(c.AccessKey)
	return c
}

// AccountOfKey is the account an access key acts in: the key itself when it
// is 12 digits, else DefaultAccount.
func AccountOfKey(accessKey string) string {
	if accountKeyRE.MatchString(accessKey) {
		return accessKey
	}
	return DefaultAccount
}

type ctxKey int

const (
	requestIDKey ctxKey = iota
	stateKey
	callerKey
)

// RequestID returns the request's ID ("" outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// requestState is what the plumbing knows of a request as it is served:
// its ID, and the service, protocol and operation the router and the wire
// layer find. The request-scoped logger is made from it on demand: most
// requests log nothing, so the attributes are not formatted up front. It is
// written only by the goroutine serving the request, before anything it
// starts reads it.
type requestState struct {
	base             *slog.Logger
	id, method, path string
	service          string // the service's signing name
	protocol         Protocol
	operation        string
}

func (rs *requestState) logger() *slog.Logger {
	attrs := make([]any, 0, 10)
	attrs = append(attrs, "request_id", rs.id, "method", rs.method, "path", rs.path)
	if rs.service != "" {
		attrs = append(attrs, "service", rs.service)
	}
	if rs.operation != "" {
		attrs = append(attrs, "operation", rs.operation)
	}
	return rs.base.With(attrs...)
}

func stateOf(ctx context.Context) *requestState {
	rs, _ := ctx.Value(stateKey).(*requestState)
	return rs
}

// withState returns r with a request state, the one Middleware made or a
// new one (a router used without Middleware, in tests).
func withState(r *http.Request) (*requestState, *http.Request) {
	if rs := stateOf(r.Context()); rs != nil {
		return rs, r
	}
	rs := &requestState{base: slog.New(slog.DiscardHandler), method: r.Method, path: r.URL.Path}
	return rs, r.WithContext(context.WithValue(r.Context(), stateKey, rs))
}

// Logger returns the request-scoped logger.
func Logger(ctx context.Context) *slog.Logger {
	if rs := stateOf(ctx); rs != nil {
		return rs.logger()
	}
	return slog.New(slog.DiscardHandler)
}

// SetOperation names the operation a request calls, for the log: the
// router names it for the RPC protocols, and a wire layer that finds it
// itself (a REST route, a query Action) says so here.
func SetOperation(ctx context.Context, op string) {
	if rs := stateOf(ctx); rs != nil {
		rs.operation = op
	}
}

// requestProtocol is the protocol the router found a request to speak (0
// outside a routed request).
func requestProtocol(ctx context.Context) Protocol {
	if rs := stateOf(ctx); rs != nil {
		return rs.protocol
	}
	return 0
}

// NewRequestID returns a random UUID.
func NewRequestID() string { return uuid.NewString() }

// Middleware gives every request an ID (header X-Amzn-RequestId), a
// request-scoped logger, and turns a panic into a generic 500, in the
// request's protocol, so that none reaches the client. With debug logging
// on, it logs one "request" line per request, with the service and
// operation the router and the wire layer named, its status and duration;
// off, it costs no more than the ID and the logger.
func Middleware(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := NewRequestID()
		w.Header().Set("X-Amzn-RequestId", id)
		rl := &requestState{base: logger, id: id, method: r.Method, path: r.URL.Path}
		ctx := context.WithValue(context.WithValue(r.Context(), requestIDKey, id), stateKey, rl)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				rl.logger().Error("panic serving request", "panic", v)
				writeInternalError(w, r.WithContext(ctx), rl.protocol)
			}
		}()
		if !logger.Enabled(ctx, slog.LevelDebug) {
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(ctx))
		rl.logger().Debug("request", "status", sw.status, "duration", time.Since(start))
	})
}

// statusWriter remembers the status a handler wrote (for the debug log).
type statusWriter struct {
	http.ResponseWriter
	status int
}

// Unwrap lets http.ResponseController reach the connection (to flush a
// stream).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Error is an AWS error as it goes on the wire.
type Error struct {
	Status  int
	Code    string // X-Amzn-ErrorType
	Message string
	// CapitalMessage writes "Message" instead of "message" (AWS does so for
	// ResourceNotFoundException).
	CapitalMessage bool
	// WithType adds "Type": TypeValue (default "User").
	WithType  bool
	TypeValue string
	// Extra members, e.g. a throttle's "Reason".
	Extra map[string]string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// WriteError writes e as AWS's JSON error envelope.
func WriteError(w http.ResponseWriter, r *http.Request, e *Error) {
	body := make(map[string]string, 3+len(e.Extra))
	if e.CapitalMessage {
		body["Message"] = e.Message
	} else {
		body["message"] = e.Message
	}
	if e.WithType {
		t := e.TypeValue
		if t == "" {
			t = "User"
		}
		body["Type"] = t
	}
	for k, v := range e.Extra {
		body[k] = v
	}
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	WriteJSON(w, e.Status, body)
}

// WriteJSON writes v as the response body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only programming errors get here; the shapes are plain structs.
		status, b = 500, []byte(`{"Type":"Service","message":"An internal error occurred."}`)
		w.Header().Set("X-Amzn-ErrorType", "ServiceException")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// WriteEmpty writes a response without a body.
func WriteEmpty(w http.ResponseWriter, status int) {
	w.WriteHeader(status)
}

// ErrTooLarge is returned by ReadBody when the body exceeds its cap.
var ErrTooLarge = errors.New("request body too large")

// ReadBody reads at most max bytes of the request body.
func ReadBody(r *http.Request, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, ErrTooLarge
	}
	return b, nil
}

// DecodeJSON decodes a JSON request body of at most max bytes into v. An
// empty body decodes as {}. A body that is not valid JSON for v's shape is an
// InvalidRequestContentException; one over max a RequestEntityTooLargeException.
func DecodeJSON(r *http.Request, max int64, operation string, v any) error {
	b, err := ReadBody(r, max)
	if errors.Is(err, ErrTooLarge) {
		return &Error{Status: 413, Code: "RequestEntityTooLargeException", WithType: true,
			Message: fmt.Sprintf("Request must be smaller than %d bytes for the %s operation", max, operation)}
	}
	if err != nil {
		return &Error{Status: 400, Code: "InvalidRequestContentException", WithType: true, Message: "Could not read request body."}
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return &Error{Status: 400, Code: "InvalidRequestContentException", WithType: true,
			Message: "Could not parse request body into json: " + describeJSONError(err)}
	}
	return nil
}

func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("Cannot deserialize value of type %s from %s at field '%s'", te.Type, te.Value, te.Field)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("Unexpected character at offset %d: %s", se.Offset, se.Error())
	}
	return err.Error()
}

// QueryInt parses an integer query parameter; absent is 0.
func QueryInt(q url.Values, name string) (int, error) {
	s := q.Get(name)
	if s == "" {
		return 0, nil
	}
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || fmt.Sprint(n) != s {
		return 0, &Error{Status: 400, Code: "InvalidParameterValueException", WithType: true,
			Message: fmt.Sprintf("Value '%s' at '%s' is not a valid integer.", s, name)}
	}
	return n, nil
}
