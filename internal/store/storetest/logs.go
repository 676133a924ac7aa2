package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/logs"
)

// RunLogsStoreContract checks that the stores made by newStore behave as
// logs.Store documents. newStore must return a new, empty store and arrange
// for it to be closed when t ends (t.Cleanup).
func RunLogsStoreContract(t *testing.T, newStore func(t *testing.T) logs.Store) {
	t.Run("FieldsCovered", func(t *testing.T) {
		checkFieldsCovered(t, reflect.TypeFor[logs.Scope](), reflect.TypeFor[logs.Group](), reflect.TypeFor[logs.Stream]())
	})
	t.Run("Empty", func(t *testing.T) { testLogsEmpty(t, newStore(t)) })
	t.Run("GroupRoundTrip", func(t *testing.T) { testGroupRoundTrip(t, newStore(t)) })
	t.Run("SaveGroupKeepsStreams", func(t *testing.T) { testSaveGroupKeepsStreams(t, newStore(t)) })
	t.Run("DeleteGroup", func(t *testing.T) { testDeleteGroup(t, newStore(t)) })
	t.Run("GroupScopeIsolation", func(t *testing.T) { testGroupScopes(t, newStore(t)) })
	t.Run("CreateStream", func(t *testing.T) { testCreateStream(t, newStore(t)) })
	t.Run("AppendFigures", func(t *testing.T) { testAppendFigures(t, newStore(t)) })
	t.Run("AppendAllOrNothing", func(t *testing.T) { testAppendAllOrNothing(t, newStore(t)) })
	t.Run("MessagesExact", func(t *testing.T) { testMessagesExact(t, newStore(t)) })
	t.Run("ScanStream", func(t *testing.T) { testScanStream(t, newStore(t)) })
	t.Run("ScanGroupMerges", func(t *testing.T) { testScanGroup(t, newStore(t)) })
	t.Run("DeleteEvents", func(t *testing.T) { testDeleteEvents(t, newStore(t)) })
	t.Run("DeleteOldest", func(t *testing.T) { testDeleteOldest(t, newStore(t)) })
	t.Run("DeleteOldestModel", func(t *testing.T) { testDeleteOldestModel(t, newStore(t)) })
	t.Run("LargeOverlappingAppends", func(t *testing.T) { testLargeOverlappingAppends(t, newStore(t)) })
	t.Run("DeleteStream", func(t *testing.T) { testDeleteStream(t, newStore(t)) })
	t.Run("CanceledContext", func(t *testing.T) { testLogsCanceled(t, newStore(t)) })
	t.Run("ReadsSeeWholeAppends", func(t *testing.T) { testWholeAppends(t, newStore(t)) })
}

func logScopeA() logs.Scope { return logs.Scope{Account: accountA, Region: "us-east-1"} }
func logScopeB() logs.Scope { return logs.Scope{Account: accountB, Region: "us-east-1"} }
func logScopeC() logs.Scope { return logs.Scope{Account: accountA, Region: "eu-west-1"} }

// FullLogGroup returns a group with every field set.
func FullLogGroup(scope logs.Scope, name string) logs.Group {
	return logs.Group{
		Scope: scope, Name: name, CreationTime: 1700000000123, RetentionDays: 14,
		KMSKeyID: "arn:aws:kms:us-east-1:" + scope.Account + ":key/1234", Class: logs.ClassInfrequentAccess,
		Tags: map[string]string{"team": "core", "empty": ""},
	}
}

func mustSaveGroup(t *testing.T, s logs.Store, g logs.Group) {
	t.Helper()
	if err := s.SaveLogGroup(context.Background(), g); err != nil {
		t.Fatalf("SaveLogGroup(%s): %v", g.Name, err)
	}
}

func mustCreateStream(t *testing.T, s logs.Store, scope logs.Scope, group, name string, created int64) {
	t.Helper()
	if err := s.CreateLogStream(context.Background(), scope, group, logs.Stream{Name: name, CreationTime: created}); err != nil {
		t.Fatalf("CreateLogStream(%s, %s): %v", group, name, err)
	}
}

func mustAppend(t *testing.T, s logs.Store, batches ...logs.Append) []logs.Stream {
	t.Helper()
	out, err := s.AppendLogEvents(context.Background(), batches)
	if err != nil {
		t.Fatalf("AppendLogEvents: %v", err)
	}
	if len(out) != len(batches) {
		t.Fatalf("AppendLogEvents returned %d streams for %d batches", len(out), len(batches))
	}
	return out
}

// loadGroups loads every group keyed by "account/region/name".
func loadGroups(t *testing.T, s logs.Store) map[string]logs.StoredGroup {
	t.Helper()
	groups, err := s.LoadLogGroups(context.Background())
	if err != nil {
		t.Fatalf("LoadLogGroups: %v", err)
	}
	return keyed(t, "LoadLogGroups", groups, func(g logs.StoredGroup) string { return groupID(g.Group.Scope, g.Group.Name) })
}

func groupID(scope logs.Scope, name string) string {
	return scope.Account + "/" + scope.Region + "/" + name
}

// streamsOf returns a loaded group's streams by name.
func streamsOf(t *testing.T, s logs.Store, scope logs.Scope, group string) map[string]logs.Stream {
	t.Helper()
	g, ok := loadGroups(t, s)[groupID(scope, group)]
	if !ok {
		t.Fatalf("group %s not loaded", group)
	}
	return keyed(t, "LoadLogGroups (streams of "+group+")", g.Streams, func(st logs.Stream) string { return st.Name })
}

// scanned is an event a scan returned, with its message copied.
type scanned struct {
	stream    string
	key       logs.EventKey
	ingestion int64
	msg       string
}

func scanStream(t *testing.T, s logs.Store, scope logs.Scope, group, stream string, r logs.KeyRange, reverse bool) []scanned {
	t.Helper()
	var out []scanned
	err := s.ScanLogStream(context.Background(), scope, group, stream, r, reverse, func(ev logs.StoredEvent) bool {
		out = append(out, scanned{stream: stream, key: ev.Key, ingestion: ev.IngestionTime, msg: string(ev.Message)})
		return true
	})
	if err != nil {
		t.Fatalf("ScanLogStream: %v", err)
	}
	return out
}

func scanGroup(t *testing.T, s logs.Store, scope logs.Scope, group string, streams []string, r logs.KeyRange) []scanned {
	t.Helper()
	var out []scanned
	err := s.ScanLogGroup(context.Background(), scope, group, streams, r, func(stream string, ev logs.StoredEvent) bool {
		out = append(out, scanned{stream: stream, key: ev.Key, ingestion: ev.IngestionTime, msg: string(ev.Message)})
		return true
	})
	if err != nil {
		t.Fatalf("ScanLogGroup: %v", err)
	}
	return out
}

func messages(evs []scanned) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.msg
	}
	return out
}

func everything() logs.KeyRange {
	return logs.KeyRange{To: logs.EventKey{Timestamp: math.MaxInt64, Seq: math.MaxUint64}}
}

