package lambdaapi

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// The function URL configuration operations. AWS's URL is
// https://<url-id>.lambda-url.<region>.on.aws/; Reservoir's is
// http://<url-id>.lambda-url.<region>.<host>:<port>/ on its own listener,
// where <host> is the --public-url's host name, or localhost when that is an
// IP address (the default 127.0.0.1 included): curl and browsers resolve
// every *.localhost name to the loopback address.

// urlTimeLayout is how AWS writes CreationTime and LastModifiedTime.
const urlTimeLayout = "2006-01-02T15:04:05.000000Z"

// urlHost builds function URLs from the base URL clients reach the server at.
type urlHost struct {
	scheme string
	suffix string // the host name after "<id>.lambda-url.<region>.", with :port
}

func newURLHost(base string) urlHost {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return urlHost{scheme: "http", suffix: "localhost"}
	}
	host, port := u.Hostname(), u.Port()
	if net.ParseIP(host) != nil {
		host = "localhost"
	}
	if port != "" {
		host += ":" + port
	}
	return urlHost{scheme: u.Scheme, suffix: host}
}

// url returns the function URL of id in region.
func (h urlHost) url(id, region string) string {
	return h.scheme + "://" + id + ".lambda-url." + region + "." + h.suffix + "/"
}

type corsShape struct {
	AllowCredentials *bool    `json:"AllowCredentials,omitempty"`
	AllowHeaders     []string `json:"AllowHeaders,omitempty"`
	AllowMethods     []string `json:"AllowMethods,omitempty"`
	AllowOrigins     []string `json:"AllowOrigins,omitempty"`
	ExposeHeaders    []string `json:"ExposeHeaders,omitempty"`
	MaxAge           *int     `json:"MaxAge,omitempty"`
}

func (c *corsShape) toDomain() *lambda.Cors {
	if c == nil {
		return nil
	}
	return &lambda.Cors{AllowCredentials: c.AllowCredentials, AllowHeaders: c.AllowHeaders, AllowMethods: c.AllowMethods,
		AllowOrigins: c.AllowOrigins, ExposeHeaders: c.ExposeHeaders, MaxAge: c.MaxAge}
}

func toCorsShape(c *lambda.Cors) *corsShape {
	if c == nil {
		return nil
	}
	return &corsShape{AllowCredentials: c.AllowCredentials, AllowHeaders: c.AllowHeaders, AllowMethods: c.AllowMethods,
		AllowOrigins: c.AllowOrigins, ExposeHeaders: c.ExposeHeaders, MaxAge: c.MaxAge}
}

type functionURLRequest struct {
	AuthType   *string    `json:"AuthType"`
	Cors       *corsShape `json:"Cors"`
	InvokeMode *string    `json:"InvokeMode"`
}

// functionURLConfig is FunctionUrlConfig (and the Get/Update answers);
// CreateFunctionUrlConfig answers it without LastModifiedTime.
type functionURLConfig struct {
	FunctionUrl      string     `json:"FunctionUrl"`
	FunctionArn      string     `json:"FunctionArn"`
	AuthType         string     `json:"AuthType"`
	Cors             *corsShape `json:"Cors,omitempty"`
	CreationTime     string     `json:"CreationTime"`
	LastModifiedTime string     `json:"LastModifiedTime,omitempty"`
	InvokeMode       string     `json:"InvokeMode"`
}

func (a *API) toFunctionURLConfig(v lambda.FunctionURLView, region string, withModified bool) functionURLConfig {
	out := functionURLConfig{
		FunctionUrl: a.urls.url(v.URLID, region), FunctionArn: v.FunctionARN, AuthType: v.AuthType,
		Cors: toCorsShape(v.Cors), CreationTime: v.CreationTime.UTC().Format(urlTimeLayout), InvokeMode: v.InvokeMode,
	}
	if withModified {
		out.LastModifiedTime = v.LastModifiedTime.UTC().Format(urlTimeLayout)
	}
	return out
}

func (a *API) functionURLInput(r *http.Request, op string) (lambda.FunctionURLInput, error) {
	var req functionURLRequest
	if err := awsproto.DecodeJSON(r, maxSmallBody, op, &req); err != nil {
		return lambda.FunctionURLInput{}, err
	}
	return lambda.FunctionURLInput{FunctionName: r.PathValue("FunctionName"), Qualifier: r.URL.Query().Get("Qualifier"),
		AuthType: req.AuthType, Cors: req.Cors.toDomain(), InvokeMode: req.InvokeMode}, nil
}

func (a *API) createFunctionURLConfig(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	in, err := a.functionURLInput(r, "CreateFunctionUrlConfig")
	if err != nil {
		return err
	}
	v, err := a.svc.CreateFunctionUrlConfig(r.Context(), scope(c), in)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusCreated, a.toFunctionURLConfig(v, c.Region, false))
	return nil
}

func (a *API) updateFunctionURLConfig(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	in, err := a.functionURLInput(r, "UpdateFunctionUrlConfig")
	if err != nil {
		return err
	}
	v, err := a.svc.UpdateFunctionUrlConfig(r.Context(), scope(c), in)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, a.toFunctionURLConfig(v, c.Region, true))
	return nil
}

func (a *API) getFunctionURLConfig(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	v, err := a.svc.GetFunctionUrlConfig(r.Context(), scope(c), r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, a.toFunctionURLConfig(v, c.Region, true))
	return nil
}

func (a *API) deleteFunctionURLConfig(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	if err := a.svc.DeleteFunctionUrlConfig(r.Context(), scope(c), r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier")); err != nil {
		return err
	}
	awsproto.WriteEmpty(w, http.StatusNoContent)
	return nil
}

func (a *API) listFunctionURLConfigs(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	q := r.URL.Query()
	limit, err := maxItems(q)
	if err != nil {
		return err
	}
	views, next, err := a.svc.ListFunctionUrlConfigs(r.Context(), scope(c), r.PathValue("FunctionName"), q.Get("Marker"), limit)
	if err != nil {
		return err
	}
	out := struct {
		FunctionUrlConfigs []functionURLConfig `json:"FunctionUrlConfigs"`
		NextMarker         string              `json:"NextMarker,omitempty"`
	}{FunctionUrlConfigs: make([]functionURLConfig, 0, len(views)), NextMarker: next}
	for _, v := range views {
		out.FunctionUrlConfigs = append(out.FunctionUrlConfigs, a.toFunctionURLConfig(v, c.Region, true))
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}

// isURLHost reports whether a request's Host names a function URL:
// <32 characters>.lambda-url.<region>.<anything>, and returns its ID.
func isURLHost(host string) (string, bool) {
	id, rest, ok := strings.Cut(strings.ToLower(host), ".")
	if !ok || len(id) != lambda.URLIDLength || !strings.HasPrefix(rest, "lambda-url.") {
		return "", false
	}
	return id, true
}
