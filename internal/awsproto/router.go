package awsproto

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Service is one AWS service served on the endpoint, as it registers with a
// Router: the signing name its signed requests carry, what marks its
// unsigned requests, and the handler that serves every request routed to it
// (answering its own unknown operations in its own protocol).
type Service struct {
	// SigningName is the service of its SigV4 credential scope ("lambda",
	// "iam", "logs", "monitoring"). Required and unique.
	SigningName string
	// Handler serves the service's requests.
	Handler http.Handler

	// What routes its unsigned requests; zero for a protocol it does not
	// speak. Each value may be registered by one service only.

	// TargetPrefix: JSON 1.0/1.1 requests carry X-Amz-Target: <TargetPrefix>.<Op>.
	TargetPrefix string
	// CBORService: RPC v2 CBOR requests are POST /service/<CBORService>/operation/<Op>.
	CBORService string
	// QueryVersion and QueryActions: query requests (Action=...) whose
	// Version is QueryVersion, or without a Version, whose Action is one of
	// QueryActions. An unsigned query request that names neither goes to
	// the first service registered with a QueryVersion.
	QueryVersion string
	QueryActions []string
	// REST: the service takes the unsigned requests no marker routes (at
	// most one service: Lambda's REST paths).
	REST bool
}

// RouterOptions configure a Router.
type RouterOptions struct {
	// Logger logs the requests for services not served, at Warn (nil: discard).
	Logger *slog.Logger
	// Guard, if set, wraps every registered service's handler: the
	// signature check of --auth sigv4. Reservoir's own endpoints and the
	// answers for services not served are not guarded.
	Guard func(http.Handler) http.Handler
	// Own serves Reservoir's own endpoints (health, metrics): GET requests
	// without protocol markers whose pattern it matches, unsigned or signed
	// for a served service.
	Own *http.ServeMux
}

// Router dispatches every request on the endpoint to the service it is for:
// the one named by its SigV4 credential scope (Authorization header or
// presigned X-Amz-Credential), or, for a request without a signature, the
// one its protocol markers name (X-Amz-Target, an RPC v2 CBOR path, a query
// Action and Version, else the REST service). A request for a service
// Reservoir does not serve is answered, in that service's own protocol
// (from botocore's models), with 501 NotImplemented naming the service (a
// status SDKs do not retry), and logged at Warn. Register every service
// before serving; then a Router is safe for concurrent use.
type Router struct {
	log   *slog.Logger
	guard func(http.Handler) http.Handler
	own   *http.ServeMux

	bySigning      map[string]*route
	byTarget       map[string]*route
	byCBOR         map[string]*route
	byQueryVersion map[string]*route
	byQueryAction  map[string]*route
	queryDefault   *route
	rest           *route

	models models
}

// route is a registered service.
type route struct {
	signing string
	handler http.Handler // guarded
}

// NewRouter returns a router without services.
func NewRouter(o RouterOptions) *Router {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Router{
		log: o.Logger, guard: o.Guard, own: o.Own,
		bySigning: map[string]*route{}, byTarget: map[string]*route{}, byCBOR: map[string]*route{},
		byQueryVersion: map[string]*route{}, byQueryAction: map[string]*route{},
		models: newModels(),
	}
}

