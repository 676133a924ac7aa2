package app

// The cost of embedded metric format extraction per function log line: the
// sink functions' lines go through (ingestion into CloudWatch Logs), alone
// (emf=off, the baseline) and followed by the extractor (emf=on), for a
// plain text line, a JSON log record that is not EMF, and an EMF line (one
// dimension set, two metrics). docs/BENCHMARKS.md runs the pairs
// alternately and reads each on-figure as a ratio of its off-figure:
//
//	go test -c -o /tmp/app.test ./internal/app
//	cd internal/app && for i in 1 2 3 4 5; do for s in off on; do
//	  /tmp/app.test -test.run '^$' -test.bench "BenchmarkLogSinkEMF/.*/emf=$s" -test.benchmem -test.benchtime 0.5s >>emf-$s.txt; done; done
//	sed -i 's,/emf=on,,' emf-on.txt; sed -i 's,/emf=off,,' emf-off.txt; benchstat emf-off.txt emf-on.txt

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
	"github.com/reservoir-dev/reservoir/internal/logs"
	"github.com/reservoir-dev/reservoir/internal/sandbox"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

func BenchmarkLogSinkEMF(b *testing.B) {
	now := time.Now()
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	lines := []struct{ name, text string }{
		{"plain", "[INFO]\t2026-03-01T12:00:30.000Z\t5b3f8c1e-7c4d-4a55-9a0e-2f6d1c9b8a71\tprocessed order 81724 for customer 5531 in 12 ms"},
		{"json", `{"timestamp":"2026-03-01T12:00:30Z","level":"INFO","message":"processed order 81724 for customer 5531 in 12 ms","logger":"root","requestId":"5b3f8c1e-7c4d-4a55-9a0e-2f6d1c9b8a71"}`},
		{"emf", `{"_aws":{"Timestamp":` + ms + `,"CloudWatchMetrics":[{"Namespace":"Shop","Dimensions":[["Service"]],` +
			`"Metrics":[{"Name":"Orders","Unit":"Count"},{"Name":"Latency","Unit":"Milliseconds"}]}]},` +
			`"Service":"cart","Orders":1,"Latency":12,"requestId":"5b3f8c1e-7c4d-4a55-9a0e-2f6d1c9b8a71"}`},
	}
	if got, err := cloudwatch.ExtractEMF(lines[2].text, now); err != nil || len(got) != 2 {
		b.Fatalf("the EMF line yields %v, %v", got, err)
	}
	for _, l := range lines {
		for _, on := range []bool{false, true} {
			b.Run(fmt.Sprintf("line=%s/emf=%s", l.name, map[bool]string{false: "off", true: "on"}[on]), func(b *testing.B) {
				benchLogSinkEMF(b, l.text, now, on)
			})
		}
	}
}

func benchLogSinkEMF(b *testing.B, text string, now time.Time, extract bool) {
	ctx := context.Background()
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "reservoir.db"))
	if err != nil {
		b.Fatal(err)
	}
	lg, err := logs.NewService(ctx, logs.Options{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	cw, err := cloudwatch.NewService(ctx, cloudwatch.Options{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = lg.Close(ctx)
		_ = cw.Close(ctx)
		_ = st.Close()
	})
	sink := ingestSink(lg)
	if extract {
		sink = bothSinks(sink, emfSink(cw, slog.New(slog.DiscardHandler)))
	}
	line := sandbox.LogLines{Account: "123456789012", Region: "us-east-1", FunctionName: "f", Version: "$LATEST",
		LogGroup: "/aws/lambda/f", LogStream: "2026/03/01/[$LATEST]0123456789abcdef0123456789abcdef", Time: now, Texts: []string{text}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		sink(line)
		if i%32768 == 32767 {
			// Untimed: the ingester's 32 MiB buffer is emptied before it fills, so
			// that no line takes the cheaper path of being dropped.
			b.StopTimer()
			if err := lg.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
	b.StopTimer()
	if n := lg.IngestDropped(); n != 0 {
		b.Fatalf("%d lines dropped by the ingester", n)
	}
	if n := cw.PublishDropped(); n != 0 {
		b.Fatalf("%d datums dropped by the publisher", n)
	}
}
