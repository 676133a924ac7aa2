package lambdaapi

import (
	"net/http"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// Body caps: a deployment package of 50 MB arrives base64-encoded in JSON.
const (
	maxCodeBody  = 69905067
	maxSmallBody = 1 << 20
)

type functionCodeIn struct {
	ZipFile         []byte  `json:"ZipFile"`
	S3Bucket        *string `json:"S3Bucket"`
	S3Key           *string `json:"S3Key"`
	S3ObjectVersion *string `json:"S3ObjectVersion"`
	ImageURI        string  `json:"ImageUri"`
}

type functionConfigIn struct {
	Runtime          *string           `json:"Runtime"`
	Role             *string           `json:"Role"`
	Handler          *string           `json:"Handler"`
	Description      *string           `json:"Description"`
	Timeout          *int              `json:"Timeout"`
	MemorySize       *int              `json:"MemorySize"`
	Environment      *environmentIn    `json:"Environment"`
	TracingConfig    *tracingConfig    `json:"TracingConfig"`
	EphemeralStorage *ephemeralStorage `json:"EphemeralStorage"`
	LoggingConfig    *loggingConfigIn  `json:"LoggingConfig"`
	Layers           []string          `json:"Layers"`
	RevisionID       string            `json:"RevisionId"`
	settingsIn
}

func (c functionConfigIn) domain(name string) lambda.FunctionInput {
	in := lambda.FunctionInput{
		FunctionName: name, Runtime: c.Runtime, Role: c.Role, Handler: c.Handler,
		Description: c.Description, Timeout: c.Timeout, MemorySize: c.MemorySize,
		RevisionID: c.RevisionID, Layers: c.Layers, Settings: c.settingsIn.domain(),
	}
	if c.Environment != nil {
		in.Environment = c.Environment.Variables
		if in.Environment == nil {
			in.Environment = map[string]string{}
		}
	}
	if c.TracingConfig != nil {
		in.TracingMode = &c.TracingConfig.Mode
	}
	if c.EphemeralStorage != nil {
		in.EphemeralStorage = c.EphemeralStorage.Size
	}
	if l := c.LoggingConfig; l != nil {
		in.Logging = &lambda.LoggingInput{LogFormat: l.LogFormat, ApplicationLogLevel: l.ApplicationLogLevel,
			SystemLogLevel: l.SystemLogLevel, LogGroup: l.LogGroup}
	}
	return in
}

func (a *API) createFunction(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	var req struct {
		functionConfigIn
		FunctionName  string            `json:"FunctionName"`
		Code          *functionCodeIn   `json:"Code"`
		Publish       bool              `json:"Publish"`
		PackageType   *string           `json:"PackageType"`
		Architectures []string          `json:"Architectures"`
		Tags          map[string]string `json:"Tags"`
	}
	if err := awsproto.DecodeJSON(r, maxCodeBody, "CreateFunction", &req); err != nil {
		return err
	}
	in := req.domain(req.FunctionName)
	in.Publish, in.PackageType, in.Architectures, in.Tags = req.Publish, req.PackageType, req.Architectures, req.Tags
	if req.Code != nil {
		in.HasCode = true
		in.ZipFile, in.ImageURI = req.Code.ZipFile, req.Code.ImageURI
		in.HasS3 = req.Code.S3Bucket != nil || req.Code.S3Key != nil
	}
	sc := scope(c)
	cfg, err := a.svc.CreateFunction(r.Context(), sc, in)
	if err != nil {
		return err
	}
	view, err := a.svc.GetFunction(r.Context(), sc, req.FunctionName, "")
	if err != nil {
		return err
	}
	out := toConfiguration(view.Function, cfg, "")
	// With Publish, AWS answers version 1's configuration under the
	// function's unqualified ARN (measured); clients reuse that ARN for
	// operations that refuse a qualified one.
	out.FunctionArn = view.Function.Scope.FunctionARN(view.Function.Name)
	awsproto.WriteJSON(w, http.StatusCreated, out)
	return nil
}

func scope(c awsproto.Caller) lambda.Scope {
	return lambda.Scope{Account: c.Account, Region: c.Region}
}

type getFunctionResponse struct {
	Configuration functionConfiguration `json:"Configuration"`
	Code          codeLocation          `json:"Code"`
	Tags          map[string]string     `json:"Tags,omitempty"`
	Concurrency   *concurrencyOut       `json:"Concurrency,omitempty"`
}

type codeLocation struct {
	RepositoryType string `json:"RepositoryType"`
	Location       string `json:"Location"`
}

type concurrencyOut struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions,omitempty"`
}

func (a *API) getFunction(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	view, err := a.svc.GetFunction(r.Context(), scope(c), r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		return err
	}
	fn := view.Function
	resp := getFunctionResponse{
		Configuration: toConfiguration(fn, view.Config, view.Qualifier),
		Code:          codeLocation{RepositoryType: "S3", Location: a.code.location(fn, view.Config)},
	}
	if len(view.Tags) > 0 {
		resp.Tags = view.Tags
	}
	if view.Reserved != nil {
		resp.Concurrency = &concurrencyOut{ReservedConcurrentExecutions: view.Reserved}
	}
	awsproto.WriteJSON(w, http.StatusOK, resp)
	return nil
}

