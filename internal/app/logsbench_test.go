package app

// The cost of sending functions' output to CloudWatch Logs on the invoke
// path: warm invocations of a function printing 1 or 1,000 lines per call
// (of a repeated sentence, or varied like application logs),
// with the lines ingested (on) or not (off: the sandbox still reads and
// splits them; only the ingestion differs). On ingests every line into
// the logs service, and the timing ends once the last flush has made them
// durable. docs/BENCHMARKS.md runs the pairs alternately and compares them
// with benchstat:
//
//	go test -c -o /tmp/app.test ./internal/app
//	cd internal/app && for i in 1 2 3 4 5 6 7 8; do for s in off on; do
//	  /tmp/app.test -test.run '^$' -test.bench "BenchmarkInvokeLogs/.*/.*/.*/ingest=$s" -test.benchtime 3s >>$s.txt; done; done
//	sed -i 's,/ingest=on,,' on.txt; sed -i 's,/ingest=off,,' off.txt; benchstat off.txt on.txt
//
// clients=4/lines=1000/text=varied/cap=64MiB is the same calls with
// ingestion on and the logs service capped at 64 MiB, crossed early in the
// timing: the sweeper deletes as fast as the function logs.

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// benchOutputs are what the function prints per call: lines of printfn's
// PRINT_TEXT. The repeated sentence compresses far better than real logs
// do; the varied lines compress about as well as application logs.
var benchOutputs = []struct {
	lines int
	text  string
}{{1, "repeat"}, {1000, "repeat"}, {1000, "varied"}}

func BenchmarkInvokeLogs(b *testing.B) {
	for _, clients := range []int{1, benchClients} {
		for _, out := range benchOutputs {
			for _, ingest := range []bool{false, true} {
				state := map[bool]string{false: "off", true: "on"}[ingest]
				b.Run(fmt.Sprintf("clients=%d/lines=%d/text=%s/ingest=%s", clients, out.lines, out.text, state), func(b *testing.B) {
					benchInvokeLogs(b, clients, out.lines, out.text, ingest, 0)
				})
			}
		}
	}
	// The stored events cross a cap of 64 MiB (~350 calls of 1,000 varied
	// lines) early in the timing, so the sweeper deletes as much as is
	// ingested for the rest of it.
	b.Run(fmt.Sprintf("clients=%d/lines=1000/text=varied/cap=64MiB", benchClients), func(b *testing.B) {
		benchInvokeLogs(b, benchClients, 1000, "varied", true, 64<<20)
	})
}

// benchInvokeLogs runs the calls with ingestion on or off, and the logs
// service's MaxStoredBytes at limit (0: its default).
func benchInvokeLogs(b *testing.B, clients, lines int, text string, ingest bool, limit int64) {
	ctx := context.Background()
	p := startPrinter(b, Config{noLogIngest: !ingest, logMaxStoredBytes: limit},
		map[string]string{"PRINT_LINES": fmt.Sprint(lines), "PRINT_TEXT": text}, clients)
	var settle func() error
	if ingest {
		// The warm-up's lines are written before the timing starts, and the
		// lines of the timed calls are durable and searchable before it
		// stops: the flushes are part of the cost.
		if err := p.a.logs.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		settle = func() error { return p.a.logs.Flush(ctx) }
	}
	p.run(b, clients, settle)
	if ingest {
		// A full ingestion buffer (32 MiB) waits for the flush in
		// progress, 1 s at most, then drops: report what was dropped,
		// so a ratio is read with it.
		b.ReportMetric(float64(p.a.logs.IngestDropped())/float64(b.N), "dropped-lines/op")
	}
	if limit > 0 {
		// What is stored once the last flush is durable (within the cap
		// when the sweeper keeps up), and how long a sweep then takes to
		// bring it under the cap: deletion the timed calls still owe.
		b.ReportMetric(float64(p.a.logs.StoredBytes())/(1<<20), "stored-MiB")
		t0 := time.Now()
		if err := p.a.logs.Sweep(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(t0).Microseconds())/1e3, "catch-up-ms")
	}
}
