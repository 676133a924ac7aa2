// Command echofn is the benchmark function: an aws-lambda-go handler that
// returns its event unchanged. It is built as "bootstrap" for the
// provided.al2023 runtime.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func echo(_ context.Context, event json.RawMessage) (json.RawMessage, error) {
	return event, nil
}

func main() {
	lambda.Start(echo)
}