func timeSpan(from, to int64) logs.KeyRange {
	return logs.KeyRange{From: logs.EventKey{Timestamp: from}, To: logs.EventKey{Timestamp: to, Seq: math.MaxUint64}}
}

func events(ts ...int64) []logs.InputEvent {
	out := make([]logs.InputEvent, len(ts))
	for i, t := range ts {
		out[i] = logs.InputEvent{Timestamp: t, Message: fmt.Sprintf("m%d", t)}
	}
	return out
}

func testLogsEmpty(t *testing.T, s logs.Store) {
	if got := loadGroups(t, s); len(got) != 0 {
		t.Fatalf("new store holds %d groups", len(got))
	}
	if evs := scanStream(t, s, logScopeA(), "g", "s", everything(), false); len(evs) != 0 {
		t.Fatalf("scan of a missing stream: %v", evs)
	}
	if evs := scanGroup(t, s, logScopeA(), "g", []string{"s"}, everything()); len(evs) != 0 {
		t.Fatalf("scan of a missing group: %v", evs)
	}
}

func testGroupRoundTrip(t *testing.T, s logs.Store) {
	full := FullLogGroup(logScopeA(), "/aws/lambda/full#1.x_y-z")
	minimal := logs.Group{Scope: logScopeA(), Name: "m", CreationTime: 5}
	mustSaveGroup(t, s, full)
	mustSaveGroup(t, s, minimal)
	full.Tags["team"] = "changed after save" // the store must have copied
	got := loadGroups(t, s)
	if len(got) != 2 {
		t.Fatalf("loaded %d groups, want 2", len(got))
	}
	want := FullLogGroup(logScopeA(), "/aws/lambda/full#1.x_y-z")
	if g := got[groupID(logScopeA(), want.Name)]; !reflect.DeepEqual(g.Group, want) || len(g.Streams) != 0 {
		t.Errorf("full group = %+v (streams %v), want %+v", g.Group, g.Streams, want)
	}
	g := got[groupID(logScopeA(), "m")].Group
	if g.Name != "m" || g.CreationTime != 5 || g.RetentionDays != 0 || g.KMSKeyID != "" || g.Class != "" || len(g.Tags) != 0 {
		t.Errorf("minimal group = %+v", g)
	}
	// The loaded tags are the caller's to change.
	got[groupID(logScopeA(), want.Name)].Group.Tags["x"] = "y"
	if g := loadGroups(t, s)[groupID(logScopeA(), want.Name)]; !reflect.DeepEqual(g.Group, want) {
		t.Errorf("changing loaded tags changed the store: %+v", g.Group)
	}
}

func testSaveGroupKeepsStreams(t *testing.T, s logs.Store) {
	g := FullLogGroup(logScopeA(), "g")
	mustSaveGroup(t, s, g)
	mustCreateStream(t, s, logScopeA(), "g", "s", 1)
	mustAppend(t, s, logs.Append{Scope: logScopeA(), Group: "g", Stream: "s", IngestionTime: 9, Events: events(1, 2)})
	g.RetentionDays = 0
	g.Tags = nil
	mustSaveGroup(t, s, g)
	loaded := loadGroups(t, s)[groupID(logScopeA(), "g")]
	if loaded.Group.RetentionDays != 0 || len(loaded.Group.Tags) != 0 {
		t.Errorf("resaved group = %+v", loaded.Group)
	}
	if len(loaded.Streams) != 1 || loaded.Streams[0].Events != 2 {
		t.Fatalf("streams after resave: %+v", loaded.Streams)
	}
	if got := messages(scanStream(t, s, logScopeA(), "g", "s", everything(), false)); !slices.Equal(got, []string{"m1", "m2"}) {
		t.Errorf("events after resave: %q", got)
	}
}

