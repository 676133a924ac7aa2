// Package iamapi is the wire layer of Reservoir's IAM and STS: the AWS query
// protocol (Action=...&Version=... as a POST form or a GET query string) in,
// IAM 2010-05-08 and STS 2011-06-15 XML out. It translates between the wire
// and internal/iam and decides nothing itself.
//
// One handler serves both services. A request whose Version is 2011-06-15 (or
// that has no Version and names an STS action, GetCallerIdentity) is an STS
// request; every other request is an IAM request. The caller decides which
// requests reach the handler and says which account each one acts for.
package iamapi

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"github.com/google/uuid"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/iam"
)

// MaxBodyBytes caps the body of a request; the largest IAM document is 128 KiB.
const MaxBodyBytes = 1 << 20

// api is one of the two services the handler speaks for.
type api struct {
	version   string
	namespace string
	ops       map[string]operation
}

// operation serves one action. It returns the content of the action's Result
// element, or nil for an action without one.
type operation func(r *request) (any, error)

// request is what an operation gets to work with.
type request struct {
	ctx     context.Context
	account string
	params  params
}

type handler struct {
	iam        api
	sts        api
	accountFor func(*http.Request) string
	logger     *slog.Logger
}

// NewHandler returns the handler of IAM and STS actions backed by svc.
// accountFor returns the 12-digit account a request acts for; an empty
// result is a wiring error and answered with a 500. A nil logger discards.
func NewHandler(svc *iam.Service, accountFor func(*http.Request) string, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &handler{
		iam:        api{version: iamVersion, namespace: iamNamespace, ops: iamRoutes(svc)},
		sts:        api{version: stsVersion, namespace: stsNamespace, ops: stsRoutes()},
		accountFor: accountFor,
		logger:     logger,
	}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := awsproto.RequestID(r.Context()) // awsproto.Middleware's, in its header already
	if reqID == "" {
		reqID = newRequestID()
		w.Header().Set("X-Amzn-Requestid", reqID)
	}
	// Until the request names its service, errors are answered as IAM's.
	c := &call{api: &h.iam, log: h.logger.With("request_id", reqID)}
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("iamapi: panic serving request", "panic", v)
			writeError(w, c.log, c.api.namespace, reqID, errors.New("iamapi: panic"))
		}
	}()
	body, err := h.serve(w, r, c, reqID)
	if err != nil {
		writeError(w, c.log, c.api.namespace, reqID, err)
		return
	}
	c.log.Debug("iamapi: served")
	writeXML(w, http.StatusOK, body)
}

// call is what ServeHTTP learns about a request as serve parses it.
type call struct {
	api *api
	log *slog.Logger
}

// serve runs the request's action and returns the response body.
func (h *handler) serve(w http.ResponseWriter, r *http.Request, c *call, reqID string) ([]byte, error) {
	values, err := readParams(w, r)
	if err != nil {
		return nil, err
	}
	action, version := values.Get("Action"), values.Get("Version")
	if version == stsVersion || (version == "" && h.sts.ops[action] != nil) {
		c.api = &h.sts
	}
	c.log = c.log.With("action", action)
	awsproto.SetOperation(r.Context(), action)
	if action == "" {
		return nil, errMissingAction()
	}
	op := c.api.ops[action]
	if op == nil {
		if version == "" {
			version = c.api.version
		}
		return nil, errInvalidAction(action, version)
	}
	account := ""
	if h.accountFor != nil {
		account = h.accountFor(r)
	}
	if account == "" {
		return nil, errors.New("iamapi: accountFor returned no account")
	}
	c.log = c.log.With("account", account)
	result, err := op(&request{ctx: r.Context(), account: account, params: params(values)})
	if err != nil {
		return nil, err
	}
	return encodeResult(c.api.namespace, action, reqID, result)
}

// readParams returns the query string's parameters, overridden by a POST
// body's. The body is read whatever its Content-Type, up to MaxBodyBytes.
func readParams(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return nil, errMethodNotAllowed(r.Method)
	}
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errMalformedQuery()
	}
	if r.Method != http.MethodPost || r.Body == nil {
		return values, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errMalformedQuery()
	}
	for k, v := range form {
		values[k] = v
	}
	return values, nil
}

// encodeResult renders a successful response:
// <ActionResponse xmlns=NS><ActionResult>result</ActionResult>
// <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></ActionResponse>.
func encodeResult(namespace, action, reqID string, result any) ([]byte, error) {
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	root := xml.StartElement{
		Name: xml.Name{Local: action + "Response"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: namespace}},
	}
	if err := enc.EncodeToken(root); err != nil {
		return nil, err
	}
	if result != nil {
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			return nil, err
		}
	}
	if err := enc.EncodeElement(responseMetadata{RequestID: reqID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}); err != nil {
		return nil, err
	}
	if err := enc.EncodeToken(root.End()); err != nil {
		return nil, err
	}
	if err := enc.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeXML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// newRequestID returns a random (version 4) UUID.
func newRequestID() string { return uuid.NewString() }
