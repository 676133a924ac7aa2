// Package lambdaapi is the Lambda wire layer: it decodes AWS REST-JSON
// requests, calls the domain (package lambda), and encodes the answers and
// errors exactly as AWS does. It decides nothing itself.
package lambdaapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// API serves the Lambda control plane and Invoke.
type API struct {
	svc  *lambda.Service
	log  *slog.Logger
	code codeURLs
	urls urlHost // builds function URLs
}

// Options configure the wire layer.
type Options struct {
	// CodeURLKey signs GetFunction's Code.Location URLs: at least
	// awsproto.MinPresignKey secret bytes, the same across restarts for URLs
	// issued before one to work after it.
	CodeURLKey []byte
	// BaseURL starts every Code.Location: scheme and host, optionally a path
	// prefix, e.g. http://127.0.0.1:9001. It is configured, never taken from
	// a request's Host header.
	BaseURL string
	// Now is the clock code URLs are issued and checked with (nil: time.Now).
	Now func() time.Time
}

// CheckBaseURL reports whether s can be Options.BaseURL: http or https, a
// host, optionally a port and a path prefix, nothing else.
func CheckBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return fmt.Errorf("want http(s)://host[:port][/path], got %q", s)
	}
	return nil
}

// handler is an operation: it writes its success response itself and
// returns an error for everything else.
type handler func(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error

// Register adds every Lambda route to mux. It fails only on invalid opts.
func Register(mux *http.ServeMux, svc *lambda.Service, logger *slog.Logger, opts Options) error {
	signer, err := awsproto.NewPresigner(opts.CodeURLKey, CodeURLTTL, opts.Now)
	if err != nil {
		return fmt.Errorf("code URLs: %w", err)
	}
	if err := CheckBaseURL(opts.BaseURL); err != nil {
		return fmt.Errorf("code URLs: %w", err)
	}
	a := &API{svc: svc, log: logger, code: codeURLs{base: strings.TrimSuffix(opts.BaseURL, "/"), signer: signer},
		urls: newURLHost(opts.BaseURL)}
	for _, rt := range a.allRoutes() {
		op, _, _ := strings.Cut(rt.ops, " ")
		mux.Handle(rt.pattern, a.serve(op, rt.h))
	}
	return nil
}

// route is one entry of the route table.
type route struct {
	pattern string
	// ops names the Lambda API operations the route serves ("" for
	// Reservoir's own), space-separated; README's Features table names
	// each (a test checks it).
	ops string
	h   handler
}

// routes is the route table: every Lambda operation Reservoir serves.
func (a *API) routes() []route {
	return []route{
		{"POST /2015-03-31/functions", "CreateFunction", a.createFunction},
		{"GET /2015-03-31/functions", "ListFunctions", a.listFunctions},
		{"GET /2015-03-31/functions/{FunctionName}", "GetFunction", a.getFunction},
		{"DELETE /2015-03-31/functions/{FunctionName}", "DeleteFunction", a.deleteFunction},
		{"GET /2015-03-31/functions/{FunctionName}/configuration", "GetFunctionConfiguration", a.getFunctionConfiguration},
		{"PUT /2015-03-31/functions/{FunctionName}/configuration", "UpdateFunctionConfiguration", a.updateFunctionConfiguration},
		{"PUT /2015-03-31/functions/{FunctionName}/code", "UpdateFunctionCode", a.updateFunctionCode},
		{"POST /2015-03-31/functions/{FunctionName}/versions", "PublishVersion", a.publishVersion},
		{"GET /2015-03-31/functions/{FunctionName}/versions", "ListVersionsByFunction", a.listVersions},
		{"POST /2015-03-31/functions/{FunctionName}/aliases", "CreateAlias", a.createAlias},
		{"GET /2015-03-31/functions/{FunctionName}/aliases", "ListAliases", a.listAliases},
		{"GET /2015-03-31/functions/{FunctionName}/aliases/{Name}", "GetAlias", a.getAlias},
		{"PUT /2015-03-31/functions/{FunctionName}/aliases/{Name}", "UpdateAlias", a.updateAlias},
		{"DELETE /2015-03-31/functions/{FunctionName}/aliases/{Name}", "DeleteAlias", a.deleteAlias},
		{"POST /2015-03-31/functions/{FunctionName}/invocations", "Invoke", a.invoke},
		{"POST /2015-03-31/functions/{FunctionName}/policy", "AddPermission", a.addPermission},
		{"GET /2015-03-31/functions/{FunctionName}/policy", "GetPolicy", a.getPolicy},
		{"DELETE /2015-03-31/functions/{FunctionName}/policy/{StatementId}", "RemovePermission", a.removePermission},
		{"PUT /2017-10-31/functions/{FunctionName}/concurrency", "PutFunctionConcurrency", a.putFunctionConcurrency},
		{"DELETE /2017-10-31/functions/{FunctionName}/concurrency", "DeleteFunctionConcurrency", a.deleteFunctionConcurrency},
		{"GET /2019-09-30/functions/{FunctionName}/concurrency", "GetFunctionConcurrency", a.getFunctionConcurrency},
		{"PUT /2019-09-30/functions/{FunctionName}/provisioned-concurrency", "PutProvisionedConcurrencyConfig", a.putProvisioned},
		{"GET /2019-09-30/functions/{FunctionName}/provisioned-concurrency", "GetProvisionedConcurrencyConfig ListProvisionedConcurrencyConfigs", a.getOrListProvisioned},
		{"DELETE /2019-09-30/functions/{FunctionName}/provisioned-concurrency", "DeleteProvisionedConcurrencyConfig", a.deleteProvisioned},
		{"PUT /2019-09-25/functions/{FunctionName}/event-invoke-config", "PutFunctionEventInvokeConfig", a.putEventInvokeConfig},
		{"POST /2019-09-25/functions/{FunctionName}/event-invoke-config", "UpdateFunctionEventInvokeConfig", a.updateEventInvokeConfig},
		{"GET /2019-09-25/functions/{FunctionName}/event-invoke-config", "GetFunctionEventInvokeConfig", a.getEventInvokeConfig},
		{"DELETE /2019-09-25/functions/{FunctionName}/event-invoke-config", "DeleteFunctionEventInvokeConfig", a.deleteEventInvokeConfig},
		{"GET /2019-09-25/functions/{FunctionName}/event-invoke-config/list", "ListFunctionEventInvokeConfigs", a.listEventInvokeConfigs},
		{"POST /2021-10-31/functions/{FunctionName}/url", "CreateFunctionUrlConfig", a.createFunctionURLConfig},
		{"GET /2021-10-31/functions/{FunctionName}/url", "GetFunctionUrlConfig", a.getFunctionURLConfig},
		{"PUT /2021-10-31/functions/{FunctionName}/url", "UpdateFunctionUrlConfig", a.updateFunctionURLConfig},
		{"DELETE /2021-10-31/functions/{FunctionName}/url", "DeleteFunctionUrlConfig", a.deleteFunctionURLConfig},
		{"GET /2021-10-31/functions/{FunctionName}/urls", "ListFunctionUrlConfigs", a.listFunctionURLConfigs},
		{"GET /2016-08-19/account-settings", "GetAccountSettings", a.getAccountSettings},
		{"GET /2016-08-19/account-settings/", "GetAccountSettings", a.getAccountSettings},
		{"POST /2017-03-31/tags/{Resource}", "TagResource", a.tagResource},
		{"DELETE /2017-03-31/tags/{Resource}", "UntagResource", a.untagResource},
		{"GET /2017-03-31/tags/{Resource}", "ListTags", a.listTags},
		// Reads the Terraform provider and the CLI issue for a function.
		{"GET /2020-06-30/functions/{FunctionName}/code-signing-config", "GetFunctionCodeSigningConfig", a.getFunctionCodeSigningConfig},
		{"GET /2021-07-20/functions/{FunctionName}/runtime-management-config", "GetRuntimeManagementConfig", a.getRuntimeManagementConfig},
		{"GET /2024-08-31/functions/{FunctionName}/recursion-config", "GetFunctionRecursionConfig", a.getRecursionConfig},
		// Code.Location of GetFunction: the package, for any HTTP client
		// holding a URL GetFunction issued (presigned, so exempt from SigV4).
		{"GET /_reservoir/code/{Account}/{Region}/{FunctionName}/{Version}", "", a.downloadCode},
	}
}

// UnknownOperation answers requests that match no route.
func UnknownOperation(w http.ResponseWriter, r *http.Request) {
	awsproto.WriteError(w, r, &awsproto.Error{Status: 404, Code: "UnknownOperationException", WithType: true,
		Message: "Unknown operation " + r.Method + " " + r.URL.Path})
}

// serve runs h for the operation op (named in the debug log; a route of
// two operations names its first, and its handler the other when it serves it).
func (a *API) serve(op string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if op != "" {
			awsproto.SetOperation(r.Context(), op)
		}
		c := awsproto.ParseCaller(r)
		if err := h(w, r, c); err != nil {
			a.writeError(w, r, err)
		}
	})
}

