package lambdaapi

import (
	"net/http"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// addPermissionRequest is AddPermission's body (StatementId, Action and
// Principal are required; the domain reports them missing).
type addPermissionRequest struct {
	StatementId           string `json:"StatementId"`
	Action                string `json:"Action"`
	Principal             string `json:"Principal"`
	SourceArn             string `json:"SourceArn"`
	SourceAccount         string `json:"SourceAccount"`
	EventSourceToken      string `json:"EventSourceToken"`
	RevisionId            string `json:"RevisionId"`
	PrincipalOrgID        string `json:"PrincipalOrgID"`
	FunctionUrlAuthType   string `json:"FunctionUrlAuthType"`
	InvokedViaFunctionUrl bool   `json:"InvokedViaFunctionUrl"`
}

func (a *API) addPermission(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	var req addPermissionRequest
	if err := awsproto.DecodeJSON(r, maxSmallBody, "AddPermission", &req); err != nil {
		return err
	}
	out, err := a.svc.AddPermission(r.Context(), scope(c), lambda.PermissionInput{
		FunctionName: r.PathValue("FunctionName"), Qualifier: r.URL.Query().Get("Qualifier"), RevisionID: req.RevisionId,
		Statement: lambda.Statement{Sid: req.StatementId, Action: req.Action, Principal: req.Principal,
			SourceArn: req.SourceArn, SourceAccount: req.SourceAccount, EventSourceToken: req.EventSourceToken,
			PrincipalOrgID: req.PrincipalOrgID, FunctionURLAuthType: req.FunctionUrlAuthType, InvokedViaFunctionURL: req.InvokedViaFunctionUrl},
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusCreated, struct {
		Statement string `json:"Statement"`
	}{out})
	return nil
}

func (a *API) removePermission(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	q := r.URL.Query()
	if err := a.svc.RemovePermission(r.Context(), scope(c), r.PathValue("FunctionName"), q.Get("Qualifier"),
		r.PathValue("StatementId"), q.Get("RevisionId")); err != nil {
		return err
	}
	awsproto.WriteEmpty(w, http.StatusNoContent)
	return nil
}

func (a *API) getPolicy(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	v, err := a.svc.GetPolicy(r.Context(), scope(c), r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, struct {
		Policy     string `json:"Policy"`
		RevisionId string `json:"RevisionId"`
	}{v.Policy, v.RevisionID})
	return nil
}
