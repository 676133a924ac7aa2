package lambdaapi

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// maxTail is how much of an invocation's log X-Amz-Log-Result carries.
const maxTail = 4096

func (a *API) invoke(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	payload, err := awsproto.ReadBody(r, lambda.MaxSyncPayload)
	if errors.Is(err, awsproto.ErrTooLarge) {
		size := r.ContentLength // unknown (-1) when chunked: at least one byte over
		if size <= lambda.MaxSyncPayload {
			size = lambda.MaxSyncPayload + 1
		}
		return lambda.PayloadTooLarge(r.Header.Get("X-Amz-Invocation-Type"), size)
	}
	if err != nil {
		return &lambda.Error{Kind: lambda.KindInvalidRequestContent, Message: "Could not read request body."}
	}
	out, err := a.svc.Invoke(r.Context(), scope(c), lambda.InvokeInput{
		FunctionName:   r.PathValue("FunctionName"),
		Qualifier:      r.URL.Query().Get("Qualifier"),
		InvocationType: r.Header.Get("X-Amz-Invocation-Type"),
		LogType:        r.Header.Get("X-Amz-Log-Type"),
		ClientContext:  r.Header.Get("X-Amz-Client-Context"),
		Payload:        payload,
		RequestID:      awsproto.RequestID(r.Context()),
	})
	if err != nil {
		return err
	}
	h := w.Header()
	if out.ExecutedVersion != "" && out.StatusCode == http.StatusOK {
		h.Set("X-Amz-Executed-Version", out.ExecutedVersion)
	}
	if out.FunctionError != "" {
		h.Set("X-Amz-Function-Error", out.FunctionError)
	}
	if r.Header.Get("X-Amz-Log-Type") == "Tail" && out.StatusCode == http.StatusOK {
		tail := out.Log
		if len(tail) > maxTail {
			tail = tail[len(tail)-maxTail:]
		}
		h.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString(tail))
	}
	if out.StatusCode != http.StatusOK {
		awsproto.WriteEmpty(w, out.StatusCode)
		return nil
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", fmt.Sprint(len(out.Payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out.Payload)
	return nil
}