// writeError is the one place a handler's error becomes a response.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	l := awsproto.Logger(r.Context())
	var s3e *awsproto.S3Error // code downloads answer as S3 does
	if errors.As(err, &s3e) {
		l.Debug("client error", "code", s3e.Code, "msg", s3e.Message)
		awsproto.WriteS3Error(w, r, s3e)
		return
	}
	var we *awsproto.Error
	if errors.As(err, &we) {
		l.Debug("client error", "code", we.Code, "msg", we.Message)
		awsproto.WriteError(w, r, we)
		return
	}
	var de *lambda.Error
	if errors.As(err, &de) {
		we := wireError(de)
		l.Debug("client error", "code", we.Code, "msg", we.Message)
		awsproto.WriteError(w, r, we)
		return
	}
	if errors.Is(err, r.Context().Err()) && r.Context().Err() != nil {
		l.Debug("request canceled", "err", err)
		return
	}
	l.Error("internal error", "err", err)
	awsproto.WriteError(w, r, &awsproto.Error{Status: 500, Code: "ServiceException", Message: "An internal error occurred.", WithType: true, TypeValue: "Service"})
}

// maxItems reads the MaxItems query member (0 when absent); a present value
// below 1 is a constraint violation.
func maxItems(q url.Values) (int, error) {
	n, err := awsproto.QueryInt(q, "MaxItems")
	if err != nil {
		return 0, err
	}
	if q.Has("MaxItems") && n < 1 {
		var v lambda.Validation
		v.MinInt(&n, 1, "maxItems")
		return 0, v.Err()
	}
	return n, nil
}

