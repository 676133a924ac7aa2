package awsproto

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// RPCService is a service of the JSON 1.0/1.1 protocol, optionally also
// served over RPC v2 CBOR and the AWS query protocol (CloudWatch speaks all
// three), declared as a table of typed operations. A wire package builds
// one and the app registers it with Router.RegisterRPC; the plumbing reads
// the operation from X-Amz-Target, the CBOR path or the query Action,
// decodes the body (capped) into the operation's input, calls it with the
// caller in its context (CallerOf), and writes its output or error in the
// protocol the request came in.
//
// Wire structs carry json tags, which all three protocols read: JSON and
// CBOR as the member names, the query protocol as its parameter and XML
// element names (a `query:"Name,flattened"` tag overrides the name or
// marks a flattened list or map; query.go has the rules). Times are
// Timestamp. A query parameter that does not parse as its member's type is
// 400 InvalidParameterValue (JSON and CBOR: SerializationException); a form
// that does not parse, MalformedQueryString.
type RPCService struct {
	// SigningName is the service of the SigV4 credential scope ("logs").
	SigningName string
	// TargetPrefix: JSON requests carry X-Amz-Target: <TargetPrefix>.<Op>.
	TargetPrefix string
	// JSONVersion is JSON10 or JSON11: the Content-Type of JSON answers.
	JSONVersion Protocol
	// CBORService, if set, also serves RPC v2 CBOR requests, POST
	// /service/<CBORService>/operation/<Op> (Smithy-Protocol: rpc-v2-cbor).
	CBORService string
	// QueryVersion, if set, also serves the AWS query protocol: form
	// requests (POST, or GET with a query string) carrying Action=<Op> and
	// Version=<QueryVersion> (a request without a Version is taken as this
	// one), answered in XML under QueryNamespace.
	QueryVersion   string
	QueryNamespace string
	// MaxBodyBytes caps a request body (0: DefaultMaxRPCBody); a larger one
	// is refused with 413 before any operation runs.
	MaxBodyBytes int64
	// Operations is the operation table: name → Op(handler). A name not in
	// it is answered 400 UnknownOperationException.
	Operations map[string]Operation
	// Errors is the service's one error table: the wire error of a domain
	// error, ok false for an error it does not know, which is logged and
	// answered 500 InternalFailure. An *RPCError needs no entry. nil: only
	// *RPCError is known.
	Errors func(error) (e *RPCError, ok bool)
}

// DefaultMaxRPCBody is RPCService.MaxBodyBytes when unset.
const DefaultMaxRPCBody = 1 << 20

// Operation is one entry of an operation table; make it with Op.
type Operation struct {
	call func(ctx context.Context, decode func(any) error) (any, error)
}

// Op makes an operation of a typed handler. The request body decodes into a
// new In (an empty body as the zero In); a body that does not is a 400
// SerializationException and h is not called. h's *Out is the response
// body (nil answers an empty structure); its error goes through the
// service's error table.
func Op[In, Out any](h func(context.Context, *In) (*Out, error)) Operation {
	return Operation{call: func(ctx context.Context, decode func(any) error) (any, error) {
		in := new(In)
		if err := decode(in); err != nil {
			return nil, err
		}
		out, err := h(ctx, in)
		if err != nil {
			return nil, err
		}
		if out == nil {
			return struct{}{}, nil
		}
		return out, nil
	}}
}

// CallerOf returns the caller of an RPC operation (zero outside one).
func CallerOf(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey).(Caller)
	return c
}

// RegisterRPC registers an RPC service: its handler (guarded as every
// service's), its signing name, target prefix, CBOR service and query
// version. Unsigned query requests reach it by their Version (it
// registers no QueryActions: its action names are other services' too).
func (rt *Router) RegisterRPC(s RPCService) error {
	h, err := newRPCHandler(s)
	if err != nil {
		return err
	}
	return rt.Register(Service{SigningName: s.SigningName, TargetPrefix: s.TargetPrefix, CBORService: s.CBORService,
		QueryVersion: s.QueryVersion, Handler: h})
}

// rpcHandler serves an RPCService.
type rpcHandler struct {
	s   RPCService
	enc cbor.EncMode
	dec cbor.DecMode
}