func (a *API) getFunctionConfiguration(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	view, err := a.svc.GetFunction(r.Context(), scope(c), r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, toConfiguration(view.Function, view.Config, view.Qualifier))
	return nil
}

func (a *API) updateFunctionConfiguration(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	var req functionConfigIn
	if err := awsproto.DecodeJSON(r, maxSmallBody, "UpdateFunctionConfiguration", &req); err != nil {
		return err
	}
	name := r.PathValue("FunctionName")
	cfg, err := a.svc.UpdateFunctionConfiguration(r.Context(), scope(c), req.domain(name))
	if err != nil {
		return err
	}
	return a.writeConfig(w, r, c, name, cfg, http.StatusOK)
}

// writeConfig renders a configuration the service returned for name.
func (a *API) writeConfig(w http.ResponseWriter, r *http.Request, c awsproto.Caller, name string, cfg lambda.Config, status int) error {
	view, err := a.svc.GetFunction(r.Context(), scope(c), name, "")
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, status, toConfiguration(view.Function, cfg, ""))
	return nil
}

func (a *API) updateFunctionCode(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	var req struct {
		functionCodeIn
		Publish       bool     `json:"Publish"`
		DryRun        bool     `json:"DryRun"`
		RevisionID    string   `json:"RevisionId"`
		Architectures []string `json:"Architectures"`
	}
	if err := awsproto.DecodeJSON(r, maxCodeBody, "UpdateFunctionCode", &req); err != nil {
		return err
	}
	name := r.PathValue("FunctionName")
	in := lambda.FunctionInput{
		FunctionName: name, ZipFile: req.ZipFile, ImageURI: req.ImageURI, HasCode: true,
		HasS3: req.S3Bucket != nil || req.S3Key != nil, Publish: req.Publish, RevisionID: req.RevisionID,
		Architectures: req.Architectures,
	}
	cfg, err := a.svc.UpdateFunctionCode(r.Context(), scope(c), in, req.DryRun)
	if err != nil {
		return err
	}
	return a.writeConfig(w, r, c, name, cfg, http.StatusOK)
}

func (a *API) publishVersion(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	var req struct {
		CodeSha256  string `json:"CodeSha256"`
		Description string `json:"Description"`
		RevisionID  string `json:"RevisionId"`
	}
	if err := awsproto.DecodeJSON(r, maxSmallBody, "PublishVersion", &req); err != nil {
		return err
	}
	name := r.PathValue("FunctionName")
	cfg, err := a.svc.PublishVersion(r.Context(), scope(c), name, req.CodeSha256, req.Description, req.RevisionID)
	if err != nil {
		return err
	}
	return a.writeConfig(w, r, c, name, cfg, http.StatusCreated)
}

func (a *API) deleteFunction(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	if err := a.svc.DeleteFunction(r.Context(), scope(c), r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier")); err != nil {
		return err
	}
	awsproto.WriteEmpty(w, http.StatusNoContent)
	return nil
}

func (a *API) listFunctions(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	q := r.URL.Query()
	limit, err := maxItems(q)
	if err != nil {
		return err
	}
	if fv := q.Get("FunctionVersion"); fv != "" && fv != "ALL" {
		var v lambda.Validation
		v.Add(lambda.Quote(fv), "functionVersion", "Member must satisfy enum value set: [ALL]")
		return v.Err()
	}
	all := q.Get("FunctionVersion") == "ALL"
	cfgs, owners, next, err := a.svc.ListFunctions(r.Context(), scope(c), q.Get("Marker"), limit, all)
	if err != nil {
		return err
	}
	out := struct {
		Functions  []functionConfiguration `json:"Functions"`
		NextMarker string                  `json:"NextMarker,omitempty"`
	}{Functions: make([]functionConfiguration, 0, len(cfgs)), NextMarker: next}
	for i, cfg := range cfgs {
		qual := ""
		if all && cfg.Version == lambda.LatestVersion {
			qual = lambda.LatestVersion // as in ListVersionsByFunction
		}
		out.Functions = append(out.Functions, toConfiguration(owners[i], cfg, qual))
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) listVersions(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	q := r.URL.Query()
	limit, err := maxItems(q)
	if err != nil {
		return err
	}
	cfgs, fn, next, err := a.svc.ListVersions(r.Context(), scope(c), r.PathValue("FunctionName"), q.Get("Marker"), limit)
	if err != nil {
		return err
	}
	out := struct {
		Versions   []functionConfiguration `json:"Versions"`
		NextMarker string                  `json:"NextMarker,omitempty"`
	}{Versions: make([]functionConfiguration, 0, len(cfgs)), NextMarker: next}
	for _, cfg := range cfgs {
		qual := ""
		if cfg.Version == lambda.LatestVersion {
			qual = lambda.LatestVersion
		}
		out.Versions = append(out.Versions, toConfiguration(fn, cfg, qual))
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}