// wireError is the error table: domain kind → AWS status, type and envelope.
func wireError(e *lambda.Error) *awsproto.Error {
	out := &awsproto.Error{Message: e.Message, WithType: true}
	switch e.Kind {
	case lambda.KindResourceNotFound:
		out.Status, out.Code, out.CapitalMessage = 404, "ResourceNotFoundException", true
	case lambda.KindResourceConflict:
		out.Status, out.Code = 409, "ResourceConflictException"
	case lambda.KindInvalidParameterValue:
		out.Status, out.Code = 400, "InvalidParameterValueException"
	case lambda.KindLimitExceededParameter:
		out.Status, out.Code, out.WithType = 400, "InvalidParameterValueException", false
	case lambda.KindValidation:
		out.Status, out.Code, out.WithType = 400, "ValidationException", false
	case lambda.KindProvisionedConfigNotFound:
		out.Status, out.Code = 404, "ProvisionedConcurrencyConfigNotFoundException"
	case lambda.KindPreconditionFailed:
		out.Status, out.Code = 412, "PreconditionFailedException"
	case lambda.KindTooManyRequests:
		out.Status, out.Code = 429, "TooManyRequestsException"
		if e.Reason != "" {
			out.Extra = map[string]string{"Reason": e.Reason}
		}
	case lambda.KindAccessDenied:
		out.Status, out.Code, out.CapitalMessage = 403, "AccessDeniedException", true
	case lambda.KindRequestTooLarge:
		out.Status, out.Code = 413, "RequestEntityTooLargeException"
	case lambda.KindInvalidRequestContent:
		out.Status, out.Code = 400, "InvalidRequestContentException"
	case lambda.KindInvalidZipFile:
		out.Status, out.Code = 400, "InvalidZipFileException"
	case lambda.KindInvalidRuntime:
		out.Status, out.Code = 502, "InvalidRuntimeException"
	case lambda.KindPolicyLengthExceeded:
		out.Status, out.Code = 400, "PolicyLengthExceededException"
	case lambda.KindServiceUnavailable:
		out.Status, out.Code, out.TypeValue = 503, "ServiceException", "Service"
	default:
		out.Status, out.Code, out.TypeValue = 500, "ServiceException", "Service"
	}
	return out
}
