package logs_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/reservoir-dev/reservoir/internal/logs"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

// BenchmarkIngest: one op is one Ingest call carrying the 1,000 lines a
// function printed in one invocation; the flusher writes them to disk
// meanwhile, and the last ones are flushed inside the timing. lines/s is the
// sustained rate to disk; ns-in-Ingest/op is what the invocation path pays
// (ns/op also counts the flusher's share of the CPUs).
func BenchmarkIngest(b *testing.B) {
	ctx := context.Background()
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "reservoir.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc, err := logs.NewService(ctx, logs.Options{Store: st, Ingest: logs.IngestOptions{MaxBufferedBytes: 256 << 20}})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close(ctx)
	batch := make([]logs.Line, 1000)
	now := time.Now()
	for i := range batch {
		batch[i] = logs.Line{Time: now, Message: fmt.Sprintf("2026-03-01T12:00:00.000Z\tc0ffee00-0000-4000-8000-000000000000\tINFO\tprocessed item %d of the batch", i)}
	}
	b.ReportAllocs()
	start := time.Now()
	n := 0
	var inCalls time.Duration
	for b.Loop() {
		t0 := time.Now()
		svc.Ingest(logs.Scope{Account: "123456789012", Region: "us-east-1"}, "/aws/lambda/bench", lambdaStream, batch)
		inCalls += time.Since(t0)
		n += len(batch)
	}
	if err := svc.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "lines/s")
	b.ReportMetric(float64(svc.IngestDropped()), "dropped")
	b.ReportMetric(float64(inCalls.Nanoseconds())/float64(b.N), "ns-in-Ingest/op")
}

// BenchmarkIngestCall is the invocation path alone: Ingest of 1,000 lines
// with no flush running (the clock is fake; buffers are written outside the
// timing), in one call (batch) or one call per line as the server's sink
// makes them (lines).
func BenchmarkIngestCall(b *testing.B) {
	b.Run("batch", func(b *testing.B) { benchIngestCall(b, false) })
	b.Run("lines", func(b *testing.B) { benchIngestCall(b, true) })
}

func benchIngestCall(b *testing.B, oneByOne bool) {
	ctx := context.Background()
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "reservoir.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc, err := logs.NewService(ctx, logs.Options{Store: st, Clock: clockwork.NewFakeClock(), Ingest: logs.IngestOptions{MaxBufferedBytes: 1 << 30}})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close(ctx)
	batch := make([]logs.Line, 1000)
	now := time.Now()
	for i := range batch {
		batch[i] = logs.Line{Time: now, Message: fmt.Sprintf("2026-03-01T12:00:00.000Z\tc0ffee00-0000-4000-8000-000000000000\tINFO\tprocessed item %d of the batch", i)}
	}
	b.ReportAllocs()
	calls := 0
	scope := logs.Scope{Account: "123456789012", Region: "us-east-1"}
	for b.Loop() {
		if oneByOne {
			for i := range batch {
				svc.Ingest(scope, "/aws/lambda/bench", lambdaStream, batch[i:i+1])
			}
		} else {
			svc.Ingest(scope, "/aws/lambda/bench", lambdaStream, batch)
		}
		if calls++; calls%200 == 0 {
			b.StopTimer()
			if err := svc.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
	if d := svc.IngestDropped(); d != 0 {
		b.Fatalf("%d lines dropped", d)
	}
}

// BenchmarkFilterLogEvents1M searches a group of 1,000,000 events in 10
// streams, paging to the end: one op is one whole search.
func BenchmarkFilterLogEvents1M(b *testing.B) {
	const streams, perStream = 10, 100_000
	ctx := context.Background()
	scope := logs.Scope{Account: "123456789012", Region: "us-east-1"}
	path := filepath.Join(b.TempDir(), "reservoir.db")
	st, err := boltstore.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	base := time.Now().Add(-time.Hour).UnixMilli()
	if err := st.SaveLogGroup(ctx, logs.Group{Scope: scope, Name: "/aws/lambda/big", CreationTime: base, Class: logs.ClassStandard}); err != nil {
		b.Fatal(err)
	}
	for s := range streams {
		name := fmt.Sprintf("2026/03/01/[$LATEST]%032d", s)
		if err := st.CreateLogStream(ctx, scope, "/aws/lambda/big", logs.Stream{Name: name, CreationTime: base}); err != nil {
			b.Fatal(err)
		}
		for chunk := 0; chunk < perStream; chunk += 10_000 {
			evs := make([]logs.InputEvent, 10_000)
			for i := range evs {
				n := chunk + i
				msg := fmt.Sprintf(`{"level":"INFO","request":"req-%d-%d","latency":%d,"msg":"handled"}`, s, n, n%1000)
				if n%100_000 == 77 {
					msg = fmt.Sprintf(`{"level":"ERROR","request":"req-%d-%d","latency":%d,"msg":"needle"}`, s, n, n%1000)
				}
				evs[i] = logs.InputEvent{Timestamp: base + int64(n)*30 + int64(s), Message: msg}
			}
			if _, err := st.AppendLogEvents(ctx, []logs.Append{{Scope: scope, Group: "/aws/lambda/big", Stream: name, IngestionTime: base, Events: evs}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	svc, err := logs.NewService(ctx, logs.Options{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close(ctx)

	for _, bc := range []struct {
		name, pattern string
		want          int
	}{
		{"terms", `needle`, streams},
		{"json", `{ $.level = "ERROR" && $.latency < 100 }`, streams},
		{"all", ``, streams * perStream},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				in := logs.FilterLogEventsInput{Group: "/aws/lambda/big", FilterPattern: bc.pattern}
				found := 0
				for {
					out, err := svc.FilterLogEvents(ctx, scope, in)
					if err != nil {
						b.Fatal(err)
					}
					found += len(out.Events)
					if out.NextToken == "" {
						break
					}
					in.NextToken = out.NextToken
				}
				if found != bc.want {
					b.Fatalf("found %d, want %d", found, bc.want)
				}
			}
			b.ReportMetric(float64(streams*perStream)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
