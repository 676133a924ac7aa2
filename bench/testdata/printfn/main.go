// Command printfn is the benchmark function of log ingestion: an
// aws-lambda-go handler that prints PRINT_LINES lines (default 1) to stdout
// per invocation, in one write, and returns its event unchanged. It is built
// as "bootstrap" for the provided.al2023 runtime.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	n, err := strconv.Atoi(os.Getenv("PRINT_LINES"))
	if err != nil || n < 1 {
		n = 1
	}
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "line %d of %d: the quick brown fox jumps over the lazy dog\n", i+1, n)
	}
	out := []byte(b.String())
	lambda.Start(func(_ context.Context, event json.RawMessage) (json.RawMessage, error) {
		_, _ = os.Stdout.Write(out)
		return event, nil
	})
}
