package boltstore_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/logs"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
	"github.com/reservoir-dev/reservoir/internal/store/storetest"
)

func TestLogsStoreContract(t *testing.T) {
	storetest.RunLogsStoreContract(t, func(t *testing.T) logs.Store { return openTemp(t) })
}

// TestLogsSurviveReopen: groups, streams with their figures, and events
// (keys, ingestion times, messages) are all there after a reopen, and the
// sequence numbers of later events keep growing.
func TestLogsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reservoir.db")
	scope := logs.Scope{Account: "123456789012", Region: "us-west-2"}
	s := mustOpen(t, path)
	g := storetest.FullLogGroup(scope, "/aws/lambda/f")
	if err := s.SaveLogGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateLogStream(ctx, scope, g.Name, logs.Stream{Name: "2026/01/01/[$LATEST]abc", CreationTime: 5}); err != nil {
		t.Fatal(err)
	}
	before, err := s.AppendLogEvents(ctx, []logs.Append{{Scope: scope, Group: g.Name, Stream: "2026/01/01/[$LATEST]abc",
		IngestionTime: 99, Events: []logs.InputEvent{{Timestamp: 10, Message: "one"}, {Timestamp: 11, Message: "two"}}}})
	if err != nil {
		t.Fatal(err)
	}
	lastSeq := uint64(0)
	scan := func(s *boltstore.Store) []string {
		var out []string
		err := s.ScanLogStream(ctx, scope, g.Name, "2026/01/01/[$LATEST]abc", logs.KeyRange{To: logs.EventKey{Timestamp: 1 << 40}}, false,
			func(ev logs.StoredEvent) bool {
				out = append(out, fmt.Sprintf("%d/%d/%s", ev.Key.Timestamp, ev.IngestionTime, ev.Message))
				if ev.Key.Seq <= lastSeq {
					t.Errorf("seq %d after %d", ev.Key.Seq, lastSeq)
				}
				lastSeq = ev.Key.Seq
				return true
			})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	scan(s)
	mustClose(t, s)

	s = mustOpen(t, path)
	defer mustClose(t, s)
	groups, err := s.LoadLogGroups(ctx)
	if err != nil || len(groups) != 1 {
		t.Fatalf("LoadLogGroups after reopen: %+v, %v", groups, err)
	}
	if !reflect.DeepEqual(groups[0].Group, g) || len(groups[0].Streams) != 1 || groups[0].Streams[0] != before[0] {
		t.Errorf("after reopen: %+v, want %+v with stream %+v", groups[0], g, before[0])
	}
	if _, err := s.AppendLogEvents(ctx, []logs.Append{{Scope: scope, Group: g.Name, Stream: "2026/01/01/[$LATEST]abc",
		IngestionTime: 100, Events: []logs.InputEvent{{Timestamp: 12, Message: "three"}}}}); err != nil {
		t.Fatal(err)
	}
	lastSeq = 0
	if got := scan(s); !slices.Equal(got, []string{"10/99/one", "11/99/two", "12/100/three"}) {
		t.Errorf("events after reopen: %q", got)
	}
}

// TestMigratesSchemaV2: a version 2 file (no log buckets, no CloudWatch
// buckets) opens as version 4 with its records untouched and the log buckets
// ready.
func TestMigratesSchemaV2(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reservoir.db")
	s := mustOpen(t, path)
	if err := s.SaveRole(ctx, storetest.FullRole("123456789012", "kept")); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	rawUpdate(t, path, func(tx *bolt.Tx) error { // what version 2 wrote
		for _, b := range []string{"log_groups", "log_streams", "log_events", "cw_series", "cw_data", "cw_alarms", "cw_history", "policies", "layers"} {
			if err := tx.DeleteBucket([]byte(b)); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte("2"))
	})
	s = mustOpen(t, path)
	if roles, err := s.LoadRoles(ctx); err != nil || len(roles) != 1 {
		t.Fatalf("LoadRoles: %v, %v", roles, err)
	}
	scope := logs.Scope{Account: "123456789012", Region: "us-east-1"}
	if groups, err := s.LoadLogGroups(ctx); err != nil || len(groups) != 0 {
		t.Fatalf("LoadLogGroups: %v, %v", groups, err)
	}
	if err := s.SaveLogGroup(ctx, logs.Group{Scope: scope, Name: "g", CreationTime: 1}); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	if v := rawGet(t, path, "meta", "schema_version"); v != strconv.Itoa(boltstore.SchemaVersion) {
		t.Errorf("schema_version after the migration = %q, want %d", v, boltstore.SchemaVersion)
	}
}

