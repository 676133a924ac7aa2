package logs_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/reservoir-dev/reservoir/internal/logs"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

func lines(at time.Time, msgs ...string) []logs.Line {
	out := make([]logs.Line, len(msgs))
	for i, m := range msgs {
		out[i] = logs.Line{Time: at.Add(time.Duration(i) * time.Millisecond), Message: m}
	}
	return out
}

const lambdaStream = "2026/03/01/[$LATEST]0123456789abcdef0123456789abcdef"

func TestIngestCreatesGroupAndStream(t *testing.T) {
	e := newEnv(t)
	e.svc.Ingest(scopeA(), "/aws/lambda/f", lambdaStream, lines(epoch(), "START RequestId: r1 Version: $LATEST", "hello", "END RequestId: r1"))
	if err := e.svc.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	out, err := e.svc.DescribeLogGroups(e.ctx, scopeA(), logs.DescribeLogGroupsInput{})
	if err != nil || len(out.Groups) != 1 || out.Groups[0].Name != "/aws/lambda/f" || out.Groups[0].Class != logs.ClassStandard ||
		out.Groups[0].CreationTime != e.now() || out.Groups[0].StoredBytes == 0 {
		t.Fatalf("groups after ingest: %+v, %v", out, err)
	}
	got, err := e.svc.GetLogEvents(e.ctx, scopeA(), logs.GetLogEventsInput{Group: "/aws/lambda/f", Stream: lambdaStream, StartFromHead: true})
	if err != nil {
		t.Fatal(err)
	}
	if msgs := outputMessages(got.Events); !slices.Equal(msgs, []string{"START RequestId: r1 Version: $LATEST", "hello", "END RequestId: r1"}) {
		t.Fatalf("events: %q", msgs)
	}
	if ev := got.Events[1]; ev.Timestamp != e.now()+1 || ev.IngestionTime != e.now() {
		t.Errorf("event %+v", ev)
	}

	// An existing group (with its settings) gets a new stream; existing
	// streams are appended to.
	e.mustCreateGroup(scopeA(), "/custom/group")
	if err := e.svc.PutRetentionPolicy(e.ctx, scopeA(), "/custom/group", 7); err != nil {
		t.Fatal(err)
	}
	e.svc.Ingest(scopeA(), "/custom/group", "s", lines(epoch(), "a"))
	e.svc.Ingest(scopeA(), "/aws/lambda/f", lambdaStream, lines(epoch().Add(time.Second), "more"))
	if err := e.svc.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if msgs := e.streamEvents(scopeA(), "/custom/group", "s"); !slices.Equal(msgs, []string{"a"}) {
		t.Errorf("custom group: %q", msgs)
	}
	if msgs := e.streamEvents(scopeA(), "/aws/lambda/f", lambdaStream); len(msgs) != 4 || msgs[3] != "more" {
		t.Errorf("appended: %q", msgs)
	}
	groups, _ := e.svc.DescribeLogGroups(e.ctx, scopeA(), logs.DescribeLogGroupsInput{Prefix: "/custom"})
	if groups.Groups[0].RetentionDays != 7 {
		t.Errorf("ingest changed the group's settings: %+v", groups.Groups[0])
	}
	if d := e.svc.IngestDropped(); d != 0 {
		t.Errorf("%d lines dropped", d)
	}
}

func TestIngestDropsWhatAWSWouldRefuse(t *testing.T) {
	e := newEnv(t)
	e.svc.Ingest(scopeA(), "bad group name", "s", lines(epoch(), "a", "b"))
	e.svc.Ingest(scopeA(), "aws/reserved-is-fine-for-lambda", "s", lines(epoch(), "c"))
	e.svc.Ingest(scopeA(), "/g", "bad:stream", lines(epoch(), "d"))
	e.svc.Ingest(scopeA(), "/g", "ok", lines(epoch(), "", "e"))
	if err := e.svc.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if d := e.svc.IngestDropped(); d != 4 { // a, b, d and the empty line
		t.Errorf("%d lines dropped, want 4", d)
	}
	if msgs := e.streamEvents(scopeA(), "/g", "ok"); !slices.Equal(msgs, []string{"e"}) {
		t.Errorf("kept: %q", msgs)
	}
	if msgs := e.streamEvents(scopeA(), "aws/reserved-is-fine-for-lambda", "s"); !slices.Equal(msgs, []string{"c"}) {
		t.Errorf("a group only AWS may create: %q", msgs)
	}
	if names := e.groupNames(scopeA()); !slices.Equal(names, []string{"/g", "aws/reserved-is-fine-for-lambda"}) {
		t.Errorf("groups: %q", names)
	}
}

