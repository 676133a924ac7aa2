package lambdaapi

import (
	"net/http"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
)

func (a *API) tagResource(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	var req struct {
		Tags map[string]string `json:"Tags"`
	}
	if err := awsproto.DecodeJSON(r, maxSmallBody, "TagResource", &req); err != nil {
		return err
	}
	if err := a.svc.TagResource(r.Context(), scope(c), r.PathValue("Resource"), req.Tags); err != nil {
		return err
	}
	awsproto.WriteEmpty(w, http.StatusNoContent)
	return nil
}

func (a *API) untagResource(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	if err := a.svc.UntagResource(r.Context(), scope(c), r.PathValue("Resource"), r.URL.Query()["tagKeys"]); err != nil {
		return err
	}
	awsproto.WriteEmpty(w, http.StatusNoContent)
	return nil
}

func (a *API) listTags(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	tags, err := a.svc.ListTags(r.Context(), scope(c), r.PathValue("Resource"))
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, struct {
		Tags map[string]string `json:"Tags"`
	}{Tags: tags})
	return nil
}

// The reads below answer for features Reservoir does not model (code
// signing) with what AWS answers for a function that has none configured;
// resource policies (permissions.go), function URLs (functionurl.go), runtime
// management and recursion control (settings.go) are stored.

func (a *API) getFunctionCodeSigningConfig(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	view, err := a.svc.GetFunction(r.Context(), scope(c), r.PathValue("FunctionName"), "")
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, struct {
		CodeSigningConfigArn string `json:"CodeSigningConfigArn"`
		FunctionName         string `json:"FunctionName"`
	}{FunctionName: view.Function.Name})
	return nil
}

func (a *API) getRuntimeManagementConfig(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	rm, err := a.svc.GetRuntimeManagementConfig(r.Context(), scope(c), r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, runtimeManagementOut{UpdateRuntimeOn: rm.UpdateRuntimeOn, FunctionArn: rm.FunctionARN, RuntimeVersionArn: rm.RuntimeVersionArn})
	return nil
}

func (a *API) getRecursionConfig(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	loop, err := a.svc.GetFunctionRecursionConfig(r.Context(), scope(c), r.PathValue("FunctionName"))
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, struct {
		RecursiveLoop string `json:"RecursiveLoop"`
	}{RecursiveLoop: loop})
	return nil
}