// TestMigratesSchemaV4LogRecords pins the on-disk format of the log buckets
// before version 6: records and events written by hand in the version 3 to
// 5 layout (one key per event) are migrated to blocks, then load, scan, and
// take new events and retention as any others.
func TestMigratesSchemaV4LogRecords(t *testing.T) {
	for _, from := range []string{"4", "5"} {
		t.Run("from"+from, func(t *testing.T) { testMigratesLogRecords(t, from) })
	}
}

// beKey is a raw store key: the parts, 8 big-endian bytes each, as the
// log buckets' keys are laid out.
func beKey(parts ...uint64) []byte {
	var b []byte
	for _, p := range parts {
		b = binary.BigEndian.AppendUint64(b, p)
	}
	return b
}

func testMigratesLogRecords(t *testing.T, from string) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reservoir.db")
	mustClose(t, mustOpen(t, path))
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		group := `{"id":7,"account":"123456789012","region":"us-east-1","name":"/aws/lambda/golden","creation_time":1700000000000,
			"retention_days":30,"kms_key_id":"k","class":"STANDARD","tags":{"a":"b"}}`
		stream := `{"id":3,"name":"s","creation_time":1700000000001,"events":2,"stored_bytes":60,
			"first_event_timestamp":1700000000100,"last_event_timestamp":1700000000200,"last_ingestion_time":1700000000300}`
		if err := tx.Bucket([]byte("log_groups")).Put([]byte("123456789012/us-east-1//aws/lambda/golden"), []byte(group)); err != nil {
			return err
		}
		if err := tx.Bucket([]byte("log_streams")).Put(append(beKey(7), 's'), []byte(stream)); err != nil {
			return err
		}
		ev := func(ts, seq uint64, msg string) error {
			v := append(binary.AppendUvarint(nil, 1700000000300), msg...)
			return tx.Bucket([]byte("log_events")).Put(beKey(3, ts, seq), v)
		}
		if err := ev(1700000000200, 2, "second"); err != nil {
			return err
		}
		if err := ev(1700000000100, 1, "first"); err != nil {
			return err
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte(from))
	})
	if v := rawGet(t, path, "meta", "schema_version"); v != from {
		t.Fatalf("schema_version before the migration = %q", v)
	}
	s := mustOpen(t, path)
	defer mustClose(t, s)
	groups, err := s.LoadLogGroups(ctx)
	if err != nil || len(groups) != 1 {
		t.Fatalf("LoadLogGroups: %+v, %v", groups, err)
	}
	scope := logs.Scope{Account: "123456789012", Region: "us-east-1"}
	want := logs.StoredGroup{
		Group: logs.Group{Scope: scope, Name: "/aws/lambda/golden", CreationTime: 1700000000000, RetentionDays: 30,
			KMSKeyID: "k", Class: logs.ClassStandard, Tags: map[string]string{"a": "b"}},
		Streams: []logs.Stream{{Name: "s", CreationTime: 1700000000001, Events: 2, StoredBytes: 60,
			FirstEventTimestamp: 1700000000100, LastEventTimestamp: 1700000000200, LastIngestionTime: 1700000000300}},
	}
	if !reflect.DeepEqual(groups[0], want) {
		t.Errorf("loaded %+v, want %+v", groups[0], want)
	}
	var got []string
	err = s.ScanLogGroup(ctx, scope, "/aws/lambda/golden", []string{"s"}, logs.KeyRange{To: logs.EventKey{Timestamp: 1 << 62}},
		func(stream string, ev logs.StoredEvent) bool {
			got = append(got, fmt.Sprintf("%s %d %d %d %s", stream, ev.Key.Timestamp, ev.Key.Seq, ev.IngestionTime, ev.Message))
			return true
		})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"s 1700000000100 1 1700000000300 first", "s 1700000000200 2 1700000000300 second"}) {
		t.Errorf("events: %q", got)
	}
	if _, err := s.AppendLogEvents(ctx, []logs.Append{{Scope: scope, Group: "/aws/lambda/golden", Stream: "s",
		IngestionTime: 1700000000400, Events: []logs.InputEvent{{Timestamp: 1700000000150, Message: "middle"}}}}); err != nil {
		t.Fatal(err)
	}
	sts, _, err := s.DeleteOldestLogEvents(ctx, []logs.LogCut{{Scope: scope, Group: "/aws/lambda/golden", Stream: "s", Before: 1700000000101}}, 1<<20, true)
	if err != nil || sts[0].Events != 2 || sts[0].FirstEventTimestamp != 1700000000150 {
		t.Fatalf("DeleteOldestLogEvents after the migration: %+v, %v", sts, err)
	}
	got = nil
	err = s.ScanLogStream(ctx, scope, "/aws/lambda/golden", "s", logs.KeyRange{To: logs.EventKey{Timestamp: 1 << 62}}, true,
		func(ev logs.StoredEvent) bool {
			got = append(got, string(ev.Message))
			return true
		})
	if err != nil || !slices.Equal(got, []string{"second", "middle"}) {
		t.Errorf("events after an append and a delete, newest first: %q, %v", got, err)
	}
}