func newRPCHandler(s RPCService) (*rpcHandler, error) {
	if s.SigningName == "" || s.TargetPrefix == "" || !s.JSONVersion.isJSON() {
		return nil, fmt.Errorf("awsproto: RPC service %q needs a signing name, a target prefix and JSON10 or JSON11", s.SigningName)
	}
	if (s.QueryVersion == "") != (s.QueryNamespace == "") {
		return nil, fmt.Errorf("awsproto: RPC service %q needs both a query version and a query namespace, or neither", s.SigningName)
	}
	for name, op := range s.Operations {
		if op.call == nil {
			return nil, fmt.Errorf("awsproto: operation %s of %s was not made with Op", name, s.SigningName)
		}
	}
	if s.MaxBodyBytes <= 0 {
		s.MaxBodyBytes = DefaultMaxRPCBody
	}
	enc, err := cbor.EncOptions{
		Time: cbor.TimeUnixDynamic, TimeTag: cbor.EncTagRequired,
		NilContainers: cbor.NilContainerAsEmpty, // a nil list is [], as the SDKs expect of a list
	}.EncMode()
	if err != nil {
		return nil, err
	}
	dec, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF, // a member twice is an error, not last-wins
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		MaxNestedLevels:   32,
	}.DecMode()
	if err != nil {
		return nil, err
	}
	return &rpcHandler{s: s, enc: enc, dec: dec}, nil
}

func (h *rpcHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, opName := h.s.JSONVersion, ""
	svc, op, isCBOR := cborPath(r.URL.Path)
	switch {
	case isCBOR && h.s.CBORService != "":
		p, opName = RPCv2CBOR, op
		if svc != h.s.CBORService {
			opName = ""
		}
	case h.s.QueryVersion != "" && isQueryRequest(r):
		h.serveQuery(w, r)
		return
	default:
		m := readMarkers(r)
		if m.targetPrefix == h.s.TargetPrefix {
			opName = m.targetOp
		}
	}
	if rs := stateOf(r.Context()); rs != nil {
		rs.protocol = p
		if opName != "" {
			rs.operation = opName
		}
	}
	out, err := h.serve(r, p, opName)
	if err != nil {
		h.writeError(w, r, p, err)
		return
	}
	b, err := h.encode(p, out)
	if err != nil {
		h.writeError(w, r, p, fmt.Errorf("encode %s output: %w", opName, err))
		return
	}
	if p == RPCv2CBOR {
		w.Header().Set("Smithy-Protocol", smithyProtocolCBOR)
	}
	writeBody(w, http.StatusOK, p.contentType(), b)
}

func (h *rpcHandler) serve(r *http.Request, p Protocol, opName string) (any, error) {
	op, ok := h.s.Operations[opName]
	if !ok || r.Method != http.MethodPost {
		return nil, h.unknownOperation(r, p, opName)
	}
	body, err := readRPCBody(r, h.s.MaxBodyBytes)
	if errors.Is(err, ErrTooLarge) {
		return nil, &RPCError{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLargeException",
			Message: fmt.Sprintf("Request body must not be larger than %d bytes.", h.s.MaxBodyBytes)}
	}
	if err != nil {
		return nil, errSerialization("Could not read the request body.")
	}
	ctx := context.WithValue(r.Context(), callerKey, ParseCaller(r))
	return op.call(ctx, func(in any) error { return h.decode(p, body, in) })
}

func (h *rpcHandler) unknownOperation(r *http.Request, p Protocol, opName string) error {
	target := r.Header.Get("X-Amz-Target")
	if p == RPCv2CBOR {
		target = r.URL.Path
	}
	switch {
	case opName == "" && target == "":
		return &RPCError{Status: http.StatusBadRequest, Code: "UnknownOperationException",
			Message: fmt.Sprintf("The request names no operation: %s requests carry X-Amz-Target: %s.<Operation>.", h.s.SigningName, h.s.TargetPrefix)}
	case r.Method != http.MethodPost && opName != "":
		return &RPCError{Status: http.StatusBadRequest, Code: "UnknownOperationException",
			Message: fmt.Sprintf("Operation %s takes POST, not %s.", opName, r.Method)}
	}
	return &RPCError{Status: http.StatusBadRequest, Code: "UnknownOperationException",
		Message: fmt.Sprintf("Unknown operation %s.", target)}
}

