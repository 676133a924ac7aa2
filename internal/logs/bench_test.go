package logs_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync/atomic"
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

// txCounter counts a store's durable writes (each one transaction) and
// times its deletions of old events.
type txCounter struct {
	logs.Store
	appends, deletes atomic.Int64
	deleteNanos      atomic.Int64
	maxDeleteNanos   atomic.Int64
}

func (c *txCounter) AppendLogEvents(ctx context.Context, batches []logs.Append) ([]logs.Stream, error) {
	c.appends.Add(1)
	return c.Store.AppendLogEvents(ctx, batches)
}

func (c *txCounter) timed(t0 time.Time) {
	d := time.Since(t0).Nanoseconds()
	c.deletes.Add(1)
	c.deleteNanos.Add(d)
	for m := c.maxDeleteNanos.Load(); d > m && !c.maxDeleteNanos.CompareAndSwap(m, d); m = c.maxDeleteNanos.Load() {
	}
}

func (c *txCounter) DeleteOldestLogEvents(ctx context.Context, cuts []logs.LogCut, maxBytes int64, atLeastOne bool) ([]logs.Stream, bool, error) {
	defer c.timed(time.Now())
	return c.Store.DeleteOldestLogEvents(ctx, cuts, maxBytes, atLeastOne)
}

// BenchmarkIngestCapped: eight functions' streams (in two groups) log at
// once, each op one Ingest of 1,000 varied ~160-byte lines stamped with
// the time of the call, into a service capped at 64 MiB that is full
// before the timing starts, so the sweeper deletes as much as is ingested
// throughout (the eight callers do not wait for the disk: once the 32 MiB
// buffer has been full for a second, lines are dropped, and counted).
// lines/s is the rate stored (the last lines are flushed inside the
// timing; dropped lines do not count); store-tx/s all durable writes, delete-tx/s the
// sweeper's; delete-ms/tx and max-delete-ms how long one delete holds the
// writer slot; peak-MiB and end-MiB the stored bytes at their highest
// (sampled every 5 ms) and when the timing ends, and catch-up-ms how long
// a sweep then takes to bring them under the cap: how far the sweeper
// fell behind. capped-lines/s counts that catch-up in: the rate at which
// lines are stored with the cap held. docs/BENCHMARKS.md compares it with main's sweep:
//
//	go test -c -o /tmp/logs.test ./internal/logs
//	/tmp/logs.test -test.run '^$' -test.bench IngestCapped -test.benchtime 3000x
func BenchmarkIngestCapped(b *testing.B) {
	const limit = 64 << 20
	ctx := context.Background()
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "reservoir.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	counter := &txCounter{Store: st}
	svc, err := logs.NewService(ctx, logs.Options{Store: counter, MaxStoredBytes: limit})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close(ctx)
	scope := logs.Scope{Account: "123456789012", Region: "us-east-1"}
	rng := rand.New(rand.NewPCG(1, 2))
	msgs := make([]string, 1000)
	for i := range msgs {
		msgs[i] = fmt.Sprintf("[INFO]\t2026-12-06T19:44:%02d.%03dZ\tc0ffee00-0000-4000-8000-000000000000\tline %d of 1000: order %08x for customer %d: %d items, %d.%02d USD, processed in %d ms",
			i/1000%60, i%1000, i+1, rng.Uint32(), rng.IntN(100000), 1+rng.IntN(20), rng.IntN(500), rng.IntN(100), rng.IntN(250))
	}
	var next atomic.Int64
	ingest := func() {
		n := next.Add(1)
		group := fmt.Sprintf("/aws/lambda/f%d", n%2)
		stream := fmt.Sprintf("2026/12/06/[$LATEST]%032d", n%8)
		svc.IngestAt(scope, group, stream, time.Now(), msgs)
	}
	for svc.StoredBytes() < limit { // fill to the cap first
		for range 64 {
			ingest()
		}
		if err := svc.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	counter.appends.Store(0)
	counter.deletes.Store(0)
	counter.deleteNanos.Store(0)
	counter.maxDeleteNanos.Store(0)
	// The peak of the stored bytes, sampled every 5 ms: how far the
	// sweeper falls behind.
	var peak atomic.Int64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			peak.Store(max(peak.Load(), svc.StoredBytes()))
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	dropped := svc.IngestDropped()
	b.ResetTimer()
	start := time.Now()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ingest()
		}
	})
	if err := svc.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	secs := time.Since(start).Seconds()
	b.StopTimer()
	close(stop)
	<-sampled
	end := svc.StoredBytes()
	appends, deletes, deleteNanos := counter.appends.Load(), counter.deletes.Load(), counter.deleteNanos.Load()
	// Whatever the sweeper has not caught up with by the end.
	t0 := time.Now()
	if err := svc.Sweep(ctx); err != nil {
		b.Fatal(err)
	}
	catchUp := time.Since(t0)
	if got := svc.StoredBytes(); got > limit {
		b.Fatalf("StoredBytes %d over the cap after a sweep", got)
	}
	dropped = svc.IngestDropped() - dropped
	b.ReportMetric((float64(b.N*len(msgs))-float64(dropped))/secs, "lines/s")
	b.ReportMetric(float64(appends+deletes)/secs, "store-tx/s")
	b.ReportMetric(float64(deletes)/secs, "delete-tx/s")
	if deletes > 0 {
		b.ReportMetric(float64(deleteNanos)/float64(deletes)/1e6, "delete-ms/tx")
	}
	b.ReportMetric(float64(counter.maxDeleteNanos.Load())/1e6, "max-delete-ms")
	b.ReportMetric(float64(max(peak.Load(), end))/(1<<20), "peak-MiB")
	b.ReportMetric(float64(end)/(1<<20), "end-MiB")
	b.ReportMetric(float64(catchUp.Microseconds())/1e3, "catch-up-ms")
	// The rate with the cap held: the catch-up is deletion owed by the
	// lines stored in the timing.
	b.ReportMetric((float64(b.N*len(msgs))-float64(dropped))/(secs+catchUp.Seconds()), "capped-lines/s")
	b.ReportMetric(float64(dropped)/float64(b.N), "dropped-lines/op")
}
