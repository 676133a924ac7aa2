package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/logs"
)

// TestBlockSpanBounded: a batch spanning a day is cut into blocks of at
// most blockMaxSpan, so the stream's block_span, how far back a scan steps
// from where it starts, stays bounded.
func TestBlockSpanBounded(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "reservoir.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	scope := logs.Scope{Account: "123456789012", Region: "us-east-1"}
	if err := s.SaveLogGroup(ctx, logs.Group{Scope: scope, Name: "g"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateLogStream(ctx, scope, "g", logs.Stream{Name: "s"}); err != nil {
		t.Fatal(err)
	}
	var evs []logs.InputEvent
	for ts := int64(0); ts <= 24*3600*1000; ts += 7 * 1000 {
		evs = append(evs, logs.InputEvent{Timestamp: ts, Message: "x"})
	}
	if _, err := s.AppendLogEvents(ctx, []logs.Append{{Scope: scope, Group: "g", Stream: "s", IngestionTime: 1, Events: evs}}); err != nil {
		t.Fatal(err)
	}
	var rec logStreamRecord
	err = s.db.View(func(tx *bolt.Tx) error {
		lb, err := openLogBuckets(tx)
		if err != nil {
			return err
		}
		r, _, _, err := lb.stream(scope, "g", "s")
		rec = r
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec.BlockSpan > blockMaxSpan || rec.Events != int64(len(evs)) {
		t.Errorf("block_span %d (at most %d), %d events", rec.BlockSpan, blockMaxSpan, rec.Events)
	}
}

// Within a transaction the arena's pieces never overlap; reset keeps at
// most arenaKeep chunks; a nil arena allocates.
func TestBlockArena(t *testing.T) {
	var a blockArena
	var pieces [][]byte
	for i := range 400 {
		n := 1 + (i*7919)%(blockMaxBytes+4096)
		b := a.take(n)
		if len(b) != 0 || cap(b) != n {
			t.Fatalf("take(%d): len %d cap %d", n, len(b), cap(b))
		}
		pieces = append(pieces, append(b, bytes.Repeat([]byte{byte(i)}, n)...))
	}
	for i, p := range pieces {
		if bytes.Count(p, []byte{byte(i)}) != len(p) {
			t.Fatalf("piece %d was overwritten by a later one", i)
		}
	}
	if len(a.chunks) <= arenaKeep {
		t.Fatalf("%d chunks: the test should use more than %d", len(a.chunks), arenaKeep)
	}
	evs := a.events(3)
	evs[2].msg = "kept until reset"
	a.reset()
	if evs[2].msg != "" || len(a.events(2)) != 2 {
		t.Errorf("events after reset: %+v", evs)
	}
	if len(a.chunks) != arenaKeep || a.cur != 0 || a.off != 0 {
		t.Errorf("after reset: %d chunks, at %d+%d", len(a.chunks), a.cur, a.off)
	}
	if b := (*blockArena)(nil).take(10); cap(b) != 10 {
		t.Errorf("nil arena: cap %d", cap(b))
	}
}

// Appends one after another reuse the committer's arena: what an earlier
// append stored must read back unchanged after later ones.
func TestAppendsReusingTheArenaKeepTheirEvents(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "reservoir.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	scope := logs.Scope{Account: "123456789012", Region: "us-east-1"}
	if err := s.SaveLogGroup(ctx, logs.Group{Scope: scope, Name: "g"}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for round := range 6 {
		stream := fmt.Sprintf("s%d", round%2)
		if round < 2 {
			if err := s.CreateLogStream(ctx, scope, "g", logs.Stream{Name: stream}); err != nil {
				t.Fatal(err)
			}
		}
		var evs []logs.InputEvent
		for i := range 5000 { // ~0.5 MB: several arena chunks in all
			evs = append(evs, logs.InputEvent{Timestamp: int64(round*10000 + i), Message: fmt.Sprintf("round %d line %d %s", round, i, strings.Repeat("z", i%150))})
		}
		if _, err := s.AppendLogEvents(ctx, []logs.Append{{Scope: scope, Group: "g", Stream: stream, IngestionTime: 1, Events: evs}}); err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			want = append(want, stream+" "+ev.Message)
		}
	}
	var got []string
	for _, stream := range []string{"s0", "s1"} {
		err := s.ScanLogStream(ctx, scope, "g", stream, logs.KeyRange{To: logs.EventKey{Timestamp: math.MaxInt64, Seq: math.MaxUint64}}, false, func(ev logs.StoredEvent) bool {
			got = append(got, stream+" "+string(ev.Message))
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("read back %d events, want %d (first difference at %d)", len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
