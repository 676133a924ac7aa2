package logs_test

import (
	"fmt"
	"slices"
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
// delete removes is emptied by one sweep.
func TestSweepDeletesInChunks(t *testing.T) {
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
