package lambdaapi

import (
	"net/http"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

func (a *API) putFunctionConcurrency(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	var req struct {
		ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions"`
	}
	if err := awsproto.DecodeJSON(r, maxSmallBody, "PutFunctionConcurrency", &req); err != nil {
		return err
	}
	n, err := a.svc.PutFunctionConcurrency(r.Context(), scope(c), r.PathValue("FunctionName"), req.ReservedConcurrentExecutions)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, concurrencyOut{ReservedConcurrentExecutions: &n})
	return nil
}

func (a *API) getFunctionConcurrency(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	n, err := a.svc.GetFunctionConcurrency(r.Context(), scope(c), r.PathValue("FunctionName"))
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, concurrencyOut{ReservedConcurrentExecutions: n})
	return nil
}

func (a *API) deleteFunctionConcurrency(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	if err := a.svc.DeleteFunctionConcurrency(r.Context(), scope(c), r.PathValue("FunctionName")); err != nil {
		return err
	}
	awsproto.WriteEmpty(w, http.StatusNoContent)
	return nil
}

func (a *API) putProvisioned(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	var req struct {
		ProvisionedConcurrentExecutions *int `json:"ProvisionedConcurrentExecutions"`
	}
	if err := awsproto.DecodeJSON(r, maxSmallBody, "PutProvisionedConcurrencyConfig", &req); err != nil {
		return err
	}
	v, err := a.svc.PutProvisionedConcurrencyConfig(r.Context(), scope(c), r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"), req.ProvisionedConcurrentExecutions)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusAccepted, toProvisioned(v, false))
	return nil
}

// getOrListProvisioned serves GetProvisionedConcurrencyConfig and, with
// ?List=ALL, ListProvisionedConcurrencyConfigs (they share a path).
func (a *API) getOrListProvisioned(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	q := r.URL.Query()
	if q.Get("List") == "ALL" {
		awsproto.SetOperation(r.Context(), "ListProvisionedConcurrencyConfigs")
		limit, err := maxItems(q)
		if err != nil {
			return err
		}
		views, next, err := a.svc.ListProvisionedConcurrencyConfigs(r.Context(), scope(c), r.PathValue("FunctionName"), q.Get("Marker"), limit)
		if err != nil {
			return err
		}
		out := struct {
			ProvisionedConcurrencyConfigs []provisionedConfig `json:"ProvisionedConcurrencyConfigs"`
			NextMarker                    string              `json:"NextMarker,omitempty"`
		}{ProvisionedConcurrencyConfigs: make([]provisionedConfig, 0, len(views)), NextMarker: next}
		for _, v := range views {
			out.ProvisionedConcurrencyConfigs = append(out.ProvisionedConcurrencyConfigs, toProvisioned(v, true))
		}
		awsproto.WriteJSON(w, http.StatusOK, out)
		return nil
	}
	v, err := a.svc.GetProvisionedConcurrencyConfig(r.Context(), scope(c), r.PathValue("FunctionName"), q.Get("Qualifier"))
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, toProvisioned(v, false))
	return nil
}

func (a *API) deleteProvisioned(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	if err := a.svc.DeleteProvisionedConcurrencyConfig(r.Context(), scope(c), r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier")); err != nil {
		return err
	}
	awsproto.WriteEmpty(w, http.StatusNoContent)
	return nil
}

func (a *API) getAccountSettings(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	s := a.svc.GetAccountSettings(r.Context(), scope(c))
	type accountLimit struct {
		TotalCodeSize                  int64 `json:"TotalCodeSize"`
		CodeSizeUnzipped               int64 `json:"CodeSizeUnzipped"`
		CodeSizeZipped                 int64 `json:"CodeSizeZipped"`
		ConcurrentExecutions           int   `json:"ConcurrentExecutions"`
		UnreservedConcurrentExecutions int   `json:"UnreservedConcurrentExecutions"`
	}
	type accountUsage struct {
		TotalCodeSize int64 `json:"TotalCodeSize"`
		FunctionCount int   `json:"FunctionCount"`
	}
	awsproto.WriteJSON(w, http.StatusOK, struct {
		AccountLimit accountLimit `json:"AccountLimit"`
		AccountUsage accountUsage `json:"AccountUsage"`
	}{
		AccountLimit: accountLimit{
			TotalCodeSize:                  lambda.TotalCodeSize,
			CodeSizeUnzipped:               lambda.MaxUnzippedSize,
			CodeSizeZipped:                 lambda.MaxZipSize,
			ConcurrentExecutions:           s.ConcurrentExecutions,
			UnreservedConcurrentExecutions: s.UnreservedConcurrentExecutions,
		},
		AccountUsage: accountUsage{TotalCodeSize: s.TotalCodeSize, FunctionCount: s.FunctionCount},
	})
	return nil
}