// Register adds a service. It fails, changing nothing, on a missing signing
// name or handler, or a marker another service has.
func (rt *Router) Register(s Service) error {
	if s.SigningName == "" || s.Handler == nil {
		return errors.New("awsproto: a service needs a signing name and a handler")
	}
	taken := func(m map[string]*route, k, what string) error {
		if k == "" {
			return nil
		}
		if other, ok := m[k]; ok {
			return fmt.Errorf("awsproto: %s %q of %s is %s's already", what, k, s.SigningName, other.signing)
		}
		return nil
	}
	errs := []error{
		taken(rt.bySigning, s.SigningName, "signing name"),
		taken(rt.byTarget, s.TargetPrefix, "target prefix"),
		taken(rt.byCBOR, s.CBORService, "CBOR service"),
		taken(rt.byQueryVersion, s.QueryVersion, "query version"),
	}
	for _, a := range s.QueryActions {
		errs = append(errs, taken(rt.byQueryAction, a, "query action"))
	}
	if s.REST && rt.rest != nil {
		errs = append(errs, fmt.Errorf("awsproto: %s and %s both take unsigned REST requests", rt.rest.signing, s.SigningName))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	h := s.Handler
	if rt.guard != nil {
		h = rt.guard(h)
	}
	r := &route{signing: s.SigningName, handler: h}
	rt.bySigning[s.SigningName] = r
	set := func(m map[string]*route, k string) {
		if k != "" {
			m[k] = r
		}
	}
	set(rt.byTarget, s.TargetPrefix)
	set(rt.byCBOR, s.CBORService)
	set(rt.byQueryVersion, s.QueryVersion)
	for _, a := range s.QueryActions {
		rt.byQueryAction[a] = r
	}
	if s.QueryVersion != "" && rt.queryDefault == nil {
		rt.queryDefault = r
	}
	if s.REST {
		rt.rest = r
	}
	return nil
}

// Served lists the signing names of the registered services, sorted.
func (rt *Router) Served() []string {
	names := make([]string, 0, len(rt.bySigning))
	for n := range rt.bySigning {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st, r := withState(r)
	m := readMarkers(r)
	if scope := ParseCaller(r).Service; scope != "" {
		if s := rt.bySigning[scope]; s != nil {
			if rt.serveOwn(w, r, m) {
				return
			}
			rt.dispatch(w, r, st, s, m)
			return
		}
		rt.notServed(w, r, st, scope, m)
		return
	}
	switch {
	case m.target:
		if s := rt.byTarget[m.targetPrefix]; s != nil {
			rt.dispatch(w, r, st, s, m)
			return
		}
	case m.cbor:
		if s := rt.byCBOR[m.cborService]; s != nil {
			rt.dispatch(w, r, st, s, m)
			return
		}
	default:
		if rt.serveOwn(w, r, m) {
			return
		}
		if m.queryShaped(r) {
			if s := rt.queryRoute(queryParams(r)); s != nil {
				rt.dispatch(w, r, st, s, m)
				return
			}
		} else if rt.rest != nil {
			rt.dispatch(w, r, st, rt.rest, m)
			return
		}
	}
	rt.notServed(w, r, st, "", m)
}

// serveOwn serves Reservoir's own endpoints: GETs without protocol markers.
func (rt *Router) serveOwn(w http.ResponseWriter, r *http.Request, m markers) bool {
	if rt.own == nil || r.Method != http.MethodGet || m.target || m.cbor || m.action != "" {
		return false
	}
	h, pattern := rt.own.Handler(r)
	if pattern == "" {
		return false
	}
	h.ServeHTTP(w, r)
	return true
}

func (rt *Router) dispatch(w http.ResponseWriter, r *http.Request, st *requestState, s *route, m markers) {
	st.service, st.protocol = s.signing, m.protocolOf(r)
	switch {
	case m.cbor:
		st.operation = m.cborOp
	case m.target:
		st.operation = m.targetOp
	}
	s.handler.ServeHTTP(w, r)
}

// queryRoute picks the service of an unsigned query request by its
// parameters: by its Version; without one, by its Action, else the first
// query service registered (which answers MissingAction or InvalidAction).
// A Version no service registered is a service not served.
func (rt *Router) queryRoute(q url.Values) *route {
	if v := q.Get("Version"); v != "" {
		return rt.byQueryVersion[v]
	}
	if s := rt.byQueryAction[q.Get("Action")]; s != nil {
		return s
	}
	return rt.queryDefault
}

// maxPeek caps how much of a form body the router reads to find a query
// request's Action and Version; the handler reads the whole body again.
const maxPeek = 1 << 20

// queryParams returns the parameters of a query request, its query string
// overridden by a form body (gzipped or not), which it reads (up to
// maxPeek) and puts back.
func queryParams(r *http.Request) url.Values {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		values = url.Values{}
	}
	if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody {
		return values
	}
	peek, err := io.ReadAll(io.LimitReader(r.Body, maxPeek))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(peek), r.Body), r.Body}
	if err != nil || len(peek) == maxPeek {
		return values
	}
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("Content-Encoding")), "gzip") {
		zr, err := gzip.NewReader(bytes.NewReader(peek))
		if err != nil {
			return values
		}
		if peek, err = io.ReadAll(io.LimitReader(zr, maxPeek)); err != nil {
			return values
		}
	}
	if form, err := url.ParseQuery(string(peek)); err == nil {
		for k, v := range form {
			values[k] = v
		}
	}
	return values
}

// NotServedCode is the error code of a request for a service Reservoir
// does not serve, with status 501: botocore and the AWS SDKs retry 500,
// 502, 503, 504 and throttling, never 501.
const NotServedCode = "NotImplemented"