// TestCorruptLogRecordsAreErrors: a group record under another name's key,
// or a stream of no group, fails the load instead of being skipped.
func TestCorruptLogRecordsAreErrors(t *testing.T) {
	for name, edit := range map[string]func(tx *bolt.Tx) error{
		"key mismatch": func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("log_groups")).Put([]byte("1/r/a"), []byte(`{"id":1,"account":"1","region":"r","name":"b"}`))
		},
		"orphan stream": func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("log_streams")).Put(append(binary.BigEndian.AppendUint64(nil, 42), 's'), []byte(`{"id":1,"name":"s"}`))
		},
		"not json": func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("log_groups")).Put([]byte("1/r/a"), []byte(`{`))
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "reservoir.db")
			mustClose(t, mustOpen(t, path))
			rawUpdate(t, path, edit)
			s := mustOpen(t, path)
			defer mustClose(t, s)
			if groups, err := s.LoadLogGroups(context.Background()); err == nil {
				t.Errorf("LoadLogGroups over a corrupt record: %+v", groups)
			}
		})
	}
}

// TestReadsSchemaV8PlainBlocks pins what version 8 stored: plain blocks,
// written here by hand. The file opens as the current version with its
// blocks untouched; they scan in both directions merged with the
// compressed blocks appended after the upgrade, and retention cuts both
// kinds.
func TestReadsSchemaV8PlainBlocks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reservoir.db")
	mustClose(t, mustOpen(t, path))
	const t0 = 1700000000000
	// A plain block: ingestion, span, count (uvarints), then per event its
	// timestamp and seq deltas, the message's length and the message.
	plain := []byte{0xac, 0xd2, 0x95, 0xff, 0xbc, 0x31, // ingestion t0+300
		0x64, 0x02, // span 100 ms, 2 events
		0x00, 0x00, 0x05, 'f', 'i', 'r', 's', 't', // at t0, seq 1
		0x64, 0x02, 0x06, 't', 'h', 'i', 'r', 'd', '!'} // at t0+100, seq 2
	if ing, _ := binary.Uvarint(plain); ing != t0+300 {
		t.Fatalf("hand-written ingestion decodes as %d", ing)
	}
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		group := `{"id":7,"account":"123456789012","region":"us-east-1","name":"/aws/lambda/v8","creation_time":1700000000000}`
		stream := `{"id":3,"name":"s","creation_time":1700000000001,"events":2,"stored_bytes":63,
			"first_event_timestamp":1700000000000,"last_event_timestamp":1700000000100,"last_ingestion_time":1700000000300,"block_span":100}`
		if err := tx.Bucket([]byte("log_groups")).Put([]byte("123456789012/us-east-1//aws/lambda/v8"), []byte(group)); err != nil {
			return err
		}
		if err := tx.Bucket([]byte("log_streams")).Put(append(beKey(7), 's'), []byte(stream)); err != nil {
			return err
		}
		if err := tx.Bucket([]byte("log_events")).Put(beKey(3, t0, 1), plain); err != nil {
			return err
		}
		if err := tx.Bucket([]byte("log_events")).SetSequence(2); err != nil {
			return err
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte("8"))
	})
	s := mustOpen(t, path)
	scope := logs.Scope{Account: "123456789012", Region: "us-east-1"}
	scan := func(reverse bool) []string {
		t.Helper()
		var got []string
		err := s.ScanLogStream(ctx, scope, "/aws/lambda/v8", "s", logs.KeyRange{To: logs.EventKey{Timestamp: 1 << 62}}, reverse,
			func(ev logs.StoredEvent) bool {
				got = append(got, fmt.Sprintf("%d/%d/%s", ev.Key.Timestamp-t0, ev.IngestionTime-t0, ev.Message))
				return true
			})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := scan(false); !slices.Equal(got, []string{"0/300/first", "100/300/third!"}) {
		t.Fatalf("version 8 events: %q", got)
	}
	// 300 compressible lines between and after the old block's events.
	var evs []logs.InputEvent
	var want []string
	for i := range 300 {
		msg := fmt.Sprintf("line %d: the quick brown fox jumps over the lazy dog", i)
		evs = append(evs, logs.InputEvent{Timestamp: t0 + 50 + int64(i), Message: msg})
	}
	if _, err := s.AppendLogEvents(ctx, []logs.Append{{Scope: scope, Group: "/aws/lambda/v8", Stream: "s", IngestionTime: t0 + 400, Events: evs}}); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	if v := rawGet(t, path, "meta", "schema_version"); v != strconv.Itoa(boltstore.SchemaVersion) {
		t.Errorf("schema_version = %q, want %d", v, boltstore.SchemaVersion)
	}
	if v := rawGet(t, path, "log_events", string(beKey(3, t0, 1))); v != string(plain) {
		t.Errorf("the version 8 block was rewritten: % x", v)
	}
	if v := rawGet(t, path, "log_events", string(beKey(3, t0+50, 3))); !strings.HasPrefix(v, "\x80\x00\x01") || len(v) > 300*20 {
		t.Errorf("the appended block (%d bytes, starting % x) is not compressed", len(v), v[:min(len(v), 3)])
	}

	s = mustOpen(t, path)
	defer mustClose(t, s)
	want = []string{"0/300/first"}
	for i, ev := range evs {
		if i == 50 {
			want = append(want, "100/300/third!")
		}
		want = append(want, fmt.Sprintf("%d/400/%s", ev.Timestamp-t0, ev.Message))
	}
	if got := scan(false); !slices.Equal(got, want) {
		t.Fatalf("merged forward: %d events, want %d; first %q", len(got), len(want), got[:min(len(got), 3)])
	}
	backward := slices.Clone(want)
	slices.Reverse(backward)
	if got := scan(true); !slices.Equal(got, backward) {
		t.Fatalf("merged backward: %d events, want %d", len(got), len(want))
	}
	// Retention before t0+150 removes "first", "third!" and the first 100
	// new lines: the plain block goes, the compressed one is cut and
	// rewritten under its first remaining event.
	sts, _, err := s.DeleteOldestLogEvents(ctx, []logs.LogCut{{Scope: scope, Group: "/aws/lambda/v8", Stream: "s", Before: t0 + 150}}, 1<<30, true)
	if err != nil || sts[0].Events != 200 || sts[0].FirstEventTimestamp != t0+150 {
		t.Fatalf("DeleteOldestLogEvents: %+v, %v", sts, err)
	}
	if got := scan(false); !slices.Equal(got, want[102:]) {
		t.Fatalf("after retention: %d events, want %d; first %q", len(got), len(want)-102, got[:min(len(got), 1)])
	}
}