// readRPCBody reads a request body of at most max bytes, gunzipped when
// its Content-Encoding says gzip (the SDKs compress CloudWatch's
// PutMetricData): max caps both the compressed and the inflated body.
func readRPCBody(r *http.Request, max int64) ([]byte, error) {
	body, err := ReadBody(r, max)
	if err != nil || !strings.EqualFold(strings.TrimSpace(r.Header.Get("Content-Encoding")), "gzip") {
		return body, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	inflated, err := io.ReadAll(io.LimitReader(zr, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(inflated)) > max {
		return nil, ErrTooLarge
	}
	return inflated, nil
}

// errSerialization is AWS's answer to a body that does not decode.
func errSerialization(msg string) *RPCError {
	return &RPCError{Status: http.StatusBadRequest, Code: "SerializationException", Message: msg}
}

func (h *rpcHandler) decode(p Protocol, body []byte, in any) error {
	if p == RPCv2CBOR {
		if len(body) == 0 {
			return nil
		}
		if err := h.dec.Unmarshal(body, in); err != nil {
			return errSerialization("Could not decode the CBOR request body: " + describeCBORError(err))
		}
		return nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, in); err != nil {
		return errSerialization("Could not decode the JSON request body: " + describeJSONError(err))
	}
	return nil
}

func describeCBORError(err error) string {
	var te *cbor.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("cannot decode %s into %s", te.CBORType, te.GoType)
	}
	return err.Error()
}

func (h *rpcHandler) encode(p Protocol, out any) ([]byte, error) {
	if p == RPCv2CBOR {
		return h.enc.Marshal(out)
	}
	return json.Marshal(out)
}

// writeError is the one place an RPC operation's error becomes a response:
// an *RPCError as it is, a domain error through the service's error table,
// anything else a logged 500 InternalFailure.
func (h *rpcHandler) writeError(w http.ResponseWriter, r *http.Request, p Protocol, err error) {
	l := Logger(r.Context())
	var we *RPCError
	switch {
	case errors.As(err, &we):
	case h.s.Errors != nil && isMapped(h.s.Errors, err, &we):
	case errors.Is(err, context.Canceled):
		l.Debug("request canceled", "err", err)
		we = &RPCError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: internalFailureMessage}
	default:
		l.Error("server error", "err", err)
		we = &RPCError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: internalFailureMessage}
	}
	if we.Status < http.StatusInternalServerError {
		l.Debug("client error", "code", we.Code, "msg", we.Message)
	}
	if p == Query {
		code := we.Code
		if we.QueryCode != "" {
			code = we.QueryCode
		}
		WriteQueryError(w, queryRequestID(w, r), h.s.QueryNamespace,
			&QueryError{Status: we.Status, Code: code, Message: we.Message, Receiver: we.Status >= http.StatusInternalServerError})
		return
	}
	WriteRPCError(w, p, we)
}

// isQueryRequest reports whether r, for a service that also speaks the
// query protocol, is a query request: shaped as one (a form POST of /, or
// a GET of / with an Action) and not typed as JSON or CBOR.
func isQueryRequest(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/x-amz-json") || strings.HasPrefix(ct, "application/cbor") {
		return false
	}
	return readMarkers(r).queryShaped(r)
}

// serveQuery serves a query-protocol request: Action and Version from the
// query string and the form body, the rest into the operation's input,
// its output as <OpResponse> XML.
func (h *rpcHandler) serveQuery(w http.ResponseWriter, r *http.Request) {
	if rs := stateOf(r.Context()); rs != nil {
		rs.protocol = Query
	}
	op, out, err := h.query(r)
	if err != nil {
		h.writeError(w, r, Query, err)
		return
	}
	b, err := encodeQueryResponse(op, h.s.QueryNamespace, queryRequestID(w, r), out)
	if err != nil {
		h.writeError(w, r, Query, fmt.Errorf("encode %s output: %w", op, err))
		return
	}
	writeBody(w, http.StatusOK, "text/xml", b)
}

func (h *rpcHandler) query(r *http.Request) (string, any, error) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return "", nil, &RPCError{Status: http.StatusMethodNotAllowed, Code: "MethodNotAllowed",
			Message: "The " + r.Method + " method is not allowed; use GET or POST."}
	}
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "", nil, errMalformedQuery()
	}
	if r.Method == http.MethodPost {
		body, err := readRPCBody(r, h.s.MaxBodyBytes)
		if errors.Is(err, ErrTooLarge) {
			return "", nil, &RPCError{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge",
				Message: fmt.Sprintf("Request body must not be larger than %d bytes.", h.s.MaxBodyBytes)}
		}
		if err != nil {
			return "", nil, errMalformedQuery()
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return "", nil, errMalformedQuery()
		}
		for k, v := range form {
			values[k] = v
		}
	}
	action, version := values.Get("Action"), values.Get("Version")
	if action == "" {
		return "", nil, &RPCError{Status: http.StatusBadRequest, Code: "MissingAction",
			Message: "The request is missing an action or a required parameter."}
	}
	SetOperation(r.Context(), action)
	op, ok := h.s.Operations[action]
	if version == "" {
		version = h.s.QueryVersion
	}
	if !ok || version != h.s.QueryVersion {
		return "", nil, &RPCError{Status: http.StatusBadRequest, Code: "InvalidAction",
			Message: fmt.Sprintf("Could not find operation %s for version %s", action, version)}
	}
	ctx := context.WithValue(r.Context(), callerKey, ParseCaller(r))
	out, err := op.call(ctx, func(in any) error { return decodeQuery(values, in) })
	return action, out, err
}