// notServed answers a request for a service no one registered, in that
// service's protocol, naming it. scope is the signing name of a signed
// request, "" for an unsigned one (named by its markers, if they name any).
func (rt *Router) notServed(w http.ResponseWriter, r *http.Request, st *requestState, scope string, m markers) {
	var q url.Values
	if m.queryShaped(r) {
		q = queryParams(r)
	}
	model := rt.models.find(scope, m, q)
	p := protocolFor(model, r, m, q)
	op := operationOf(r, m, q)
	name, signing := "an AWS service", scope
	if model != nil {
		name = model.id + " (" + model.signing + ")"
		signing = model.signing
	} else if scope != "" {
		name = "the service " + scope
	}
	st.service, st.protocol, st.operation = signing, p, op
	rt.log.Warn("request for a service Reservoir does not serve", "service", signing, "operation", op, "protocol", p.String(),
		"request_id", RequestID(r.Context()))
	msg := fmt.Sprintf("Reservoir does not serve %s: it serves %s on this endpoint.", name, rt.servedNames())
	if model != nil {
		msg += fmt.Sprintf(" Point %s at another endpoint: --endpoint-url per AWS CLI command, AWS_ENDPOINT_URL_%s for the SDKs and the CLI, or the Terraform provider's endpoints block.",
			model.id, envName(model.id))
	}
	f := fault{status: http.StatusNotImplemented, code: NotServedCode, message: msg, s3: signing == "s3"}
	if model != nil {
		f.namespace = model.xmlns
	}
	writeFault(w, r, p, f)
}

// servedNames lists the served services by their service IDs.
func (rt *Router) servedNames() string {
	var names []string
	for _, s := range rt.Served() {
		if m := rt.models.bySigning[s]; len(m) > 0 {
			s = m[0].id
		}
		names = append(names, s)
	}
	slices.Sort(names)
	switch len(names) {
	case 0:
		return "no AWS service"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// envName is the suffix of the AWS_ENDPOINT_URL_<SERVICE> variable the SDKs
// read for a service ID: upper case, spaces as underscores.
func envName(id string) string {
	return strings.ToUpper(strings.ReplaceAll(id, " ", "_"))
}

// operationOf names the operation of a request for a service not served:
// from its markers, its query Action, or else its method and path.
func operationOf(r *http.Request, m markers, q url.Values) string {
	switch {
	case m.cbor:
		return m.cborOp
	case m.target:
		return m.targetOp
	case q.Get("Action") != "":
		return q.Get("Action")
	}
	return r.Method + " " + r.URL.Path
}

// models indexes botocore's service models.
type models struct {
	bySigning map[string][]*serviceModel
	byTarget  map[string]*serviceModel
	byVersion map[string]*serviceModel // query API version
}

func newModels() models {
	all := serviceModels()
	ms := models{bySigning: map[string][]*serviceModel{}, byTarget: map[string]*serviceModel{}, byVersion: map[string]*serviceModel{}}
	for i := range all {
		m := &all[i]
		// The model named as its signing name comes first (s3 before s3control).
		if m.name == m.signing {
			ms.bySigning[m.signing] = append([]*serviceModel{m}, ms.bySigning[m.signing]...)
		} else {
			ms.bySigning[m.signing] = append(ms.bySigning[m.signing], m)
		}
		if m.target != "" {
			if _, dup := ms.byTarget[m.target]; !dup {
				ms.byTarget[m.target] = m
			}
		}
		if m.apiVersion != "" {
			if _, dup := ms.byVersion[m.apiVersion]; !dup {
				ms.byVersion[m.apiVersion] = m
			}
		}
	}
	return ms
}

// find returns the model a request is for (nil if none is known): among
// those of its signing name, the one its markers fit; for an unsigned
// request, the one its target prefix, CBOR service or query Version names.
// q holds the parameters of a query-shaped request.
func (ms models) find(scope string, m markers, q url.Values) *serviceModel {
	if scope == "" {
		switch {
		case m.target:
			return ms.byTarget[m.targetPrefix]
		case m.cbor:
			return ms.byTarget[m.cborService]
		case q.Get("Version") != "":
			return ms.byVersion[q.Get("Version")]
		}
		return nil
	}
	candidates := ms.bySigning[scope]
	for _, c := range candidates {
		if (m.target && c.target == m.targetPrefix) || (m.cbor && c.target == m.cborService) {
			return c
		}
	}
	for _, c := range candidates {
		if q.Get("Action") != "" && (c.speaks(Query) || c.speaks(EC2)) {
			return c
		}
	}
	if len(candidates) > 0 {
		return candidates[0]
	}
	return nil
}

// protocolFor is the protocol to answer a request for a service not served
// in: what the request speaks (CBOR, JSON by its Content-Type, query or
// EC2 by its Action), else the REST protocol of its model, else its
// model's first. q holds the parameters of a query-shaped request.
func protocolFor(model *serviceModel, r *http.Request, m markers, q url.Values) Protocol {
	switch {
	case m.cbor:
		return RPCv2CBOR
	case m.target:
		def := JSON10
		if model != nil && model.speaks(JSON11) {
			def = JSON11
		}
		return jsonVersionOf(r, def)
	case q.Get("Action") != "":
		if model != nil && model.speaks(EC2) {
			return EC2
		}
		return Query
	}
	if model != nil {
		for _, p := range model.protocols {
			if p == RESTJSON || p == RESTXML {
				return p
			}
		}
		return model.protocols[0]
	}
	return RESTJSON
}
