package lambdaapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// Function URLs, served: a request whose Host is <url-id>.lambda-url.<region>.
// <anything> is a call of that URL. It is mapped to AWS's payload format 2.0
// event, runs through the same Invoke as the API's (so reserved, provisioned
// and account concurrency, metrics and logs apply exactly as to an Invoke),
// and the function's answer is mapped back as AWS does.
//
// What AWS answers, and what Reservoir chose where AWS does not document it:
//   - an unknown URL ID: 403, x-amzn-ErrorType AccessDeniedException,
//     {"Message":null};
//   - an AWS_IAM URL called without a valid SigV4 signature (service lambda;
//     checked under --auth sigv4 only), or a call the permission check
//     refuses: 403, AccessDeniedException, {"Message":"Forbidden"};
//   - throttled: 429, TooManyRequestsException, {"Message":"Rate Exceeded."}
//     (AWS documents the 429; the body, Invoke's message in the shape of the
//     other answers here, is Reservoir's choice);
//   - a request body over 6 MB: 413, RequestEntityTooLargeException;
//   - a function error, an answer that is not JSON or a malformed custom
//     response (statusCode not an integer from 100 to 599, a body flagged
//     base64 that is not): 502 with the body Internal Server Error;
//   - RESPONSE_STREAM URLs are answered buffered, once the function returns;
//   - a CORS preflight the settings do not allow: 200 without
//     Access-Control-Allow-* headers (the browser refuses it); with no CORS
//     settings, an OPTIONS request goes to the function like any other.

// URLAuthorizer decides whether a call through a function URL may invoke
// the function. A false answer is a 403 Forbidden.
type URLAuthorizer interface {
	AllowURLInvoke(ctx context.Context, req URLAuthRequest) (bool, error)
}

// URLAuthRequest is one call to authorize.
type URLAuthRequest struct {
	Scope     lambda.Scope // the function's account and region
	Function  string
	Qualifier string // "" for the unqualified function, else the alias
	AuthType  string // lambda.URLAuthNone or lambda.URLAuthIAM
	// CallerAccount is the signed caller's account (AWS_IAM only; "" for
	// an anonymous NONE call).
	CallerAccount string
}

// PolicyAuthorizer is AWS's rule for function URLs, checked against the
// function's resource-based policy on the URL's qualifier (the alias, or
// the unqualified function). Since October 2025 a call through a URL needs
// both lambda:InvokeFunctionUrl and lambda:InvokeFunction:
//   - AuthType NONE: the policy must grant both to everyone (the caller is
//     anonymous). The statements usually carry the conditions
//     lambda:FunctionUrlAuthType NONE (InvokeFunctionUrl) and
//     lambda:InvokedViaFunctionUrl true (InvokeFunction), and both
//     conditions are evaluated as for any statement: one naming AWS_IAM
//     does not open a NONE URL.
//   - AuthType AWS_IAM: a caller of the function's own account is allowed
//     (on AWS its identity policy decides; Reservoir has none to evaluate),
//     one of another account needs both permissions from the policy.
type PolicyAuthorizer struct{ Service *lambda.Service }

