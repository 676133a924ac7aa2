package logs_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/logs"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
	"github.com/reservoir-dev/reservoir/internal/testutil"
)

// snapshot is everything the read operations report about a scope.
type snapshot struct {
	Groups  logs.DescribeLogGroupsOutput
	Streams map[string]logs.DescribeLogStreamsOutput
	Events  map[string][]logs.FilteredEvent
	Tags    map[string]map[string]string
}

func (e *env) snapshot(scope logs.Scope) snapshot {
	e.t.Helper()
	s := snapshot{Streams: map[string]logs.DescribeLogStreamsOutput{}, Events: map[string][]logs.FilteredEvent{}, Tags: map[string]map[string]string{}}
	var err error
	if s.Groups, err = e.svc.DescribeLogGroups(e.ctx, scope, logs.DescribeLogGroupsInput{}); err != nil {
		e.t.Fatal(err)
	}
	for _, g := range s.Groups.Groups {
		if s.Streams[g.Name], err = e.svc.DescribeLogStreams(e.ctx, scope, logs.DescribeLogStreamsInput{Group: g.Name}); err != nil {
			e.t.Fatal(err)
		}
		s.Events[g.Name] = e.filterAll(scope, logs.FilterLogEventsInput{Group: g.Name})
		if s.Tags[g.Name], err = e.svc.ListTagsLogGroup(e.ctx, scope, g.Name); err != nil {
			e.t.Fatal(err)
		}
	}
	return s
}

// TestSurvivesRestart: groups with their settings, streams with their
// figures, events acknowledged by PutLogEvents and lines flushed by the
// ingester all read back the same after the service and store restart.
func TestSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	if err := e.svc.CreateLogGroup(e.ctx, scopeA(), logs.CreateLogGroupInput{Name: "/app", Tags: map[string]string{"k": "v"}, Class: logs.ClassInfrequentAccess}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.PutRetentionPolicy(e.ctx, scopeA(), "/app", 30); err != nil {
		t.Fatal(err)
	}
	e.mustCreateStream(scopeA(), "/app", "api")
	e.mustPut(scopeA(), "/app", "api", e.at(-3, -2, -1)...)
	e.mustCreateStream(scopeA(), "/app", "empty")
	e.svc.Ingest(scopeA(), "/aws/lambda/f", lambdaStream, lines(epoch(), "START", "line", "END"))
	e.svc.Ingest(scopeB(), "/aws/lambda/f", lambdaStream, lines(epoch(), "other account"))
	if err := e.svc.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	beforeA, beforeB := e.snapshot(scopeA()), e.snapshot(scopeB())
	total := e.svc.StoredBytes()

	e.restart()
	if afterA := e.snapshot(scopeA()); !reflect.DeepEqual(afterA, beforeA) {
		t.Errorf("scope A after restart:\n%+v\nbefore:\n%+v", afterA, beforeA)
	}
	if afterB := e.snapshot(scopeB()); !reflect.DeepEqual(afterB, beforeB) {
		t.Errorf("scope B after restart:\n%+v\nbefore:\n%+v", afterB, beforeB)
	}
	if got := e.svc.StoredBytes(); got != total {
		t.Errorf("StoredBytes %d after restart, want %d", got, total)
	}
	// New events after the restart sort after the old ones.
	e.clock.Advance(time.Millisecond)
	e.mustPut(scopeA(), "/app", "api", e.at(0)...)
	evs := e.filterAll(scopeA(), logs.FilterLogEventsInput{Group: "/app"})
	if len(evs) != 4 || evs[3].EventID <= evs[2].EventID {
		t.Errorf("events after restart: %+v", evs)
	}
}

const crashPathEnv = "RESERVOIR_LOGS_CRASH_PATH"

// TestKill9LosesAtMostTheLastSecond runs a child process that ingests one
// numbered line about every millisecond and reports each one once Ingest
// has returned, SIGKILLs it, and checks the file: every line reported more
// than a second before the kill is there, and what is there is a prefix of
// what was ingested (a flush is all or nothing, and flushes go in order).
func TestKill9LosesAtMostTheLastSecond(t *testing.T) {
	if path := os.Getenv(crashPathEnv); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "reservoir.db")
	ingested, mustHave := testutil.KillMidWrite(t, "TestKill9LosesAtMostTheLastSecond", crashPathEnv, path, "ingested")

	st, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := logs.NewService(context.Background(), logs.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close(context.Background())
	e := &env{t: t, svc: svc, ctx: context.Background()}
	stored := e.filterAll(scopeA(), logs.FilterLogEventsInput{Group: "/aws/lambda/crash"})
	for i, ev := range stored {
		if ev.Message != fmt.Sprintf("line %05d", i) {
			t.Fatalf("stored event %d is %q: not a prefix of the ingested lines", i, ev.Message)
		}
	}
	t.Logf("%d lines ingested, %d stored, %d reported over a second before the kill", ingested, len(stored), mustHave)
	if len(stored) < mustHave {
		t.Errorf("only %d lines survived kill -9; %d were ingested over a second before it", len(stored), mustHave)
	}
}

