// Command printfn is the benchmark function of log ingestion: an
// aws-lambda-go handler that prints PRINT_LINES lines (default 1) to stdout
// per invocation, in one write, and returns its event unchanged. It is built
// as "bootstrap" for the provided.al2023 runtime.
//
// PRINT_TEXT picks the lines: "repeat" (the default) is one sentence with
// the line's number; "varied" looks like an application's log records
// (level, time, request ID, a message with IDs and figures that vary from
// line to line, ~160 bytes), which compress as real logs do rather than as
// one sentence repeated. The lines are made once, at start, so a call
// costs the function one write.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
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
	rng := rand.New(rand.NewPCG(10, uint64(n)))
	requestID := fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xfff, rng.Uint32()&0xfff, rng.Uint64()&0xffffffffffff)
	varied := os.Getenv("PRINT_TEXT") == "varied"
	var b strings.Builder
	for i := range n {
		if varied {
			fmt.Fprintf(&b, "[INFO]\t2026-12-06T19:44:%02d.%03dZ\t%s\tline %d of %d: order %08x for customer %d: %d items, %d.%02d USD, processed in %d ms\n",
				i/1000%60, i%1000, requestID, i+1, n, rng.Uint32(), rng.IntN(100000), 1+rng.IntN(20), rng.IntN(500), rng.IntN(100), rng.IntN(250))
		} else {
			fmt.Fprintf(&b, "line %d of %d: the quick brown fox jumps over the lazy dog\n", i+1, n)
		}
	}
	out := []byte(b.String())
	lambda.Start(func(_ context.Context, event json.RawMessage) (json.RawMessage, error) {
		_, _ = os.Stdout.Write(out)
		return event, nil
	})
}
