package lambdaapi

import (
	"net/http"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
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
// signing, resource policies, runtime management,
// recursion control) with what AWS answers for a function
// that has none of them configured.

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

func (a *API) getPolicy(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	if _, err := a.svc.GetFunction(r.Context(), scope(c), r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier")); err != nil {
		return err
	}
	return &lambda.Error{Kind: lambda.KindResourceNotFound, Message: "The resource you requested does not exist."}
}

func (a *API) getRuntimeManagementConfig(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	view, err := a.svc.GetFunction(r.Context(), scope(c), r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, struct {
		UpdateRuntimeOn string `json:"UpdateRuntimeOn"`
		FunctionArn     string `json:"FunctionArn"`
	}{UpdateRuntimeOn: "Auto", FunctionArn: toConfiguration(view.Function, view.Config, view.Qualifier).FunctionArn})
	return nil
}

func (a *API) getRecursionConfig(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	if _, err := a.svc.GetFunction(r.Context(), scope(c), r.PathValue("FunctionName"), ""); err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, struct {
		RecursiveLoop string `json:"RecursiveLoop"`
	}{RecursiveLoop: "Terminate"})
	return nil
}
