package lambdaapi

import (
	"net/http"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// Invoker runs invocations (the data plane).
type Invoker interface{}

func (a *API) invoke(w http.ResponseWriter, r *http.Request, c awsproto.Caller) error {
	return &lambda.Error{Kind: lambda.KindServiceUnavailable, Message: "Invoke is not available in this build."}
}
