package lambdaapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// epochSeconds is a timestamp in the service's default JSON format: seconds
// since the epoch, with milliseconds (FunctionEventInvokeConfig.LastModified).
type epochSeconds time.Time

func (t epochSeconds) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(time.Time(t).UnixMilli())/1000, 'f', 3, 64)), nil
}

type destination struct {
	Destination *string `json:"Destination,omitempty"`
}

type destinationConfig struct {
	OnSuccess *destination `json:"OnSuccess,omitempty"`
	OnFailure *destination `json:"OnFailure,omitempty"`
}

type eventInvokeRequest struct {
	MaximumRetryAttempts     *int               `json:"MaximumRetryAttempts"`
	MaximumEventAgeInSeconds *int               `json:"MaximumEventAgeInSeconds"`
	DestinationConfig        *destinationConfig `json:"DestinationConfig"`
}

// eventInvokeConfig is FunctionEventInvokeConfig. AWS answers both
// destinations, empty when unset.
type eventInvokeConfig struct {
	LastModified             epochSeconds      `json:"LastModified"`
	FunctionArn              string            `json:"FunctionArn"`
	MaximumRetryAttempts     *int              `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int              `json:"MaximumEventAgeInSeconds,omitempty"`
	DestinationConfig        destinationConfig `json:"DestinationConfig"`
}

func toEventInvokeConfig(v lambda.EventInvokeView) eventInvokeConfig {
	dest := func(arn string) *destination {
		if arn == "" {
			return &destination{}
		}
		return &destination{Destination: &arn}
	}
	return eventInvokeConfig{
		LastModified:             epochSeconds(v.LastModified),
		FunctionArn:              v.FunctionARN,
		MaximumRetryAttempts:     v.MaximumRetryAttempts,
		MaximumEventAgeInSeconds: v.MaximumEventAgeInSeconds,
		DestinationConfig:        destinationConfig{OnSuccess: dest(v.OnSuccess), OnFailure: dest(v.OnFailure)},
	}
}

// destinationMember maps a sent OnSuccess/OnFailure: absent is nil (not
// sent), present without a Destination clears it.
func destinationMember(d *destination) *string {
	if d == nil {
		return nil
	}
	s := ""
	if d.Destination != nil {
		s = *d.Destination
	}
	return &s
}

func (a *API) writeEventInvokeConfig(w http.ResponseWriter, r *http.Request, c awsproto.Caller, op string) error {
	var req eventInvokeRequest
	if err := awsproto.DecodeJSON(r, maxSmallBody, op, &req); err != nil {
		return err
	}
	in := lambda.EventInvokeInput{FunctionName: r.PathValue("FunctionName"), Qualifier: r.URL.Query().Get("Qualifier"),
		MaximumRetryAttempts: req.MaximumRetryAttempts, MaximumEventAgeInSeconds: req.MaximumEventAgeInSeconds}
	if d := req.DestinationConfig; d != nil {
		in.HasDestinationConfig = true
		in.OnSuccess, in.OnFailure = destinationMember(d.OnSuccess), destinationMember(d.OnFailure)
	}
	var v lambda.EventInvokeView
	var err error
	if op == "PutFunctionEventInvokeConfig" {
		v, err = a.svc.PutFunctionEventInvokeConfig(r.Context(), scope(c), in)
	} else {
		v, err = a.svc.UpdateFunctionEventInvokeConfig(r.Context(), scope(c), in)
	}
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, toEventInvokeConfig(v))
	return nil
}

func (a *API) putEventInvokeConfig(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	return a.writeEventInvokeConfig(w, r, c, "PutFunctionEventInvokeConfig")
}

func (a *API) updateEventInvokeConfig(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	return a.writeEventInvokeConfig(w, r, c, "UpdateFunctionEventInvokeConfig")
}

func (a *API) getEventInvokeConfig(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	v, err := a.svc.GetFunctionEventInvokeConfig(r.Context(), scope(c), r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, toEventInvokeConfig(v))
	return nil
}

func (a *API) deleteEventInvokeConfig(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	if err := a.svc.DeleteFunctionEventInvokeConfig(r.Context(), scope(c), r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier")); err != nil {
		return err
	}
	awsproto.WriteEmpty(w, http.StatusNoContent)
	return nil
}

func (a *API) listEventInvokeConfigs(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	q := r.URL.Query()
	limit, err := maxItems(q)
	if err != nil {
		return err
	}
	views, next, err := a.svc.ListFunctionEventInvokeConfigs(r.Context(), scope(c), r.PathValue("FunctionName"), q.Get("Marker"), limit)
	if err != nil {
		return err
	}
	out := struct {
		FunctionEventInvokeConfigs []eventInvokeConfig `json:"FunctionEventInvokeConfigs"`
		NextMarker                 string              `json:"NextMarker,omitempty"`
	}{FunctionEventInvokeConfigs: make([]eventInvokeConfig, 0, len(views)), NextMarker: next}
	for _, v := range views {
		out.FunctionEventInvokeConfigs = append(out.FunctionEventInvokeConfigs, toEventInvokeConfig(v))
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}