// IngestAt queues messages written at one time as Ingest would: in order,
// all with that timestamp, empty ones dropped and counted.
func TestIngestAtSharesOneTime(t *testing.T) {
	e := newEnv(t)
	at := epoch().Add(-time.Second)
	e.svc.IngestAt(scopeA(), "/aws/lambda/f", lambdaStream, at, []string{"one", "", "two", "three"})
	e.svc.IngestAt(scopeA(), "/aws/lambda/f", lambdaStream, at.Add(time.Millisecond), []string{"four"})
	if err := e.svc.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if d := e.svc.IngestDropped(); d != 1 {
		t.Errorf("%d lines dropped, want 1 (the empty one)", d)
	}
	got, err := e.svc.GetLogEvents(e.ctx, scopeA(), logs.GetLogEventsInput{Group: "/aws/lambda/f", Stream: lambdaStream, StartFromHead: true})
	if err != nil {
		t.Fatal(err)
	}
	if msgs := outputMessages(got.Events); !slices.Equal(msgs, []string{"one", "two", "three", "four"}) {
		t.Fatalf("events: %q", msgs)
	}
	for i, ev := range got.Events {
		want := logs.Millis(at)
		if i == 3 {
			want++
		}
		if ev.Timestamp != want {
			t.Errorf("event %d at %d, want %d", i, ev.Timestamp, want)
		}
	}
}

func TestIngestTruncatesLongLines(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("é", 1<<20) // 2 MiB of two-byte characters
	e.svc.Ingest(scopeA(), "/g", "s", lines(epoch(), long))
	if err := e.svc.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	msgs := e.streamEvents(scopeA(), "/g", "s")
	if len(msgs) != 1 || len(msgs[0]) != 1048576-26 || !strings.HasPrefix(long, msgs[0]) {
		t.Fatalf("stored %d bytes, want the first %d", len(msgs[0]), 1048576-26)
	}
}

// TestIngestFlushesEveryInterval: lines become searchable at the next
// flush, FlushInterval (well under a second) after they were written,
// without anyone calling Flush.
func TestIngestFlushesEveryInterval(t *testing.T) {
	e := newEnv(t)
	if logs.DefaultFlushInterval > time.Second/2 {
		t.Fatalf("DefaultFlushInterval %s: lines must be searchable within a second", logs.DefaultFlushInterval)
	}
	search := func() int {
		out, err := e.svc.FilterLogEvents(e.ctx, scopeA(), logs.FilterLogEventsInput{Group: "/aws/lambda/f", FilterPattern: "needle"})
		if err != nil {
			return 0 // the group appears with the first flush
		}
		return len(out.Events)
	}
	e.svc.Ingest(scopeA(), "/aws/lambda/f", lambdaStream, lines(epoch(), "a needle", "hay"))
	if n := search(); n != 0 {
		t.Fatalf("searchable before any flush: %d", n)
	}
	// The flusher and the sweeper wait on the fake clock.
	if err := e.clock.BlockUntilContext(e.ctx, 2); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(logs.DefaultFlushInterval)
	waitFor(t, "the flush after one interval", func() bool { return search() == 1 })
}

// slowStore holds every AppendLogEvents until released, like a disk that
// has stalled.
type slowStore struct {
	*boltstore.Store
	mu      sync.Mutex
	release chan struct{}
	entered chan struct{}
}

func (s *slowStore) AppendLogEvents(ctx context.Context, b []logs.Append) ([]logs.Stream, error) {
	s.mu.Lock()
	release, entered := s.release, s.entered
	s.mu.Unlock()
	if release != nil {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
	}
	return s.Store.AppendLogEvents(ctx, b)
}

// stuckService replaces e's service with one over a store that holds
// every write until released, a fresh fake clock and a 64 KiB buffer, and
// waits until its flusher and sweeper wait on that clock.
func stuckService(t *testing.T, e *env) (*logs.Service, *slowStore, *clockwork.FakeClock) {
	slow := &slowStore{Store: e.store, release: make(chan struct{}), entered: make(chan struct{}, 1)}
	if err := e.svc.Close(e.ctx); err != nil {
		t.Fatal(err)
	}
	clk := clockwork.NewFakeClockAt(epoch())
	svc, err := logs.NewService(e.ctx, logs.Options{Store: slow, Clock: clk, Ingest: logs.IngestOptions{MaxBufferedBytes: stuckBuffer}})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	if err := clk.BlockUntilContext(e.ctx, 2); err != nil {
		t.Fatal(err)
	}
	return svc, slow, clk
}

const stuckBuffer = 64 << 10

// roundLines is 1,000 lines of about 50 bytes each, ~50 KB as EventSize
// counts them: under stuckBuffer, but not twice.
func roundLines(round int) []logs.Line {
	msgs := make([]string, 1000)
	for i := range msgs {
		msgs[i] = fmt.Sprintf("round %03d line %04d", round, i)
	}
	return lines(epoch(), msgs...)
}

func (s *slowStore) unstick() {
	s.mu.Lock()
	close(s.release)
	s.release = nil
	s.mu.Unlock()
}