func errMalformedQuery() *RPCError {
	return &RPCError{Status: http.StatusBadRequest, Code: "MalformedQueryString",
		Message: "The request body or query string is not valid form encoding."}
}

// queryRequestID is the request's ID for the XML envelope: Middleware's, or
// a new one (also sent as X-Amzn-RequestId) outside it.
func queryRequestID(w http.ResponseWriter, r *http.Request) string {
	if id := RequestID(r.Context()); id != "" {
		return id
	}
	if id := w.Header().Get("X-Amzn-RequestId"); id != "" {
		return id
	}
	id := NewRequestID()
	w.Header().Set("X-Amzn-RequestId", id)
	return id
}

func isMapped(table func(error) (*RPCError, bool), err error, out **RPCError) bool {
	e, ok := table(err)
	if ok && e != nil {
		*out = e
		return true
	}
	return false
}

// Timestamp is a time on the JSON and CBOR RPC wires, to the millisecond:
// epoch seconds as a JSON number (1700000000.123), and a CBOR tag 1 (epoch
// seconds, an integer when whole). time.Time itself would be an RFC 3339
// string in JSON.
type Timestamp struct{ time.Time }

// NewTimestamp returns t as a Timestamp.
func NewTimestamp(t time.Time) Timestamp { return Timestamp{t} }

func (t Timestamp) epochSeconds() (whole int64, frac float64, isWhole bool) {
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		return ms / 1000, 0, true
	}
	return 0, float64(ms) / 1000, false
}

// MarshalJSON writes epoch seconds.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	w, f, whole := t.epochSeconds()
	if whole {
		return strconv.AppendInt(nil, w, 10), nil
	}
	return strconv.AppendFloat(nil, f, 'f', -1, 64), nil
}

// UnmarshalJSON reads epoch seconds (an integer or a fraction); null leaves
// t unchanged.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return &json.UnmarshalTypeError{Value: "non-number", Type: reflect.TypeFor[Timestamp]()}
	}
	f, err := n.Float64()
	if err != nil || !validEpoch(f) {
		return &json.UnmarshalTypeError{Value: "number " + n.String(), Type: reflect.TypeFor[Timestamp]()}
	}
	t.Time = epochToTime(f)
	return nil
}

// MarshalCBOR writes tag 1 with epoch seconds.
func (t Timestamp) MarshalCBOR() ([]byte, error) {
	w, f, whole := t.epochSeconds()
	if whole {
		return cbor.Marshal(cbor.Tag{Number: 1, Content: w})
	}
	return cbor.Marshal(cbor.Tag{Number: 1, Content: f})
}

// UnmarshalCBOR reads a CBOR time: tag 1 (epoch seconds, integer or
// floating point), as RPC v2 CBOR sends it.
func (t *Timestamp) UnmarshalCBOR(b []byte) error {
	var tag cbor.Tag
	if err := cbor.Unmarshal(b, &tag); err != nil || tag.Number != 1 {
		return &cbor.UnmarshalTypeError{CBORType: "non-timestamp", GoType: "awsproto.Timestamp"}
	}
	var secs float64
	switch v := tag.Content.(type) {
	case uint64:
		secs = float64(v)
	case int64:
		secs = float64(v)
	case float64:
		secs = v
	default:
		return &cbor.UnmarshalTypeError{CBORType: "tag 1 of a non-number", GoType: "awsproto.Timestamp"}
	}
	if !validEpoch(secs) {
		return &cbor.UnmarshalTypeError{CBORType: "tag 1 out of range", GoType: "awsproto.Timestamp"}
	}
	t.Time = epochToTime(secs)
	return nil
}

// maxEpoch is the last second of year 9999: later, or earlier than its
// negative, is no time a service takes.
const maxEpoch = 253402300799

func validEpoch(secs float64) bool {
	return !math.IsNaN(secs) && math.Abs(secs) <= maxEpoch
}

// epochToTime converts epoch seconds to a time, to the millisecond.
func epochToTime(secs float64) time.Time {
	return time.UnixMilli(int64(math.Round(secs * 1000))).UTC()
}