func testDeleteGroup(t *testing.T, s logs.Store) {
	ctx := context.Background()
	for _, name := range []string{"a", "b"} {
		mustSaveGroup(t, s, logs.Group{Scope: logScopeA(), Name: name, CreationTime: 1})
		for _, st := range []string{"s1", "s2"} {
			mustCreateStream(t, s, logScopeA(), name, st, 1)
			mustAppend(t, s, logs.Append{Scope: logScopeA(), Group: name, Stream: st, IngestionTime: 2, Events: events(10, 20)})
		}
	}
	if err := s.DeleteLogGroup(ctx, logScopeA(), "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteLogGroup(ctx, logScopeA(), "never"); err != nil {
		t.Fatalf("deleting a missing group: %v", err)
	}
	got := loadGroups(t, s)
	if _, ok := got[groupID(logScopeA(), "a")]; ok || len(got) != 1 {
		t.Fatalf("after delete: %v", slices.Collect(mapsKeys(got)))
	}
	if n := len(scanGroup(t, s, logScopeA(), "b", []string{"s1", "s2"}, everything())); n != 4 {
		t.Errorf("the other group has %d events, want 4", n)
	}
	// A new group of the old name starts empty: no stream, no event.
	mustSaveGroup(t, s, logs.Group{Scope: logScopeA(), Name: "a", CreationTime: 3})
	if st := streamsOf(t, s, logScopeA(), "a"); len(st) != 0 {
		t.Errorf("recreated group has streams %v", st)
	}
	mustCreateStream(t, s, logScopeA(), "a", "s1", 4)
	if evs := scanStream(t, s, logScopeA(), "a", "s1", everything(), false); len(evs) != 0 {
		t.Errorf("recreated stream holds the old events: %v", evs)
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func testGroupScopes(t *testing.T, s logs.Store) {
	for _, sc := range []logs.Scope{logScopeA(), logScopeB(), logScopeC()} {
		mustSaveGroup(t, s, logs.Group{Scope: sc, Name: "/shared/name", CreationTime: 1})
		mustCreateStream(t, s, sc, "/shared/name", "s", 1)
		mustAppend(t, s, logs.Append{Scope: sc, Group: "/shared/name", Stream: "s", IngestionTime: 1,
			Events: []logs.InputEvent{{Timestamp: 1, Message: sc.Account + sc.Region}}})
	}
	if got := loadGroups(t, s); len(got) != 3 {
		t.Fatalf("loaded %d groups, want 3", len(got))
	}
	for _, sc := range []logs.Scope{logScopeA(), logScopeB(), logScopeC()} {
		if got := messages(scanStream(t, s, sc, "/shared/name", "s", everything(), false)); !slices.Equal(got, []string{sc.Account + sc.Region}) {
			t.Errorf("%+v sees %q", sc, got)
		}
	}
	if err := s.DeleteLogGroup(context.Background(), logScopeB(), "/shared/name"); err != nil {
		t.Fatal(err)
	}
	if got := loadGroups(t, s); len(got) != 2 {
		t.Fatalf("after deleting one scope's group: %d groups", len(got))
	}
	if evs := scanStream(t, s, logScopeC(), "/shared/name", "s", everything(), false); len(evs) != 1 {
		t.Errorf("another scope's events: %v", evs)
	}
}

func testCreateStream(t *testing.T, s logs.Store) {
	ctx := context.Background()
	if err := s.CreateLogStream(ctx, logScopeA(), "missing", logs.Stream{Name: "s", CreationTime: 1}); err == nil {
		t.Error("CreateLogStream in a missing group succeeded")
	}
	mustSaveGroup(t, s, logs.Group{Scope: logScopeA(), Name: "g", CreationTime: 1})
	name := "2026/01/02/[$LATEST]0123456789abcdef0123456789abcdef"
	mustCreateStream(t, s, logScopeA(), "g", name, 77)
	if err := s.CreateLogStream(ctx, logScopeA(), "g", logs.Stream{Name: name, CreationTime: 78}); err == nil {
		t.Error("creating a stream twice succeeded")
	}
	// Only name and creation time are taken from the argument.
	mustCreateStream(t, s, logScopeA(), "g", "other", 5)
	got := streamsOf(t, s, logScopeA(), "g")
	if st := got[name]; st != (logs.Stream{Name: name, CreationTime: 77}) {
		t.Errorf("stream = %+v", st)
	}
	if len(got) != 2 {
		t.Errorf("streams: %v", got)
	}
}

func testAppendFigures(t *testing.T, s logs.Store) {
	mustSaveGroup(t, s, logs.Group{Scope: logScopeA(), Name: "g", CreationTime: 1})
	mustCreateStream(t, s, logScopeA(), "g", "a", 1)
	mustCreateStream(t, s, logScopeA(), "g", "b", 1)
	out := mustAppend(t, s,
		logs.Append{Scope: logScopeA(), Group: "g", Stream: "a", IngestionTime: 1000, Events: []logs.InputEvent{
			{Timestamp: 500, Message: "hello"}, {Timestamp: 300, Message: "out of order"}, {Timestamp: 800, Message: "x"}}},
		logs.Append{Scope: logScopeA(), Group: "g", Stream: "b", IngestionTime: 1001},
	)
	wantA := logs.Stream{Name: "a", CreationTime: 1, Events: 3, StoredBytes: 5 + 12 + 1 + 3*26,
		FirstEventTimestamp: 300, LastEventTimestamp: 800, LastIngestionTime: 1000}
	if out[0] != wantA {
		t.Errorf("returned stream a = %+v, want %+v", out[0], wantA)
	}
	if out[1] != (logs.Stream{Name: "b", CreationTime: 1}) {
		t.Errorf("an empty batch changed stream b: %+v", out[1])
	}
	// Two batches for one stream in one call; a timestamp of 0 is an event.
	out = mustAppend(t, s,
		logs.Append{Scope: logScopeA(), Group: "g", Stream: "a", IngestionTime: 2000, Events: []logs.InputEvent{{Timestamp: 0, Message: "zero"}}},
		logs.Append{Scope: logScopeA(), Group: "g", Stream: "a", IngestionTime: 2001, Events: []logs.InputEvent{{Timestamp: 900, Message: "late"}}},
	)
	wantA.Events, wantA.StoredBytes = 5, wantA.StoredBytes+4+4+2*26
	wantA.FirstEventTimestamp, wantA.LastEventTimestamp, wantA.LastIngestionTime = 0, 900, 2001
	for i := range out {
		if out[i] != wantA {
			t.Errorf("returned stream %d = %+v, want %+v", i, out[i], wantA)
		}
	}
	if got := streamsOf(t, s, logScopeA(), "g")["a"]; got != wantA {
		t.Errorf("loaded stream = %+v, want %+v", got, wantA)
	}
	evs := scanStream(t, s, logScopeA(), "g", "a", everything(), false)
	if got := messages(evs); !slices.Equal(got, []string{"zero", "out of order", "hello", "x", "late"}) {
		t.Fatalf("events in key order: %q", got)
	}
	for i, ev := range evs {
		if i > 0 && !evs[i-1].key.Less(ev.key) {
			t.Errorf("keys not increasing: %+v then %+v", evs[i-1].key, ev.key)
		}
	}
	if evs[0].ingestion != 2000 || evs[1].ingestion != 1000 || evs[4].ingestion != 2001 {
		t.Errorf("ingestion times: %+v", evs)
	}
	// Seq grows with arrival: the second call's events have larger ones.
	if evs[0].key.Seq <= evs[2].key.Seq || evs[4].key.Seq <= evs[0].key.Seq {
		t.Errorf("sequence numbers do not follow arrival: %+v", evs)
	}
}

func testAppendAllOrNothing(t *testing.T, s logs.Store) {
	mustSaveGroup(t, s, logs.Group{Scope: logScopeA(), Name: "g", CreationTime: 1})
	mustCreateStream(t, s, logScopeA(), "g", "s", 1)
	_, err := s.AppendLogEvents(context.Background(), []logs.Append{
		{Scope: logScopeA(), Group: "g", Stream: "s", IngestionTime: 1, Events: events(1)},
		{Scope: logScopeA(), Group: "g", Stream: "missing", IngestionTime: 1, Events: events(2)},
	})
	if err == nil {
		t.Fatal("append to a missing stream succeeded")
	}
	if evs := scanStream(t, s, logScopeA(), "g", "s", everything(), false); len(evs) != 0 {
		t.Errorf("a failed append wrote %v", evs)
	}
	if st := streamsOf(t, s, logScopeA(), "g")["s"]; st.Events != 0 || st.StoredBytes != 0 {
		t.Errorf("a failed append changed the figures: %+v", st)
	}
}

func testMessagesExact(t *testing.T, s logs.Store) {
	mustSaveGroup(t, s, logs.Group{Scope: logScopeA(), Name: "g", CreationTime: 1})
	mustCreateStream(t, s, logScopeA(), "g", "s", 1)
	msgs := []string{
		"plain",
		"ünïcødé 日本語 🎉",
		"\x00binary\xff\xfe bytes\n",
		strings.Repeat("0123456789abcdef", 1<<16), // 1 MiB
		`{"json": [1, 2, {"k": null}]}`,
	}
	in := make([]logs.InputEvent, len(msgs))
	for i, m := range msgs {
		in[i] = logs.InputEvent{Timestamp: int64(i), Message: m}
	}
	mustAppend(t, s, logs.Append{Scope: logScopeA(), Group: "g", Stream: "s", IngestionTime: 3, Events: in})
	if got := messages(scanStream(t, s, logScopeA(), "g", "s", everything(), false)); !slices.Equal(got, msgs) {
		t.Errorf("messages did not round-trip (lengths %d)", len(got))
	}
}

func testScanStream(t *testing.T, s logs.Store) {
	mustSaveGroup(t, s, logs.Group{Scope: logScopeA(), Name: "g", CreationTime: 1})
	mustCreateStream(t, s, logScopeA(), "g", "s", 1)
	mustCreateStream(t, s, logScopeA(), "g", "other", 1)
	// Timestamps 10, 20, 20, 30, 40; the two at 20 in arrival order.
	mustAppend(t, s, logs.Append{Scope: logScopeA(), Group: "g", Stream: "s", IngestionTime: 1, Events: events(10, 20, 30)})
	mustAppend(t, s, logs.Append{Scope: logScopeA(), Group: "g", Stream: "other", IngestionTime: 1, Events: events(20, 25)})
	mustAppend(t, s, logs.Append{Scope: logScopeA(), Group: "g", Stream: "s", IngestionTime: 1,
		Events: []logs.InputEvent{{Timestamp: 20, Message: "m20b"}, {Timestamp: 40, Message: "m40"}}})
	all := scanStream(t, s, logScopeA(), "g", "s", everything(), false)
	if got := messages(all); !slices.Equal(got, []string{"m10", "m20", "m20b", "m30", "m40"}) {
		t.Fatalf("forward: %q", got)
	}
	for _, tc := range []struct {
		name    string
		r       logs.KeyRange
		reverse bool
		want    []string
	}{
		{"reverse", everything(), true, []string{"m40", "m30", "m20b", "m20", "m10"}},
		{"time span inclusive", timeSpan(20, 30), false, []string{"m20", "m20b", "m30"}},
		{"time span reverse", timeSpan(20, 30), true, []string{"m30", "m20b", "m20"}},
		{"from a key", logs.KeyRange{From: all[2].key, To: everything().To}, false, []string{"m20b", "m30", "m40"}},
		{"to a key", logs.KeyRange{To: all[1].key}, false, []string{"m10", "m20"}},
		{"to a key reverse", logs.KeyRange{To: all[1].key}, true, []string{"m20", "m10"}},
		{"one key", logs.KeyRange{From: all[3].key, To: all[3].key}, true, []string{"m30"}},
		{"between events", timeSpan(11, 19), false, nil},
		{"after the end", timeSpan(41, 1000), true, nil},
		{"before the start, reverse", timeSpan(0, 9), true, nil},
		{"empty range", logs.KeyRange{From: all[3].key, To: all[1].key}, false, nil},
		{"negative end", logs.KeyRange{From: logs.EventKey{Timestamp: -5}, To: logs.EventKey{Timestamp: -1}}, true, nil},
		{"negative start", logs.KeyRange{From: logs.EventKey{Timestamp: -5}, To: logs.EventKey{Timestamp: 10, Seq: math.MaxUint64}}, false, []string{"m10"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := messages(scanStream(t, s, logScopeA(), "g", "s", tc.r, tc.reverse)); !slices.Equal(got, tc.want) && len(got)+len(tc.want) > 0 {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	// fn returning false stops the scan.
	n := 0
	err := s.ScanLogStream(context.Background(), logScopeA(), "g", "s", everything(), false, func(logs.StoredEvent) bool {
		n++
		return n < 2
	})
	if err != nil || n != 2 {
		t.Errorf("stopped scan: %d calls, %v", n, err)
	}
}

func testScanGroup(t *testing.T, s logs.Store) {
	mustSaveGroup(t, s, logs.Group{Scope: logScopeA(), Name: "g", CreationTime: 1})
	mustSaveGroup(t, s, logs.Group{Scope: logScopeA(), Name: "h", CreationTime: 1})
	for _, st := range []string{"a", "b", "c"} {
		mustCreateStream(t, s, logScopeA(), "g", st, 1)
	}
	mustCreateStream(t, s, logScopeA(), "h", "a", 1)
	app := func(stream string, ts int64, msg string) {
		mustAppend(t, s, logs.Append{Scope: logScopeA(), Group: "g", Stream: stream, IngestionTime: ts, Events: []logs.InputEvent{{Timestamp: ts, Message: msg}}})
	}
	app("a", 30, "a30")
	app("b", 10, "b10")
	app("c", 20, "c20")
	app("a", 10, "a10") // same timestamp as b10, later: after it
	app("b", 40, "b40")
	app("c", 5, "c5")
	mustAppend(t, s, logs.Append{Scope: logScopeA(), Group: "h", Stream: "a", IngestionTime: 1, Events: events(15)})

	all := []string{"a", "b", "c"}
	got := scanGroup(t, s, logScopeA(), "g", all, everything())
	if m := messages(got); !slices.Equal(m, []string{"c5", "b10", "a10", "c20", "a30", "b40"}) {
		t.Fatalf("merged: %q", m)
	}
	for _, ev := range got {
		if ev.stream != ev.msg[:1] {
			t.Errorf("event %s reported from stream %s", ev.msg, ev.stream)
		}
	}
	for _, tc := range []struct {
		name    string
		streams []string
		r       logs.KeyRange
		want    []string
	}{
		{"subset", []string{"c", "a"}, everything(), []string{"c5", "a10", "c20", "a30"}},
		{"missing names skipped", []string{"zz", "b", "nope"}, everything(), []string{"b10", "b40"}},
		{"time span", all, timeSpan(10, 30), []string{"b10", "a10", "c20", "a30"}},
		{"after a key", all, logs.KeyRange{From: got[1].key, To: everything().To}, []string{"b10", "a10", "c20", "a30", "b40"}},
		{"no streams", nil, everything(), nil},
		{"empty range", all, timeSpan(31, 39), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if m := messages(scanGroup(t, s, logScopeA(), "g", tc.streams, tc.r)); !slices.Equal(m, tc.want) && len(m)+len(tc.want) > 0 {
				t.Errorf("got %q, want %q", m, tc.want)
			}
		})
	}
	n := 0
	err := s.ScanLogGroup(context.Background(), logScopeA(), "g", all, everything(), func(string, logs.StoredEvent) bool {
		n++
		return n < 3
	})
	if err != nil || n != 3 {
		t.Errorf("stopped scan: %d calls, %v", n, err)
	}
}

// deleteOldest deletes a stream's oldest events before before, within
// maxBytes (at least one), and returns its figures afterwards.
func deleteOldest(t *testing.T, s logs.Store, scope logs.Scope, group, stream string, before, maxBytes int64) logs.Stream {
	t.Helper()
	sts, _, err := s.DeleteOldestLogEvents(context.Background(), []logs.LogCut{{Scope: scope, Group: group, Stream: stream, Before: before}}, maxBytes, true)
	if err != nil {
		t.Fatalf("DeleteOldestLogEvents(%s, %d, %d): %v", stream, before, maxBytes, err)
	}
	return sts[0]
}

func testDeleteEvents(t *testing.T, s logs.Store) {
	mustSaveGroup(t, s, logs.Group{Scope: logScopeA(), Name: "g", CreationTime: 1})
	mustCreateStream(t, s, logScopeA(), "g", "s", 1)
	mustCreateStream(t, s, logScopeA(), "g", "t", 1)
	mustAppend(t, s, logs.Append{Scope: logScopeA(), Group: "g", Stream: "s", IngestionTime: 7, Events: events(10, 20, 30, 40, 50)})
	mustAppend(t, s, logs.Append{Scope: logScopeA(), Group: "g", Stream: "t", IngestionTime: 7, Events: events(1)})

	ev := logs.EventSize("m10")
	st := deleteOldest(t, s, logScopeA(), "g", "s", 35, 2*ev) // 2 of 10, 20, 30
	want := logs.Stream{Name: "s", CreationTime: 1, Events: 3, StoredBytes: 3 * ev, FirstEventTimestamp: 30, LastEventTimestamp: 50, LastIngestionTime: 7}
	if st != want {
		t.Errorf("after deleting 2: %+v, want %+v", st, want)
	}
	st = deleteOldest(t, s, logScopeA(), "g", "s", 35, 100*ev)
	want.Events, want.StoredBytes, want.FirstEventTimestamp = 2, 2*ev, 40
	if st != want {
		t.Errorf("after deleting before 35: %+v, want %+v", st, want)
	}
	if st = deleteOldest(t, s, logScopeA(), "g", "s", 35, 100*ev); st != want {
		t.Errorf("nothing left to delete: %+v", st)
	}
	if got := streamsOf(t, s, logScopeA(), "g")["s"]; got != want {
		t.Errorf("loaded: %+v, want %+v", got, want)
	}
	if got := messages(scanStream(t, s, logScopeA(), "g", "s", everything(), false)); !slices.Equal(got, []string{"m40", "m50"}) {
		t.Errorf("left: %q", got)
	}
	if st = deleteOldest(t, s, logScopeA(), "g", "s", math.MaxInt64, 100*ev); st.Events != 0 || st.StoredBytes != 0 {
		t.Errorf("deleting all: %+v", st)
	}
	if n := len(scanStream(t, s, logScopeA(), "g", "t", everything(), false)); n != 1 {
		t.Errorf("another stream lost events: %d left", n)
	}
	if st = deleteOldest(t, s, logScopeA(), "g", "missing", 100, 1); st != (logs.Stream{}) {
		t.Errorf("a missing stream: %+v", st)
	}
}

func testDeleteStream(t *testing.T, s logs.Store) {
	ctx := context.Background()
	mustSaveGroup(t, s, logs.Group{Scope: logScopeA(), Name: "g", CreationTime: 1})
	mustCreateStream(t, s, logScopeA(), "g", "s", 1)
	mustCreateStream(t, s, logScopeA(), "g", "t", 1)
	mustAppend(t, s,
		logs.Append{Scope: logScopeA(), Group: "g", Stream: "s", IngestionTime: 7, Events: events(1, 2)},
		logs.Append{Scope: logScopeA(), Group: "g", Stream: "t", IngestionTime: 7, Events: events(3)})
	if err := s.DeleteLogStream(ctx, logScopeA(), "g", "s"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteLogStream(ctx, logScopeA(), "g", "s"); err != nil {
		t.Fatalf("deleting a missing stream: %v", err)
	}
	if got := streamsOf(t, s, logScopeA(), "g"); len(got) != 1 || got["t"].Events != 1 {
		t.Errorf("streams after delete: %+v", got)
	}
	mustCreateStream(t, s, logScopeA(), "g", "s", 2)
	if evs := scanGroup(t, s, logScopeA(), "g", []string{"s", "t"}, everything()); !slices.Equal(messages(evs), []string{"m3"}) {
		t.Errorf("events after delete and recreate: %q", messages(evs))
	}
}

func testLogsCanceled(t *testing.T, s logs.Store) {
	mustSaveGroup(t, s, logs.Group{Scope: logScopeA(), Name: "g", CreationTime: 1})
	mustCreateStream(t, s, logScopeA(), "g", "s", 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errs := []error{
		s.SaveLogGroup(ctx, logs.Group{Scope: logScopeA(), Name: "new", CreationTime: 1}),
		s.DeleteLogGroup(ctx, logScopeA(), "g"),
		s.CreateLogStream(ctx, logScopeA(), "g", logs.Stream{Name: "new", CreationTime: 1}),
		s.DeleteLogStream(ctx, logScopeA(), "g", "s"),
	}
	_, err := s.AppendLogEvents(ctx, []logs.Append{{Scope: logScopeA(), Group: "g", Stream: "s", IngestionTime: 1, Events: events(1)}})
	errs = append(errs, err)
	_, _, err = s.DeleteOldestLogEvents(ctx, []logs.LogCut{{Scope: logScopeA(), Group: "g", Stream: "s", Before: 100}}, 1000, true)
	errs = append(errs, err)
	for i, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("write %d with a canceled context: %v", i, err)
		}
	}
	if got := loadGroups(t, s); len(got) != 1 {
		t.Errorf("groups after canceled writes: %d", len(got))
	}
	if got := streamsOf(t, s, logScopeA(), "g"); len(got) != 1 || got["s"].Events != 0 {
		t.Errorf("streams after canceled writes: %+v", got)
	}
}

// testWholeAppends: scans running beside appends see each append whole: a
// stream's count of events is always a multiple of the batch size.
func testWholeAppends(t *testing.T, s logs.Store) {
	const writers, rounds, batch = 4, 25, 10
	mustSaveGroup(t, s, logs.Group{Scope: logScopeA(), Name: "g", CreationTime: 1})
	names := make([]string, writers)
	for w := range writers {
		names[w] = fmt.Sprintf("s%d", w)
		mustCreateStream(t, s, logScopeA(), "g", names[w], 1)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	stop := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				evs := make([]logs.InputEvent, batch)
				for i := range evs {
					evs[i] = logs.InputEvent{Timestamp: int64(r), Message: fmt.Sprintf("w%d r%d i%d", w, r, i)}
				}
				if _, err := s.AppendLogEvents(ctx, []logs.Append{{Scope: logScopeA(), Group: "g", Stream: names[w], IngestionTime: 1, Events: evs}}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			counts := map[string]int{}
			err := s.ScanLogGroup(ctx, logScopeA(), "g", names, everything(), func(stream string, ev logs.StoredEvent) bool {
				counts[stream]++
				return true
			})
			if err != nil {
				errs <- err
				return
			}
			for name, n := range counts {
				if n%batch != 0 {
					errs <- fmt.Errorf("a scan saw %d events of %s: part of an append", n, name)
					return
				}
			}
		}
	}()
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	total := 0
	for _, st := range streamsOf(t, s, logScopeA(), "g") {
		total += int(st.Events)
	}
	if total != writers*rounds*batch {
		t.Errorf("%d events stored, want %d", total, writers*rounds*batch)
	}
	if got := scanGroup(t, s, logScopeA(), "g", names, everything()); len(got) != writers*rounds*batch ||
		!slices.IsSortedFunc(got, func(a, b scanned) int {
			if a.key.Less(b.key) {
				return -1
			}
			return 1
		}) {
		t.Errorf("merged scan: %d events, or out of order", len(got))
	}
}

// appended is an event as a test appended it: arrival is its place in the
// order of appends, which orders events of one timestamp.
type appended struct {
	ts      int64
	arrival int
	msg     string
}

// logModel is what a stream must hold: its events in key order.
type logModel struct{ evs []appended }

func (m *logModel) add(evs []appended) {
	m.evs = append(m.evs, evs...)
	slices.SortStableFunc(m.evs, func(a, b appended) int {
		if a.ts != b.ts {
			return cmpInt(a.ts, b.ts)
		}
		return a.arrival - b.arrival
	})
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// bigBatch makes n events for one append, with timestamps from base that
// wander back and forth (as a runtime's record times can precede lines
// read before them), messages of varied length (some of them long), each
// naming its arrival.
func bigBatch(rng *rand.Rand, n int, base int64, arrival *int) ([]logs.InputEvent, []appended) {
	in := make([]logs.InputEvent, n)
	out := make([]appended, n)
	ts := base
	for i := range n {
		ts += int64(rng.IntN(7)) - 2
		if rng.IntN(1000) == 0 { // a gap, as between a day's PutLogEvents
			ts += 90_000
		}
		ts = max(ts, 0)
		msg := fmt.Sprintf("e%d", *arrival)
		switch rng.IntN(20) {
		case 0:
			msg += strings.Repeat("x", 20000+rng.IntN(10000))
		case 1, 2:
			msg += strings.Repeat("y", rng.IntN(500))
		}
		in[i] = logs.InputEvent{Timestamp: ts, Message: msg}
		out[i] = appended{ts: ts, arrival: *arrival, msg: msg}
		*arrival++
	}
	return in, out
}

// checkStreamAgainst checks a stream's figures, scans in both directions
// over random ranges (bounds at, between and around stored keys), and paged
// scans that resume after the last key of each page, against the model.
func checkStreamAgainst(t *testing.T, rng *rand.Rand, s logs.Store, scope logs.Scope, group, stream string, m *logModel) {
	t.Helper()
	all := scanStream(t, s, scope, group, stream, everything(), false)
	if len(all) != len(m.evs) {
		t.Fatalf("%s holds %d events, want %d", stream, len(all), len(m.evs))
	}
	var size int64
	for i, ev := range all {
		if ev.key.Timestamp != m.evs[i].ts || ev.msg != m.evs[i].msg {
			t.Fatalf("%s event %d = %d %.20q, want %d %.20q", stream, i, ev.key.Timestamp, ev.msg, m.evs[i].ts, m.evs[i].msg)
		}
		if i > 0 && !all[i-1].key.Less(ev.key) {
			t.Fatalf("%s keys out of order at %d: %+v then %+v", stream, i, all[i-1].key, ev.key)
		}
		size += logs.EventSize(ev.msg)
	}
	st := streamsOf(t, s, scope, group)[stream]
	if st.Events != int64(len(all)) || st.StoredBytes != size {
		t.Errorf("%s figures: %d events, %d bytes; holds %d, %d", stream, st.Events, st.StoredBytes, len(all), size)
	}
	if len(all) > 0 && st.FirstEventTimestamp != all[0].key.Timestamp {
		t.Errorf("%s FirstEventTimestamp %d, oldest held %d", stream, st.FirstEventTimestamp, all[0].key.Timestamp)
	}
	if len(all) == 0 {
		return
	}
	// A bound: a stored key, or one just before or after it.
	bound := func() logs.EventKey {
		k := all[rng.IntN(len(all))].key
		switch rng.IntN(3) {
		case 0:
			k.Seq--
		case 1:
			k.Seq++
		}
		return k
	}
	within := func(r logs.KeyRange) []scanned {
		var out []scanned
		for _, ev := range all {
			if !ev.key.Less(r.From) && !r.To.Less(ev.key) {
				out = append(out, ev)
			}
		}
		return out
	}
	for range 25 {
		r := logs.KeyRange{From: bound(), To: bound()}
		if rng.IntN(4) == 0 { // a time range, as FilterLogEvents asks
			r = timeSpan(r.From.Timestamp, r.To.Timestamp)
		}
		want := within(r)
		if got := scanStream(t, s, scope, group, stream, r, false); !sameEvents(got, want) {
			t.Fatalf("%s forward %+v: %d events, want %d", stream, r, len(got), len(want))
		}
		slices.Reverse(want)
		if got := scanStream(t, s, scope, group, stream, r, true); !sameEvents(got, want) {
			t.Fatalf("%s reverse %+v: %d events, want %d", stream, r, len(got), len(want))
		}
	}
	// Pages of a few events, each resuming after the last key returned (a
	// GetLogEvents token), land inside stored batches; together they are
	// the whole stream, forward and backward.
	for _, reverse := range []bool{false, true} {
		page := 20 + rng.IntN(200)
		var got []scanned
		r := everything()
		for {
			n := 0
			err := s.ScanLogStream(context.Background(), scope, group, stream, r, reverse, func(ev logs.StoredEvent) bool {
				got = append(got, scanned{stream: stream, key: ev.Key, ingestion: ev.IngestionTime, msg: string(ev.Message)})
				n++
				return n < page
			})
			if err != nil {
				t.Fatal(err)
			}
			if n < page {
				break
			}
			last := got[len(got)-1].key
			if reverse {
				r.To = logs.EventKey{Timestamp: last.Timestamp, Seq: last.Seq - 1}
			} else {
				r.From = logs.EventKey{Timestamp: last.Timestamp, Seq: last.Seq + 1}
			}
		}
		want := slices.Clone(all)
		if reverse {
			slices.Reverse(want)
		}
		if !sameEvents(got, want) {
			t.Fatalf("%s paged by %d (reverse %v): %d events, want %d", stream, page, reverse, len(got), len(want))
		}
	}
}

func sameEvents(a, b []scanned) bool {
	return slices.EqualFunc(a, b, func(x, y scanned) bool { return x.key == y.key && x.msg == y.msg && x.ingestion == y.ingestion })
}

// testLargeOverlappingAppends: appends of thousands of events whose times
// overlap those of earlier appends (and go back and forth within one),
// then scans from keys in the middle of appends, paged scans, merged scans
// of two such streams, and deletes of the oldest events that stop inside
// an append, by time (retention) or by bytes (the cap).
func testLargeOverlappingAppends(t *testing.T, s logs.Store) {
	rng := rand.New(rand.NewPCG(10, 2))
	scope := logScopeA()
	mustSaveGroup(t, s, logs.Group{Scope: scope, Name: "g", CreationTime: 1})
	models := map[string]*logModel{"s": {}, "t": {}}
	ingestion := map[string]int64{}
	for name := range models {
		mustCreateStream(t, s, scope, "g", name, 1)
	}
	arrival := 0
	base := int64(1_000_000)
	for round := range 5 {
		var batches []logs.Append
		var added [][]appended
		for _, name := range []string{"s", "t", "s"} {
			in, out := bigBatch(rng, []int{1, 300, 1500}[rng.IntN(3)], base-int64(rng.IntN(400)), &arrival)
			batches = append(batches, logs.Append{Scope: scope, Group: "g", Stream: name, IngestionTime: int64(round + 1), Events: in})
			added = append(added, out)
		}
		mustAppend(t, s, batches...)
		for i, b := range batches {
			models[b.Stream].add(added[i])
			ingestion[b.Stream] = b.IngestionTime
		}
		base += 300
	}
	for _, name := range []string{"s", "t"} {
		checkStreamAgainst(t, rng, s, scope, "g", name, models[name])
	}

	// The merged scan of both streams, over random time ranges.
	s1 := scanStream(t, s, scope, "g", "s", everything(), false)
	t1 := scanStream(t, s, scope, "g", "t", everything(), false)
	for i := range t1 {
		t1[i].stream = "t"
	}
	for range 20 {
		from := base - 2200 + int64(rng.IntN(2400))
		r := timeSpan(from, from+int64(rng.IntN(600)))
		var want []scanned
		for _, ev := range append(slices.Clone(s1), t1...) {
			if ev.key.Timestamp >= r.From.Timestamp && ev.key.Timestamp <= r.To.Timestamp {
				want = append(want, ev)
			}
		}
		slices.SortFunc(want, func(a, b scanned) int {
			if a.key.Less(b.key) {
				return -1
			}
			return 1
		})
		got := scanGroup(t, s, scope, "g", []string{"s", "t"}, r)
		if !slices.EqualFunc(got, want, func(x, y scanned) bool { return x.key == y.key && x.msg == y.msg && x.stream == y.stream }) {
			t.Fatalf("merged %+v: %d events, want %d", r, len(got), len(want))
		}
	}

	// Deletes of the oldest events: by time (retention), then by bytes
	// (the cap: the budget of exactly so many events), then both.
	for _, del := range []struct {
		before int64
		max    int
	}{
		{models["s"].evs[len(models["s"].evs)/3].ts, 1 << 30},
		{math.MaxInt64, 333},
		{models["s"].evs[len(models["s"].evs)/2].ts + 1, 1500},
		{models["s"].evs[0].ts, 10}, // nothing before the oldest
	} {
		m := models["s"]
		n := 0
		var budget int64
		for n < len(m.evs) && n < del.max && m.evs[n].ts < del.before {
			budget += logs.EventSize(m.evs[n].msg)
			n++
		}
		st := deleteOldest(t, s, scope, "g", "s", del.before, max(budget, 1))
		m.evs = m.evs[n:]
		if st.Events != int64(len(m.evs)) || len(m.evs) > 0 && st.FirstEventTimestamp != m.evs[0].ts {
			t.Fatalf("DeleteOldestLogEvents(%d, %d events' bytes) left %+v, want %d events from %d", del.before, del.max, st, len(m.evs), m.evs[0].ts)
		}
		if st.LastIngestionTime != ingestion["s"] {
			t.Errorf("DeleteOldestLogEvents changed LastIngestionTime: %d", st.LastIngestionTime)
		}
		checkStreamAgainst(t, rng, s, scope, "g", "s", m)
	}
	// Appends after the deletes, older than what is left, still merge in.
	in, out := bigBatch(rng, 1200, models["s"].evs[0].ts-100, &arrival)
	mustAppend(t, s, logs.Append{Scope: scope, Group: "g", Stream: "s", IngestionTime: 9, Events: in})
	models["s"].add(out)
	checkStreamAgainst(t, rng, s, scope, "g", "s", models["s"])
	checkStreamAgainst(t, rng, s, scope, "g", "t", models["t"])
}

// testDeleteOldest: DeleteOldestLogEvents takes the oldest events across
// streams of several groups and scopes, within the byte budget (but at
// least one when asked to), per cut's time limit; skips missing streams; and refuses a
// stream named twice, changing nothing.
func testDeleteOldest(t *testing.T, s logs.Store) {
	ctx := context.Background()
	mustSaveGroup(t, s, logs.Group{Scope: logScopeA(), Name: "g", CreationTime: 1})
	mustSaveGroup(t, s, logs.Group{Scope: logScopeB(), Name: "g", CreationTime: 1})
	mustCreateStream(t, s, logScopeA(), "g", "s", 1)
	mustCreateStream(t, s, logScopeA(), "g", "t", 1)
	mustCreateStream(t, s, logScopeB(), "g", "s", 1)
	mustAppend(t, s,
		logs.Append{Scope: logScopeA(), Group: "g", Stream: "s", IngestionTime: 7, Events: events(10, 40, 70)},
		logs.Append{Scope: logScopeA(), Group: "g", Stream: "t", IngestionTime: 8, Events: events(20, 50, 80)},
		logs.Append{Scope: logScopeB(), Group: "g", Stream: "s", IngestionTime: 9, Events: events(30, 60, 90)})
	ev := logs.EventSize("m10") // every message here is "m" and two digits
	cuts := []logs.LogCut{
		{Scope: logScopeA(), Group: "g", Stream: "s", Before: math.MaxInt64},
		{Scope: logScopeA(), Group: "g", Stream: "missing", Before: math.MaxInt64},
		{Scope: logScopeA(), Group: "g", Stream: "t", Before: 50}, // 20 only
		{Scope: logScopeB(), Group: "g", Stream: "s", Before: math.MaxInt64},
	}
	// A budget of 4 events and a half: 10, 20, 30, 40 (50 is past t's cut).
	got, more, err := s.DeleteOldestLogEvents(ctx, cuts, 4*ev+ev/2, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []logs.Stream{
		{Name: "s", CreationTime: 1, Events: 1, StoredBytes: ev, FirstEventTimestamp: 70, LastEventTimestamp: 70, LastIngestionTime: 7},
		{},
		{Name: "t", CreationTime: 1, Events: 2, StoredBytes: 2 * ev, FirstEventTimestamp: 50, LastEventTimestamp: 80, LastIngestionTime: 8},
		{Name: "s", CreationTime: 1, Events: 2, StoredBytes: 2 * ev, FirstEventTimestamp: 60, LastEventTimestamp: 90, LastIngestionTime: 9},
	}
	if !slices.Equal(got, want) || !more {
		t.Errorf("first delete: %+v, more %v; want %+v, more", got, more, want)
	}
	if got := streamsOf(t, s, logScopeA(), "g"); got["s"] != want[0] || got["t"] != want[2] {
		t.Errorf("loaded after the first delete: %+v", got)
	}
	if got := streamsOf(t, s, logScopeB(), "g"); got["s"] != want[3] {
		t.Errorf("loaded after the first delete: %+v", got)
	}
	// Without atLeastOne, a budget smaller than one event takes nothing.
	got, more, err = s.DeleteOldestLogEvents(ctx, cuts, ev-1, false)
	if err != nil || !slices.Equal(got, want) || !more {
		t.Errorf("a strict budget below one event: %+v, more %v, %v; want %+v, more", got, more, err, want)
	}
	// With it, a budget smaller than one event still takes the oldest one: 60.
	got, more, err = s.DeleteOldestLogEvents(ctx, cuts, 1, true)
	if err != nil || got[3].Events != 1 || got[3].FirstEventTimestamp != 90 || got[0].Events != 1 || got[2].Events != 2 || !more {
		t.Errorf("a budget below one event: %+v, more %v, %v", got, more, err)
	}
	if got := messages(scanStream(t, s, logScopeB(), "g", "s", everything(), false)); !slices.Equal(got, []string{"m90"}) {
		t.Errorf("left in B's s: %q", got)
	}
	// A stream named twice: an error, and nothing changes.
	twice := append(slices.Clone(cuts), logs.LogCut{Scope: logScopeA(), Group: "g", Stream: "s", Before: math.MaxInt64})
	if _, _, err := s.DeleteOldestLogEvents(ctx, twice, 1<<20, true); err == nil {
		t.Error("a stream named twice was accepted")
	}
	if got := messages(scanStream(t, s, logScopeA(), "g", "s", everything(), false)); !slices.Equal(got, []string{"m70"}) {
		t.Errorf("after a refused delete, A's s holds %q", got)
	}
	// Everything left before the cuts: 70 and 90, not t's 50 and 80.
	got, more, err = s.DeleteOldestLogEvents(ctx, cuts, 1<<20, true)
	if err != nil || more || got[0].Events != 0 || got[0].StoredBytes != 0 || got[2].Events != 2 || got[3].Events != 0 {
		t.Errorf("deleting the rest: %+v, more %v, %v", got, more, err)
	}
	if got := messages(scanStream(t, s, logScopeA(), "g", "t", everything(), false)); !slices.Equal(got, []string{"m50", "m80"}) {
		t.Errorf("t holds %q", got)
	}
	// Nothing to delete: no change, nothing more.
	if got, more, err = s.DeleteOldestLogEvents(ctx, cuts[:2], 1<<20, true); err != nil || more || got[0].Events != 0 || got[1] != (logs.Stream{}) {
		t.Errorf("nothing to delete: %+v, more %v, %v", got, more, err)
	}
}

// testDeleteOldestModel: large overlapping appends to three streams of
// two groups, then DeleteOldestLogEvents with random cuts and budgets,
// each checked against a model: the eligible events of all cuts merged by
// key, taken while they fit in the budget (at least one).
func testDeleteOldestModel(t *testing.T, s logs.Store) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11))
	type ref struct {
		scope         logs.Scope
		group, stream string
	}
	refs := []ref{{logScopeA(), "g1", "s"}, {logScopeA(), "g1", "t"}, {logScopeC(), "g2", "s"}}
	mustSaveGroup(t, s, logs.Group{Scope: logScopeA(), Name: "g1", CreationTime: 1})
	mustSaveGroup(t, s, logs.Group{Scope: logScopeC(), Name: "g2", CreationTime: 1})
	models := make([]*logModel, len(refs))
	for i, r := range refs {
		mustCreateStream(t, s, r.scope, r.group, r.stream, 1)
		models[i] = &logModel{}
	}
	arrival := 0
	base := int64(1_000_000)
	for round := range 4 {
		var batches []logs.Append
		var added [][]appended
		for _, i := range []int{0, 1, 2, 1} {
			in, out := bigBatch(rng, []int{1, 400, 1500}[rng.IntN(3)], base-int64(rng.IntN(400)), &arrival)
			batches = append(batches, logs.Append{Scope: refs[i].scope, Group: refs[i].group, Stream: refs[i].stream, IngestionTime: int64(round + 1), Events: in})
			added = append(added, out)
		}
		mustAppend(t, s, batches...)
		for j, i := range []int{0, 1, 2, 1} {
			models[i].add(added[j])
		}
		base += 300
	}
	type cand struct {
		stream int
		ev     appended
	}
	for step := range 8 {
		// Cuts over a random subset of the streams, in random order, with
		// time limits: none, or somewhere among the events.
		var cuts []logs.LogCut
		var idx []int
		for _, i := range rng.Perm(len(refs)) {
			if step > 0 && rng.IntN(4) == 0 {
				continue
			}
			before := int64(math.MaxInt64)
			if m := models[i]; rng.IntN(2) == 0 && len(m.evs) > 0 {
				before = m.evs[rng.IntN(len(m.evs))].ts
			}
			cuts = append(cuts, logs.LogCut{Scope: refs[i].scope, Group: refs[i].group, Stream: refs[i].stream, Before: before})
			idx = append(idx, i)
		}
		budget := []int64{1, 5000, 200_000, 1 << 30}[rng.IntN(4)]
		var eligible []cand
		for j, i := range idx {
			for _, ev := range models[i].evs {
				if ev.ts < cuts[j].Before {
					eligible = append(eligible, cand{stream: i, ev: ev})
				}
			}
		}
		slices.SortFunc(eligible, func(a, b cand) int {
			if a.ev.ts != b.ev.ts {
				return cmpInt(a.ev.ts, b.ev.ts)
			}
			return a.ev.arrival - b.ev.arrival
		})
		var freed int64
		n := 0
		for n < len(eligible) && (n == 0 || freed+logs.EventSize(eligible[n].ev.msg) <= budget) {
			freed += logs.EventSize(eligible[n].ev.msg)
			n++
		}
		taken := map[int]int{}
		for _, c := range eligible[:n] {
			taken[c.stream]++
		}
		got, more, err := s.DeleteOldestLogEvents(ctx, cuts, budget, true)
		if err != nil {
			t.Fatal(err)
		}
		if more != (n < len(eligible)) {
			t.Errorf("step %d: more %v with %d of %d eligible events taken", step, more, n, len(eligible))
		}
		for j, i := range idx {
			m := models[i]
			m.evs = m.evs[taken[i]:] // a stream's taken events are its oldest
			if got[j].Events != int64(len(m.evs)) || len(m.evs) > 0 && got[j].FirstEventTimestamp != m.evs[0].ts {
				t.Fatalf("step %d (budget %d): %s/%s left %+v, want %d events", step, budget, refs[i].group, refs[i].stream, got[j], len(m.evs))
			}
		}
		for i, r := range refs {
			checkStreamAgainst(t, rng, s, r.scope, r.group, r.stream, models[i])
		}
	}
	// Appends older than what is left still merge in after the deletes.
	in, out := bigBatch(rng, 700, base-2000, &arrival)
	mustAppend(t, s, logs.Append{Scope: refs[0].scope, Group: refs[0].group, Stream: refs[0].stream, IngestionTime: 9, Events: in})
	models[0].add(out)
	checkStreamAgainst(t, rng, s, refs[0].scope, refs[0].group, refs[0].stream, models[0])
}