func crashChild(path string) {
	st, err := boltstore.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(2)
	}
	svc, err := logs.NewService(context.Background(), logs.Options{Store: st})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child service:", err)
		os.Exit(2)
	}
	testutil.CrashChild("ingested", func(i int) {
		svc.Ingest(scopeA(), "/aws/lambda/crash", lambdaStream, []logs.Line{{Time: time.Now(), Message: fmt.Sprintf("line %05d", i)}})
	})
}

const capCrashPathEnv = "RESERVOIR_LOGS_CAP_CRASH_PATH"

// TestKill9DuringCapSweep runs a child process that ingests a numbered
// 2 KB line about every millisecond, each to one of four streams of two
// groups, into a service capped at 256 KiB, so that the sweeper deletes
// after nearly every flush; it SIGKILLs the child and checks the file:
// each stream's figures (events, stored bytes, first timestamp) are what
// its events add up to, and the lines kept are one run of consecutive
// numbers (deletes take the oldest of all streams, appends go in order,
// each all or nothing) that reaches every line reported over a second
// before the kill.
func TestKill9DuringCapSweep(t *testing.T) {
	if path := os.Getenv(capCrashPathEnv); path != "" {
		capCrashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "reservoir.db")
	ingested, mustHave := testutil.KillMidWrite(t, "TestKill9DuringCapSweep", capCrashPathEnv, path, "ingested")

	st, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	groups, err := st.LoadLogGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var kept []int
	var total int64
	for _, g := range groups {
		for _, s := range g.Streams {
			var n, size int64
			first := int64(-1)
			err := st.ScanLogStream(ctx, g.Group.Scope, g.Group.Name, s.Name, logs.KeyRange{To: logs.EventKey{Timestamp: math.MaxInt64, Seq: math.MaxUint64}}, false, func(ev logs.StoredEvent) bool {
				if first < 0 {
					first = ev.Key.Timestamp
				}
				n++
				size += logs.EventSize(string(ev.Message))
				i, err := strconv.Atoi(string(ev.Message[len("line "):len("line 00000")]))
				if err != nil {
					t.Fatalf("message %.20q", ev.Message)
				}
				kept = append(kept, i)
				return true
			})
			if err != nil {
				t.Fatal(err)
			}
			if s.Events != n || s.StoredBytes != size || n > 0 && s.FirstEventTimestamp != first {
				t.Errorf("%s/%s: figures %d events, %d bytes, first %d; holds %d, %d, first %d", g.Group.Name, s.Name, s.Events, s.StoredBytes, s.FirstEventTimestamp, n, size, first)
			}
			total += size
		}
	}
	slices.Sort(kept)
	if len(kept) == 0 {
		t.Fatalf("nothing kept of %d lines ingested", ingested)
	}
	for j := 1; j < len(kept); j++ {
		if kept[j] != kept[j-1]+1 {
			t.Fatalf("kept lines %d then %d: not the newest of all (a gap)", kept[j-1], kept[j])
		}
	}
	if last := kept[len(kept)-1]; last < mustHave-1 {
		t.Errorf("the newest line kept is %d; %d were ingested over a second before the kill", last, mustHave)
	}
	t.Logf("%d lines ingested, %d kept (%d to %d, %d bytes), %d reported over a second before the kill",
		ingested, len(kept), kept[0], kept[len(kept)-1], total, mustHave)
}

func capCrashChild(path string) {
	st, err := boltstore.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(2)
	}
	svc, err := logs.NewService(context.Background(), logs.Options{Store: st, MaxStoredBytes: 256 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child service:", err)
		os.Exit(2)
	}
	pad := strings.Repeat("p", 2000)
	testutil.CrashChild("ingested", func(i int) {
		svc.Ingest(scopeA(), fmt.Sprintf("/aws/lambda/crash%d", i%2), fmt.Sprintf("stream%d", i%4),
			[]logs.Line{{Time: time.Now(), Message: fmt.Sprintf("line %05d %s", i, pad)}})
	})
}