// AllowURLInvoke implements URLAuthorizer.
func (p PolicyAuthorizer) AllowURLInvoke(ctx context.Context, req URLAuthRequest) (bool, error) {
	for _, action := range []string{"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"} {
		ok, err := p.Service.PolicyAllows(ctx, req.Scope, req.Function, req.Qualifier, lambda.PolicyRequest{
			Action: action, PrincipalAccount: req.CallerAccount,
			FunctionURLAuthType: req.AuthType, ViaFunctionURL: true})
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// URLOptions configure the function URL server.
type URLOptions struct {
	// Credentials, if set, are what AWS_IAM URLs' SigV4 signatures must
	// verify against (--auth sigv4); nil accepts any caller, as the API does.
	Credentials awsproto.Credentials
	// Authorizer decides whether a call may invoke the function (nil:
	// PolicyAuthorizer, the function's resource-based policy).
	Authorizer URLAuthorizer
	// Now is the clock of signature checks and event times (nil: time.Now).
	Now func() time.Time
	// Port is what x-forwarded-port says (the listener's port).
	Port string
}

// URLServer serves calls through function URLs.
type URLServer struct {
	svc  *lambda.Service
	log  *slog.Logger
	opts URLOptions
}

// NewURLServer returns the function URL server.
func NewURLServer(svc *lambda.Service, logger *slog.Logger, o URLOptions) *URLServer {
	if o.Authorizer == nil {
		o.Authorizer = PolicyAuthorizer{Service: svc}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &URLServer{svc: svc, log: logger, opts: o}
}

// Route sends the requests whose Host names a function URL to u and every
// other one to next (the AWS API router).
func (u *URLServer) Route(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := isURLHost(r.Host); ok {
			u.serve(w, r, id)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// urlFault writes one of the front end's own answers.
func urlFault(w http.ResponseWriter, status int, errType, body string) {
	h := w.Header()
	if errType != "" {
		h.Set("X-Amzn-ErrorType", errType)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

const (
	bodyForbidden = `{"Message":"Forbidden"}`
	bodyUnknown   = `{"Message":null}`
	bodyThrottled = `{"Message":"Rate Exceeded."}`
	bodyBadGW     = "Internal Server Error"
)

func (u *URLServer) serve(w http.ResponseWriter, r *http.Request, id string) {
	awsproto.SetOperation(r.Context(), "InvokeFunctionUrl")
	t, ok := u.svc.ResolveFunctionURL(id)
	if !ok {
		urlFault(w, http.StatusForbidden, "AccessDeniedException", bodyUnknown)
		return
	}
	cors := t.Config.Cors
	origin := r.Header.Get("Origin")
	if cors != nil && r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
		preflight(w, r, cors, origin)
		return
	}
	var caller awsproto.Caller
	if t.Config.AuthType == lambda.URLAuthIAM {
		if u.opts.Credentials != nil && !awsproto.VerifySigV4(r, u.opts.Credentials, u.opts.Now(), "lambda") {
			urlFault(w, http.StatusForbidden, "AccessDeniedException", bodyForbidden)
			return
		}
		caller = awsproto.ParseCaller(r)
	}
	allowed, err := u.opts.Authorizer.AllowURLInvoke(r.Context(), URLAuthRequest{Scope: t.Scope, Function: t.FunctionName,
		Qualifier: t.Qualifier, AuthType: t.Config.AuthType, CallerAccount: caller.Account})
	var de *lambda.Error
	if errors.As(err, &de) && de.Kind == lambda.KindResourceNotFound {
		urlFault(w, http.StatusForbidden, "AccessDeniedException", bodyUnknown) // deleted meanwhile
		return
	}
	if err != nil {
		awsproto.Logger(r.Context()).Error("function URL permission check", "err", err)
		urlFault(w, http.StatusInternalServerError, "InternalFailure", `{"Message":"Internal Server Error"}`)
		return
	}
	if !allowed {
		urlFault(w, http.StatusForbidden, "AccessDeniedException", bodyForbidden)
		return
	}
	body, err := awsproto.ReadBody(r, lambda.MaxSyncPayload)
	if errors.Is(err, awsproto.ErrTooLarge) {
		urlFault(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
			`{"Message":"Request must be smaller than 6291456 bytes for the InvokeFunction operation"}`)
		return
	}
	if err != nil {
		return // the client went away
	}
	reqID := awsproto.RequestID(r.Context())
	if reqID == "" {
		reqID = awsproto.NewRequestID()
	}
	event, err := u.event(r, t, id, body, caller, reqID)
	if err != nil {
		urlFault(w, http.StatusInternalServerError, "InternalFailure", `{"Message":"Internal Server Error"}`)
		return
	}
	out, err := u.svc.Invoke(r.Context(), t.Scope, lambda.InvokeInput{FunctionName: t.FunctionName, Qualifier: t.Qualifier,
		Payload: event, RequestID: reqID})
	if err != nil {
		u.invokeFailed(w, r, err)
		return
	}
	if out.FunctionError != "" {
		badGateway(w)
		return
	}
	if !writeFunctionAnswer(w, out.Payload, cors, origin) {
		awsproto.Logger(r.Context()).Debug("function URL: the function's answer is not a valid response")
		badGateway(w)
	}
}

func badGateway(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(bodyBadGW)))
	w.WriteHeader(http.StatusBadGateway)
	_, _ = w.Write([]byte(bodyBadGW))
}

// invokeFailed answers an Invoke that did not run the function.
func (u *URLServer) invokeFailed(w http.ResponseWriter, r *http.Request, err error) {
	var de *lambda.Error
	switch {
	case errors.As(err, &de) && de.Kind == lambda.KindTooManyRequests:
		urlFault(w, http.StatusTooManyRequests, "TooManyRequestsException", bodyThrottled)
	case errors.As(err, &de) && de.Kind == lambda.KindRequestTooLarge:
		urlFault(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
			`{"Message":"Request must be smaller than 6291456 bytes for the InvokeFunction operation"}`)
	case errors.As(err, &de) && de.Kind == lambda.KindResourceNotFound:
		urlFault(w, http.StatusForbidden, "AccessDeniedException", bodyUnknown) // deleted meanwhile
	case r.Context().Err() != nil:
		// the client went away; the function runs on and holds its slot
	case errors.As(err, &de) && de.Kind == lambda.KindServiceUnavailable:
		urlFault(w, http.StatusServiceUnavailable, "ServiceException", `{"Message":"Service Unavailable"}`)
	default:
		if de == nil {
			awsproto.Logger(r.Context()).Error("function URL invoke", "err", err)
		}
		badGateway(w)
	}
}

// preflight answers a CORS preflight request from the URL's settings,
// without invoking the function. A request the settings do not allow gets
// 200 without Access-Control-Allow-* headers: the browser refuses it.
func preflight(w http.ResponseWriter, r *http.Request, c *lambda.Cors, origin string) {
	h := w.Header()
	h.Add("Vary", "Origin")
	allowOrigin, ok := matchOrigin(c.AllowOrigins, origin)
	method := r.Header.Get("Access-Control-Request-Method")
	if ok && listAllows(c.AllowMethods, method) {
		h.Set("Access-Control-Allow-Origin", allowOrigin)
		h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
		if len(c.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
		}
		if c.MaxAge != nil {
			h.Set("Access-Control-Max-Age", strconv.Itoa(*c.MaxAge))
		}
		if c.AllowCredentials != nil && *c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// matchOrigin returns the Access-Control-Allow-Origin for origin: "*" when
// the settings allow any origin, the origin itself when they list it.
func matchOrigin(allowed []string, origin string) (string, bool) {
	for _, o := range allowed {
		if o == "*" {
			return "*", true
		}
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return origin, true
		}
	}
	return "", false
}

func listAllows(allowed []string, v string) bool {
	for _, a := range allowed {
		if a == "*" || strings.EqualFold(a, v) {
			return true
		}
	}
	return false
}

// The payload format 2.0 event.
type urlEvent struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        urlRequestContext `json:"requestContext"`
	Body                  *string           `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type urlRequestContext struct {
	AccountID    string         `json:"accountId"`
	APIID        string         `json:"apiId"`
	Authorizer   *urlAuthorizer `json:"authorizer,omitempty"`
	DomainName   string         `json:"domainName"`
	DomainPrefix string         `json:"domainPrefix"`
	HTTP         urlHTTP        `json:"http"`
	RequestID    string         `json:"requestId"`
	RouteKey     string         `json:"routeKey"`
	Stage        string         `json:"stage"`
	Time         string         `json:"time"`
	TimeEpoch    int64          `json:"timeEpoch"`
}

type urlAuthorizer struct {
	IAM urlIAM `json:"iam"`
}

type urlIAM struct {
	AccessKey       string  `json:"accessKey"`
	AccountID       string  `json:"accountId"`
	CallerID        string  `json:"callerId"`
	CognitoIdentity *string `json:"cognitoIdentity"`
	PrincipalOrgID  *string `json:"principalOrgId"`
	UserARN         string  `json:"userArn"`
	UserID          string  `json:"userId"`
}

type urlHTTP struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// event maps the request to AWS's payload format 2.0 event. Headers are
// lower-cased and repeats joined with commas; the Cookie header becomes
// the cookies list. requestContext.accountId is "anonymous" for a NONE URL
// (as AWS sends it) and the caller's account for AWS_IAM, whose authorizer
// names the caller: Reservoir has no IAM users, so the caller is its
// account's root (userArn arn:aws:iam::<account>:root, callerId and userId
// the account ID).
func (u *URLServer) event(r *http.Request, t lambda.URLTarget, id string, body []byte, caller awsproto.Caller, reqID string) ([]byte, error) {
	now := u.opts.Now().UTC()
	sourceIP := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = host
	}
	headers := make(map[string]string, len(r.Header)+5)
	var cookies []string
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if lk == "cookie" {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[lk] = strings.Join(vs, ",")
	}
	headers["host"] = r.Host
	headers["x-forwarded-for"] = sourceIP
	headers["x-forwarded-proto"] = "http"
	if r.TLS != nil {
		headers["x-forwarded-proto"] = "https"
	}
	if u.opts.Port != "" {
		headers["x-forwarded-port"] = u.opts.Port
	}
	headers["x-amzn-trace-id"] = traceID(now)
	var query map[string]string
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		query = make(map[string]string, len(q))
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	ev := urlEvent{
		Version: "2.0", RouteKey: "$default", RawPath: path, RawQueryString: r.URL.RawQuery,
		Cookies: cookies, Headers: headers, QueryStringParameters: query,
		RequestContext: urlRequestContext{
			AccountID: "anonymous", APIID: id, DomainName: host, DomainPrefix: id,
			HTTP:      urlHTTP{Method: r.Method, Path: path, Protocol: r.Proto, SourceIP: sourceIP, UserAgent: r.UserAgent()},
			RequestID: reqID, RouteKey: "$default", Stage: "$default",
			Time: now.Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
		},
	}
	if t.Config.AuthType == lambda.URLAuthIAM && caller.AccessKey != "" {
		ev.RequestContext.AccountID = caller.Account
		ev.RequestContext.Authorizer = &urlAuthorizer{IAM: urlIAM{AccessKey: caller.AccessKey, AccountID: caller.Account,
			CallerID: caller.Account, UserARN: "arn:aws:iam::" + caller.Account + ":root", UserID: caller.Account}}
	}
	if len(body) > 0 {
		s := string(body)
		if !isTextBody(r.Header.Get("Content-Type"), body) {
			s = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
		ev.Body = &s
	}
	return json.Marshal(ev)
}

// isTextBody reports whether a request body goes into the event as text:
// valid UTF-8 with a textual content type (text/*, or a type naming json,
// xml or javascript). Every other body, one without a content type
// included, is base64-encoded, as AWS does (a form post arrives encoded).
func isTextBody(contentType string, body []byte) bool {
	if contentType == "" || !utf8.Valid(body) {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || strings.Contains(mt, "json") || strings.Contains(mt, "xml") ||
		strings.Contains(mt, "javascript")
}

// traceID is an X-Ray trace header value: Root=1-<epoch hex>-<96 random bits>.
func traceID(now time.Time) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "Root=1-" + strconv.FormatInt(now.Unix(), 16) + "-" + hex.EncodeToString(b[:])
}

// urlResponse is a custom response (an object with statusCode).
type urlResponse struct {
	StatusCode      json.RawMessage            `json:"statusCode"`
	Headers         map[string]json.RawMessage `json:"headers"`
	Body            json.RawMessage            `json:"body"`
	Cookies         []string                   `json:"cookies"`
	IsBase64Encoded bool                       `json:"isBase64Encoded"`
}

// writeFunctionAnswer maps the function's answer to the HTTP response, as
// AWS does: a JSON object with statusCode is a custom response (statusCode,
// headers, body, cookies as Set-Cookie, isBase64Encoded); any other JSON
// value is a 200 application/json whose body is the answer as it is. It
// reports false, writing nothing, for an answer that is not JSON or a
// custom response it cannot map.
func writeFunctionAnswer(w http.ResponseWriter, payload []byte, cors *lambda.Cors, origin string) bool {
	trimmed := bytes.TrimSpace(payload)
	if !json.Valid(trimmed) {
		return false
	}
	status, body := http.StatusOK, trimmed
	h := w.Header()
	var custom urlResponse
	if len(trimmed) > 0 && trimmed[0] == '{' && bytes.Contains(trimmed, []byte(`"statusCode"`)) {
		if err := json.Unmarshal(trimmed, &custom); err != nil {
			return false
		}
	}
	if custom.StatusCode != nil {
		n, err := strconv.Atoi(string(custom.StatusCode))
		if err != nil || n < 100 || n > 599 {
			return false
		}
		status = n
		body = nil
		if custom.Body != nil && string(custom.Body) != "null" {
			var s string
			if err := json.Unmarshal(custom.Body, &s); err != nil {
				s = string(custom.Body) // a non-string body is sent as its JSON
			}
			body = []byte(s)
			if custom.IsBase64Encoded {
				b, err := base64.StdEncoding.DecodeString(s)
				if err != nil {
					return false
				}
				body = b
			}
		}
		for k, raw := range custom.Headers {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				s = strings.Trim(string(raw), `"`)
			}
			h.Set(k, s)
		}
		for _, c := range custom.Cookies {
			h.Add("Set-Cookie", c)
		}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	if cors != nil && origin != "" {
		if allow, ok := matchOrigin(cors.AllowOrigins, origin); ok {
			h.Set("Access-Control-Allow-Origin", allow)
			if len(cors.ExposeHeaders) > 0 {
				h.Set("Access-Control-Expose-Headers", strings.Join(cors.ExposeHeaders, ","))
			}
			if cors.AllowCredentials != nil && *cors.AllowCredentials {
				h.Set("Access-Control-Allow-Credentials", "true")
			}
		}
		h.Add("Vary", "Origin")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return true
}