// TestIngestWaitsForAFlush: when the buffer is full and a flush is
// writing, Ingest waits for that flush instead of dropping lines, and goes
// on once it has made room: every line is stored.
func TestIngestWaitsForAFlush(t *testing.T) {
	e := newEnv(t)
	svc, slow, clk := stuckService(t, e)
	svc.Ingest(scopeA(), "/g", "s", roundLines(0))
	flushed := make(chan error, 1)
	go func() { flushed <- svc.Flush(e.ctx) }()
	<-slow.entered // the flush holds round 0, stuck inside the store

	ingested := make(chan struct{})
	go func() {
		svc.Ingest(scopeA(), "/g", "s", roundLines(1)) // does not fit beside round 0
		close(ingested)
	}()
	// The flusher, the sweeper and now Ingest's bound on its wait.
	if err := clk.BlockUntilContext(e.ctx, 3); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ingested:
		t.Fatal("Ingest returned while the buffer was full and the flush stuck")
	default:
	}
	slow.unstick()
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	<-ingested
	if err := svc.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if d := svc.IngestDropped(); d != 0 {
		t.Errorf("%d lines dropped", d)
	}
	got := e.streamEvents(scopeA(), "/g", "s") // in time order: the rounds' lines interleave
	var want []string
	for round := range 2 {
		for _, l := range roundLines(round) {
			want = append(want, l.Message)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("stored %d lines, want both rounds' %d", len(got), len(want))
	}
}

// TestIngestNeverBlocks: while the store is stuck in a write, the first
// Ingest that finds the buffer full waits MaxWait, no longer; then every
// line without room is dropped at once and counted until a flush ends;
// nothing accepted is lost once the store recovers, and lines wait for room
// again.
func TestIngestNeverBlocks(t *testing.T) {
	e := newEnv(t)
	svc, slow, clk := stuckService(t, e)
	svc.Ingest(scopeA(), "/g", "s", roundLines(0)) // ~50 KB: under the buffer's bound
	flushed := make(chan error, 1)
	go func() { flushed <- svc.Flush(e.ctx) }()
	<-slow.entered // the flush is now stuck inside the store

	ingested := make(chan struct{})
	go func() {
		for round := 1; round <= 20; round++ {
			svc.Ingest(scopeA(), "/g", "s", roundLines(round))
		}
		close(ingested)
	}()
	if err := clk.BlockUntilContext(e.ctx, 3); err != nil { // one Ingest waits
		t.Fatal(err)
	}
	clk.Advance(logs.DefaultMaxWait)
	select {
	case <-ingested:
	case <-time.After(time.Minute):
		t.Fatal("Ingest calls still blocked after MaxWait with the store stuck")
	}
	dropped := svc.IngestDropped()
	if dropped == 0 || dropped >= 20000 {
		t.Fatalf("%d of 20000 lines dropped with a %d-byte buffer", dropped, stuckBuffer)
	}
	slow.unstick()
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	if err := svc.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	stored := len(e.filterAll(scopeA(), logs.FilterLogEventsInput{Group: "/g"}))
	if uint64(stored)+svc.IngestDropped() != 21000 {
		t.Errorf("%d stored + %d dropped, want 21000", stored, svc.IngestDropped())
	}
	if max := stuckBuffer/logs.EventSize(roundLines(0)[0].Message) + 1000; int64(stored) > max {
		t.Errorf("%d lines stored: more than the buffer could hold (%d) plus the first batch", stored, max)
	}
	// A flush has ended: lines wait for room again instead of being
	// dropped at once. Two rounds do not fit in the buffer together.
	dropped = svc.IngestDropped()
	svc.Ingest(scopeA(), "/g", "after", roundLines(21))
	svc.Ingest(scopeA(), "/g", "after", roundLines(22))
	if d := svc.IngestDropped(); d != dropped {
		t.Errorf("%d lines dropped after the store recovered", d-dropped)
	}
	if err := svc.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(e.streamEvents(scopeA(), "/g", "after")); n != 2000 {
		t.Errorf("%d lines stored after the store recovered, want 2000", n)
	}
}

// TestCloseFlushes: Close writes what is buffered; after Close, lines are
// dropped and counted.
func TestCloseFlushes(t *testing.T) {
	e := newEnv(t)
	e.svc.Ingest(scopeA(), "/g", "s", lines(epoch(), "before close"))
	e.restart()
	if msgs := e.streamEvents(scopeA(), "/g", "s"); !slices.Equal(msgs, []string{"before close"}) {
		t.Fatalf("after Close and reopen: %q", msgs)
	}
	if err := e.svc.Close(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.svc.Ingest(scopeA(), "/g", "s", lines(epoch(), "after close"))
	if d := e.svc.IngestDropped(); d != 1 {
		t.Errorf("%d dropped after Close, want 1", d)
	}
	if err := e.svc.Close(e.ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	e.start()
	if msgs := e.streamEvents(scopeA(), "/g", "s"); !slices.Equal(msgs, []string{"before close"}) {
		t.Errorf("a line ingested after Close was stored: %q", msgs)
	}
}
