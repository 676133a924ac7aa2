package logs_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/logs"
)

func (e *env) groupStoredBytes(scope logs.Scope, name string) int64 {
	e.t.Helper()
	out, err := e.svc.DescribeLogGroups(e.ctx, scope, logs.DescribeLogGroupsInput{Prefix: name})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, g := range out.Groups {
		if g.Name == name {
			return g.StoredBytes
		}
	}
	e.t.Fatalf("no group %s", name)
	return 0
}

func TestRetentionSweep(t *testing.T) {
	e := newEnv(t)
	for _, g := range []string{"kept", "expiring"} {
		e.mustCreateGroup(scopeA(), g)
		e.mustCreateStream(scopeA(), g, "s")
		// Three days of events, one batch per day (a batch spans 24 h at most).
		e.mustPut(scopeA(), g, "s", logs.InputEvent{Timestamp: e.now() - 3*day, Message: "three days ago"})
		e.mustPut(scopeA(), g, "s", logs.InputEvent{Timestamp: e.now() - 36*hour, Message: "a day and a half ago"})
		e.mustPut(scopeA(), g, "s", logs.InputEvent{Timestamp: e.now() - hour, Message: "an hour ago"})
	}
	e.mustCreateStream(scopeA(), "expiring", "empty")
	before := e.groupStoredBytes(scopeA(), "expiring")
	if err := e.svc.PutRetentionPolicy(e.ctx, scopeA(), "expiring", 1); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Sweep(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.streamEvents(scopeA(), "expiring", "s"); !slices.Equal(got, []string{"an hour ago"}) {
		t.Errorf("after a sweep with 1-day retention: %q", got)
	}
	if got := e.streamEvents(scopeA(), "kept", "s"); len(got) != 3 {
		t.Errorf("a group without retention lost events: %q", got)
	}
	if after := e.groupStoredBytes(scopeA(), "expiring"); after != logs.EventSize("an hour ago") || after >= before {
		t.Errorf("storedBytes %d → %d, want %d", before, after, logs.EventSize("an hour ago"))
	}
	streams, _ := e.svc.DescribeLogStreams(e.ctx, scopeA(), logs.DescribeLogStreamsInput{Group: "expiring", Prefix: "s"})
	if st := streams.Streams[0]; st.FirstEventTimestamp == nil || *st.FirstEventTimestamp != e.now()-hour {
		t.Errorf("first event after the sweep: %+v", st)
	}
	if e.svc.StoredBytes() != e.groupStoredBytes(scopeA(), "kept")+e.groupStoredBytes(scopeA(), "expiring") {
		t.Errorf("StoredBytes %d is not the groups' sum", e.svc.StoredBytes())
	}

	// The sweeper runs by itself every SweepInterval: a day later, the last
	// event expires too. The stream stays, empty.
	e.clock.Advance(24 * time.Hour)
	waitFor(t, "the periodic sweep", func() bool {
		return e.groupStoredBytes(scopeA(), "expiring") == 0 && len(e.streamEvents(scopeA(), "expiring", "s")) == 0
	})
	streams, _ = e.svc.DescribeLogStreams(e.ctx, scopeA(), logs.DescribeLogStreamsInput{Group: "expiring"})
	if len(streams.Streams) != 2 || streams.Streams[1].FirstEventTimestamp != nil {
		t.Errorf("streams after everything expired: %+v", streams.Streams)
	}
	if got := e.groupStoredBytes(scopeA(), "expiring"); got != 0 {
		t.Errorf("storedBytes %d after everything expired", got)
	}
	// Retention survives a restart and is still enforced after it.
	e.restart()
	e.mustPut(scopeA(), "expiring", "s", logs.InputEvent{Timestamp: e.now() - 25*hour, Message: "old again"})
	if err := e.svc.Sweep(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.streamEvents(scopeA(), "expiring", "s"); len(got) != 0 {
		t.Errorf("after restart: %q", got)
	}
}

// TestSweepDeletesInChunks: a stream with more expired events than one
// delete removes (16 KiB of 72 KB here) is emptied by one sweep.
func TestSweepDeletesInChunks(t *testing.T) {
	logs.SetSweepTxBytes(t, 16<<10)
	e := newEnv(t)
	e.mustCreateGroup(scopeA(), "g")
	e.mustCreateStream(scopeA(), "g", "s")
	evs := make([]logs.InputEvent, 2500)
	for i := range evs {
		evs[i] = logs.InputEvent{Timestamp: e.now() - 2*day + int64(i), Message: "old"}
	}
	e.mustPut(scopeA(), "g", "s", evs...)
	e.mustPut(scopeA(), "g", "s", e.at(0)...)
	if err := e.svc.PutRetentionPolicy(e.ctx, scopeA(), "g", 1); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Sweep(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.streamEvents(scopeA(), "g", "s"); !slices.Equal(got, []string{"m0"}) {
		t.Errorf("left %d events", len(got))
	}
}

// TestStorageCapDropsOldestFirst: past MaxStoredBytes the sweeper deletes
// the oldest events of all streams and groups first, down to the low-water
// mark (90% of the cap).
func TestStorageCapDropsOldestFirst(t *testing.T) {
	const size = 10 + 26 // "event 0000" and AWS's 26 bytes
	const limit = 100 * size
	e := newEnv(t, func(o *logs.Options) { o.MaxStoredBytes = limit })
	// 300 events over two groups and three streams, timestamps interleaved.
	for _, g := range []string{"g1", "g2"} {
		e.mustCreateGroup(scopeA(), g)
	}
	streams := []struct{ group, stream string }{{"g1", "a"}, {"g1", "b"}, {"g2", "c"}}
	for _, st := range streams {
		e.mustCreateStream(scopeA(), st.group, st.stream)
	}
	for i := range 300 {
		st := streams[(i*7)%3]
		ts := e.now() - 1000 + int64(i)
		e.mustPut(scopeA(), st.group, st.stream, logs.InputEvent{Timestamp: ts, Message: fmt.Sprintf("event %04d", i)})
	}
	// Appends past the cap kick the sweeper; an explicit sweep finishes
	// the job whatever it has done so far.
	if err := e.svc.Sweep(e.ctx); err != nil {
		t.Fatal(err)
	}
	// Background passes may have run between the appends: the total is
	// anywhere from the low-water mark to the cap, the newest events.
	got := e.svc.StoredBytes()
	if got > limit || got < 90*size {
		t.Fatalf("StoredBytes %d after the sweep, want %d to %d", got, 90*size, limit)
	}
	var kept []string
	for _, g := range []string{"g1", "g2"} {
		for _, ev := range e.filterAll(scopeA(), logs.FilterLogEventsInput{Group: g}) {
			kept = append(kept, ev.Message)
		}
	}
	slices.Sort(kept)
	var want []string
	for i := 300 - int(got/size); i < 300; i++ {
		want = append(want, fmt.Sprintf("event %04d", i))
	}
	if !slices.Equal(kept, want) {
		t.Errorf("kept %d events from %q to %q, want the newest %d", len(kept), kept[0], kept[len(kept)-1], got/size)
	}
	if e.svc.StoredBytes() != e.groupStoredBytes(scopeA(), "g1")+e.groupStoredBytes(scopeA(), "g2") {
		t.Errorf("StoredBytes %d is not the groups' sum", e.svc.StoredBytes())
	}
}

// TestStorageCapEnforcedWithoutACall: appends past the cap wake the sweeper
// at once; nobody calls Sweep.
func TestStorageCapEnforcedWithoutACall(t *testing.T) {
	const limit = 50 * (10 + 26)
	e := newEnv(t, func(o *logs.Options) { o.MaxStoredBytes = limit })
	e.mustCreateGroup(scopeA(), "g")
	e.mustCreateStream(scopeA(), "g", "s")
	evs := make([]logs.InputEvent, 200)
	for i := range evs {
		evs[i] = logs.InputEvent{Timestamp: e.now() + int64(i) - 200, Message: fmt.Sprintf("event %04d", i)}
	}
	e.mustPut(scopeA(), "g", "s", evs...)
	waitFor(t, "the cap to be enforced", func() bool { return e.svc.StoredBytes() <= limit })
	// Down to the low-water mark: 45 events.
	if got := e.streamEvents(scopeA(), "g", "s"); len(got) != 45 || got[0] != "event 0155" {
		t.Errorf("kept %d events starting with %q", len(got), got[0])
	}
}

// countingStore counts the store's deletions of old events: each is one
// durable transaction.
type countingStore struct {
	logs.Store
	deletes atomic.Int64
	maxCuts atomic.Int64 // the most streams one deletion named
}

// restartCounted restarts e's service with a cap of limit on a store that
// counts its deletes.
func (e *env) restartCounted(limit int64) *countingStore {
	counter := &countingStore{}
	e.restart(func(o *logs.Options) {
		o.MaxStoredBytes = limit
		counter.Store = o.Store
		o.Store = counter
	})
	return counter
}

func (c *countingStore) DeleteOldestLogEvents(ctx context.Context, cuts []logs.LogCut, maxBytes int64, atLeastOne bool) ([]logs.Stream, bool, error) {
	c.deletes.Add(1)
	for m := c.maxCuts.Load(); int64(len(cuts)) > m && !c.maxCuts.CompareAndSwap(m, int64(len(cuts))); m = c.maxCuts.Load() {
	}
	return c.Store.DeleteOldestLogEvents(ctx, cuts, maxBytes, atLeastOne)
}

// txAtMost is the most delete transactions of budget bytes that free n
// bytes of interleaved's events: each frees more than budget less one
// event, the last one any part of it.
func txAtMost(n, budget int64) int64 {
	per := budget - maxInterleavedSize + 1
	return (n+per-1)/per + 1
}

// maxInterleavedSize is the largest EventSize interleaved makes: a
// 400-byte message and AWS's 26 bytes.
const maxInterleavedSize = 400 + 26

// interleaved appends n events of random sizes (20 to 400 bytes), one per
// millisecond from start, each to a random one of streams (group, stream
// pairs), so that the streams interleave event by event. Message i starts
// with i (6 digits); it returns the total EventSize.
func (e *env) interleaved(rng *rand.Rand, streams [][2]string, start int64, n int) int64 {
	e.t.Helper()
	per := make([][]logs.InputEvent, len(streams))
	var total int64
	for i := range n {
		msg := fmt.Sprintf("%06d %s", i, strings.Repeat("x", 13+rng.IntN(381)))
		j := rng.IntN(len(streams))
		per[j] = append(per[j], logs.InputEvent{Timestamp: start + int64(i), Message: msg})
		total += logs.EventSize(msg)
	}
	for j, st := range streams {
		for evs := per[j]; len(evs) > 0; {
			k := min(len(evs), 2000) // under PutLogEvents' 1 MiB
			e.mustPut(scopeA(), st[0], st[1], evs[:k]...)
			evs = evs[k:]
		}
	}
	return total
}

// keptIndexes returns the index of every event the groups hold, sorted.
func (e *env) keptIndexes(groups ...string) (idx []int, size int64) {
	e.t.Helper()
	for _, g := range groups {
		for _, ev := range e.filterAll(scopeA(), logs.FilterLogEventsInput{Group: g}) {
			i, err := strconv.Atoi(ev.Message[:6])
			if err != nil {
				e.t.Fatalf("message %.20q", ev.Message)
			}
			idx = append(idx, i)
			size += logs.EventSize(ev.Message)
		}
	}
	slices.Sort(idx)
	return idx, size
}

// TestCapSweepAcrossInterleavedStreams: five streams of two groups whose
// events interleave one by one hold four times the cap. One pass deletes
// down to the low-water mark, exactly the oldest events of all (every
// event kept is newer than every event deleted), in as many transactions
// as the bytes to free need at sweepTxBytes each, not one per few events;
// the figures match what is stored, and read back the same after a
// restart, whose next pass has nothing to do.
func TestCapSweepAcrossInterleavedStreams(t *testing.T) {
	const txBytes = 64 << 10
	const limit = 256 << 10
	logs.SetSweepTxBytes(t, txBytes)
	e := newEnv(t, func(o *logs.Options) { o.MaxStoredBytes = -1 }) // filled without a cap
	streams := [][2]string{{"g1", "a"}, {"g1", "b"}, {"g1", "c"}, {"g2", "d"}, {"g2", "e"}}
	for _, g := range []string{"g1", "g2"} {
		e.mustCreateGroup(scopeA(), g)
	}
	for _, st := range streams {
		e.mustCreateStream(scopeA(), st[0], st[1])
	}
	const n = 4800
	total := e.interleaved(rand.New(rand.NewPCG(1, 2)), streams, e.now()-hour, n)
	if total < 4*limit || e.svc.StoredBytes() != total {
		t.Fatalf("filled %d bytes (service says %d), want at least %d", total, e.svc.StoredBytes(), 4*limit)
	}

	counter := e.restartCounted(limit)
	if err := e.svc.Sweep(e.ctx); err != nil {
		t.Fatal(err)
	}
	low := logs.CapLowWater(limit)
	got := e.svc.StoredBytes()
	// The event straddling the mark is kept (deleting it would go below
	// the mark, and the cap holds with it): at most one event above.
	if got < low || got >= low+maxInterleavedSize || got > limit {
		t.Errorf("StoredBytes %d after a pass, want from the low-water mark %d to one event more", got, low)
	}
	kept, size := e.keptIndexes("g1", "g2")
	if len(kept) == 0 || size != got {
		t.Fatalf("kept %d events of %d bytes; StoredBytes %d", len(kept), size, got)
	}
	if first := kept[0]; len(kept) != n-first || kept[len(kept)-1] != n-1 {
		t.Errorf("kept %d events from %d to %d: not the newest of all (some newer than a deleted one is missing)", len(kept), first, kept[len(kept)-1])
	}
	if got != e.groupStoredBytes(scopeA(), "g1")+e.groupStoredBytes(scopeA(), "g2") {
		t.Errorf("StoredBytes %d is not the groups' sum", got)
	}
	// Full transactions, each short of txBytes by less than one event, and
	// the last, partial one; the 1,000-events-per-transaction sweep took
	// one per few events here.
	maxTx := txAtMost(total-low, txBytes)
	t.Logf("%d delete transactions freed %d bytes", counter.deletes.Load(), total-got)
	if c := counter.deletes.Load(); c < 1 || c > maxTx {
		t.Errorf("%d delete transactions to free %d bytes, want at most %d", c, total-low, maxTx)
	}

	before := e.snapshot(scopeA())
	e.restart(func(o *logs.Options) {
		o.MaxStoredBytes = limit
		counter.Store = o.Store
		o.Store = counter
	})
	counter.deletes.Store(0)
	if after := e.snapshot(scopeA()); !reflect.DeepEqual(after, before) {
		t.Error("the service reads back other groups, streams or events after a restart")
	}
	if e.svc.StoredBytes() != got {
		t.Errorf("StoredBytes %d after a restart, %d before", e.svc.StoredBytes(), got)
	}
	if err := e.svc.Sweep(e.ctx); err != nil {
		t.Fatal(err)
	}
	if c := counter.deletes.Load(); c != 0 || e.svc.StoredBytes() != got {
		t.Errorf("a pass under the cap made %d deletes, StoredBytes %d → %d", c, got, e.svc.StoredBytes())
	}
}

// TestCapSweepKeepsTheCapWithALargeEvent: when the event straddling the
// low-water mark is larger than the room between the mark and the cap,
// keeping it would leave the total over the cap: the pass deletes it too.
func TestCapSweepKeepsTheCapWithALargeEvent(t *testing.T) {
	const limit = 10_000
	e := newEnv(t, func(o *logs.Options) { o.MaxStoredBytes = -1 })
	e.mustCreateGroup(scopeA(), "g")
	e.mustCreateStream(scopeA(), "g", "s")
	// EventSizes 500, 5,000, 5,000 and 31: 10,531 bytes, the mark 9,000.
	// Deleting the first leaves 10,031, over the cap; the second must go
	// too, though that leaves 5,031.
	e.mustPut(scopeA(), "g", "s",
		logs.InputEvent{Timestamp: e.now() - 4, Message: strings.Repeat("a", 474)},
		logs.InputEvent{Timestamp: e.now() - 3, Message: strings.Repeat("b", 4974)},
		logs.InputEvent{Timestamp: e.now() - 2, Message: strings.Repeat("c", 4974)},
		logs.InputEvent{Timestamp: e.now() - 1, Message: "small"})
	e.restart(func(o *logs.Options) { o.MaxStoredBytes = limit })
	if err := e.svc.Sweep(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.streamEvents(scopeA(), "g", "s"); len(got) != 2 || got[1] != "small" || got[0][0] != 'c' {
		t.Errorf("kept %d events", len(got))
	}
	if got := e.svc.StoredBytes(); got != 5031 {
		t.Errorf("StoredBytes %d, want 5,031", got)
	}
}

// TestCapSweepStopsAtTheMarkAfterABudgetStep: a pass whose first
// transaction is cut short by the transaction budget, and which is then
// within the cap, does not delete an event that would take the total below
// the low-water mark (the store's "at least one event" is only for a step
// over the cap).
func TestCapSweepStopsAtTheMarkAfterABudgetStep(t *testing.T) {
	logs.SetSweepTxBytes(t, 1000)
	e := newEnv(t, func(o *logs.Options) { o.MaxStoredBytes = -1 })
	e.mustCreateGroup(scopeA(), "g")
	e.mustCreateStream(scopeA(), "g", "s")
	// 30 events of EventSize 300: 9,000 bytes. The cap 8,777, the mark
	// 7,900: a first step of 1,000 takes 3 events (8,100, within the cap);
	// a fourth would leave 7,800, below the mark.
	var evs []logs.InputEvent
	for i := range 30 {
		evs = append(evs, logs.InputEvent{Timestamp: e.now() - 100 + int64(i), Message: strings.Repeat("x", 274)})
	}
	e.mustPut(scopeA(), "g", "s", evs...)
	e.restart(func(o *logs.Options) { o.MaxStoredBytes = 8777 })
	if err := e.svc.Sweep(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got, low := e.svc.StoredBytes(), logs.CapLowWater(8777); got < low || got > 8777 {
		t.Errorf("StoredBytes %d after a pass, want between the mark %d and the cap 8,777", got, low)
	}
	if got := len(e.streamEvents(scopeA(), "g", "s")); got != 27 {
		t.Errorf("kept %d events, want 27", got)
	}
}

// TestRetentionSweepInFewTransactions: the expired events of several
// streams of two groups go in transactions of sweepTxBytes, oldest first,
// not one per 1,000 events of one stream; a group without retention and
// events younger than the retention are untouched.
func TestRetentionSweepInFewTransactions(t *testing.T) {
	const txBytes = 32 << 10
	logs.SetSweepTxBytes(t, txBytes)
	e := newEnv(t)
	streams := [][2]string{{"g1", "a"}, {"g1", "b"}, {"g2", "c"}}
	for _, g := range []string{"g1", "g2", "kept"} {
		e.mustCreateGroup(scopeA(), g)
	}
	for _, st := range append(streams, [2]string{"kept", "k"}) {
		e.mustCreateStream(scopeA(), st[0], st[1])
	}
	rng := rand.New(rand.NewPCG(3, 4))
	// 3,000 events from 3 days ago, one per ms, then some from an hour ago.
	expired := e.interleaved(rng, streams, e.now()-3*day, 3000)
	e.interleaved(rng, [][2]string{{"kept", "k"}}, e.now()-3*day, 100)
	young := e.interleaved(rng, streams, e.now()-hour, 200)
	for _, g := range []string{"g1", "g2"} {
		if err := e.svc.PutRetentionPolicy(e.ctx, scopeA(), g, 1); err != nil {
			t.Fatal(err)
		}
	}
	counter := &countingStore{}
	e.restart(func(o *logs.Options) {
		counter.Store = o.Store
		o.Store = counter
	})
	if err := e.svc.Sweep(e.ctx); err != nil {
		t.Fatal(err)
	}
	// The young events' indexes restart at 0: they are what g1 and g2 hold.
	if kept, size := e.keptIndexes("g1", "g2"); len(kept) != 200 || size != young {
		t.Errorf("g1 and g2 hold %d events of %d bytes, want the 200 young ones of %d", len(kept), size, young)
	}
	if got := len(e.streamEvents(scopeA(), "kept", "k")); got != 100 {
		t.Errorf("the group without retention holds %d events, want 100", got)
	}
	if maxTx := txAtMost(expired, txBytes); counter.deletes.Load() > maxTx {
		t.Errorf("%d delete transactions for %d expired bytes, want at most %d", counter.deletes.Load(), expired, maxTx)
	}
}

// TestCapSweepNamesOnlyReachableStreams: of 40 streams that each ended
// before the next began (environments long gone), a cap transaction names
// only those its budget can reach, not all 40; the pass still deletes
// exactly the oldest events of all.
func TestCapSweepNamesOnlyReachableStreams(t *testing.T) {
	const txBytes = 16 << 10
	logs.SetSweepTxBytes(t, txBytes)
	e := newEnv(t, func(o *logs.Options) { o.MaxStoredBytes = -1 })
	e.mustCreateGroup(scopeA(), "g")
	const streams, per = 40, 40
	var total int64
	for k := range streams {
		name := fmt.Sprintf("env%02d", k)
		e.mustCreateStream(scopeA(), "g", name)
		evs := make([]logs.InputEvent, per)
		for i := range evs {
			n := k*per + i
			evs[i] = logs.InputEvent{Timestamp: e.now() - 2*hour + int64(n), Message: fmt.Sprintf("%06d %s", n, strings.Repeat("x", 250))}
			total += logs.EventSize(evs[i].Message)
		}
		e.mustPut(scopeA(), "g", name, evs...)
	}
	limit := total / 2
	counter := e.restartCounted(limit)
	if err := e.svc.Sweep(e.ctx); err != nil {
		t.Fatal(err)
	}
	// 16 KiB is ~60 events: a transaction reaches two or three streams.
	if m := counter.maxCuts.Load(); m > 4 {
		t.Errorf("a deletion named %d streams; its budget reaches at most 4", m)
	}
	kept, _ := e.keptIndexes("g")
	if got := e.svc.StoredBytes(); got > logs.CapLowWater(limit)+maxInterleavedSize || got < logs.CapLowWater(limit) {
		t.Errorf("StoredBytes %d after the pass, low-water mark %d", got, logs.CapLowWater(limit))
	}
	if n := streams * per; len(kept) == 0 || kept[len(kept)-1] != n-1 || len(kept) != n-kept[0] {
		t.Errorf("kept %d events from %d: not the newest of all", len(kept), kept[0])
	}
}
