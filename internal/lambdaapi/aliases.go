package lambdaapi

import (
	"net/http"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

type aliasIn struct {
	Name            string         `json:"Name"`
	FunctionVersion *string        `json:"FunctionVersion"`
	Description     *string        `json:"Description"`
	RoutingConfig   *routingConfig `json:"RoutingConfig"`
	RevisionID      string         `json:"RevisionId"`
}

func (in aliasIn) domain(function string) lambda.AliasInput {
	out := lambda.AliasInput{FunctionName: function, Name: in.Name, FunctionVersion: in.FunctionVersion,
		Description: in.Description, RevisionID: in.RevisionID}
	if in.RoutingConfig != nil {
		out.Weights = in.RoutingConfig.AdditionalVersionWeights
		if out.Weights == nil {
			out.Weights = map[string]float64{}
		}
	}
	return out
}

// writeAlias renders an alias of the named function.
func (a *API) writeAlias(w http.ResponseWriter, r *http.Request, c awsproto.Caller, function string, al lambda.Alias, status int) error {
	view, err := a.svc.GetFunction(r.Context(), scope(c), function, "")
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, status, toAlias(view.Function, al))
	return nil
}

func (a *API) createAlias(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	var req aliasIn
	if err := awsproto.DecodeJSON(r, maxSmallBody, "CreateAlias", &req); err != nil {
		return err
	}
	fn := r.PathValue("FunctionName")
	al, err := a.svc.CreateAlias(r.Context(), scope(c), req.domain(fn))
	if err != nil {
		return err
	}
	return a.writeAlias(w, r, c, fn, al, http.StatusCreated)
}

func (a *API) getAlias(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	fn := r.PathValue("FunctionName")
	al, err := a.svc.GetAlias(r.Context(), scope(c), fn, r.PathValue("Name"))
	if err != nil {
		return err
	}
	return a.writeAlias(w, r, c, fn, al, http.StatusOK)
}

func (a *API) updateAlias(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	var req aliasIn
	if err := awsproto.DecodeJSON(r, maxSmallBody, "UpdateAlias", &req); err != nil {
		return err
	}
	req.Name = r.PathValue("Name")
	fn := r.PathValue("FunctionName")
	al, err := a.svc.UpdateAlias(r.Context(), scope(c), req.domain(fn))
	if err != nil {
		return err
	}
	return a.writeAlias(w, r, c, fn, al, http.StatusOK)
}

func (a *API) deleteAlias(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	if err := a.svc.DeleteAlias(r.Context(), scope(c), r.PathValue("FunctionName"), r.PathValue("Name")); err != nil {
		return err
	}
	awsproto.WriteEmpty(w, http.StatusNoContent)
	return nil
}

func (a *API) listAliases(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	q := r.URL.Query()
	limit, err := maxItems(q)
	if err != nil {
		return err
	}
	aliases, fn, next, err := a.svc.ListAliases(r.Context(), scope(c), r.PathValue("FunctionName"), q.Get("FunctionVersion"), q.Get("Marker"), limit)
	if err != nil {
		return err
	}
	out := struct {
		Aliases    []aliasConfiguration `json:"Aliases"`
		NextMarker string               `json:"NextMarker,omitempty"`
	}{Aliases: make([]aliasConfiguration, 0, len(aliases)), NextMarker: next}
	for _, al := range aliases {
		out.Aliases = append(out.Aliases, toAlias(fn, al))
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}
