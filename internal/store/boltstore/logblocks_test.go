package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/logs"
)

// openStream opens a new store holding group "g" and its stream "s"; the
// store closes when t ends.
func openStream(t *testing.T) (*Store, logs.Scope) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "reservoir.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	scope := logs.Scope{Account: "123456789012", Region: "us-east-1"}
	if err := s.SaveLogGroup(ctx, logs.Group{Scope: scope, Name: "g"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateLogStream(ctx, scope, "g", logs.Stream{Name: "s"}); err != nil {
		t.Fatal(err)
	}
	return s, scope
}

// TestBlockSpanBounded: a batch spanning a day is cut into blocks of at
// most blockMaxSpan, so the stream's block_span, how far back a scan steps
// from where it starts, stays bounded.
func TestBlockSpanBounded(t *testing.T) {
	ctx := context.Background()
	s, scope := openStream(t)
	var evs []logs.InputEvent
	for ts := int64(0); ts <= 24*3600*1000; ts += 7 * 1000 {
		evs = append(evs, logs.InputEvent{Timestamp: ts, Message: "x"})
	}
	if _, err := s.AppendLogEvents(ctx, []logs.Append{{Scope: scope, Group: "g", Stream: "s", IngestionTime: 1, Events: evs}}); err != nil {
		t.Fatal(err)
	}
	var rec logStreamRecord
	err := s.db.View(func(tx *bolt.Tx) error {
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
	// giveBack returns the tail of the last take only: the next take
	// starts where the kept part ends.
	a.take(100)
	a.giveBack(60)
	if a.off != 40 {
		t.Errorf("after take(100), giveBack(60): at %d, want 40", a.off)
	}
	a.giveBack(60) // more than the last take kept: ignored
	if a.off != 40 {
		t.Errorf("a second giveBack moved the arena to %d", a.off)
	}
	a.take(arenaChunk + 1) // not from a chunk: nothing to give back
	a.giveBack(10)
	if a.off != 40 {
		t.Errorf("giveBack after a take outside the chunks moved the arena to %d", a.off)
	}
}

// testBlockEvents returns n events with keys from (ts, seq) on and the
// messages msg(i).
func testBlockEvents(n int, ts int64, seq uint64, msg func(i int) string) []blockEvent {
	evs := make([]blockEvent, n)
	for i := range evs {
		evs[i] = blockEvent{key: logs.EventKey{Timestamp: ts + int64(i/3), Seq: seq + uint64(i)}, msg: msg(i)}
	}
	return evs
}

// checkDecodes decodes v as the block of evs, ingested at ingestion.
func checkDecodes(t *testing.T, v []byte, ingestion int64, evs []blockEvent) {
	t.Helper()
	got, err := decodeBlock(eventKey(1, evs[0].key), v, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(evs) {
		t.Fatalf("decoded %d events, want %d", len(got), len(evs))
	}
	for i, e := range got {
		if e.Key != evs[i].key || e.IngestionTime != ingestion || string(e.Message) != evs[i].msg {
			t.Fatalf("event %d: %+v %q, want %+v %q ingested at %d", i, e.Key, e.Message, evs[i].key, evs[i].msg, ingestion)
		}
	}
}

// A block of log lines is stored compressed, marked as such, several times
// smaller than its messages, and decodes to the same events; a block
// compression would not shrink is stored plain, as version 8 stored every
// block, and decodes too.
func TestBlocksCompressed(t *testing.T) {
	var a blockArena
	lines := testBlockEvents(1000, 1_700_000_000_000, 42, func(i int) string {
		return fmt.Sprintf("[INFO]\t2026-12-06T19:44:%02d.%03dZ\t8f5e2b1c-93d4-4c1e-a0b7-%012d\tprocessed order %d for customer %d in %d ms",
			i%60, i%1000, i/10, 100000+i*7, i%97, i%250)
	})
	msgBytes := 0
	for _, e := range lines {
		msgBytes += len(e.msg)
	}
	v := encodeBlock(&a, 1_700_000_000_500, lines)
	if !bytes.HasPrefix(v, []byte{blockMark[0], blockMark[1], byte(codecS2)}) {
		t.Fatalf("block of log lines starts % x, want the mark and codec %d", v[:3], codecS2)
	}
	if len(v) > msgBytes/3 {
		t.Errorf("compressed block is %d bytes for %d message bytes: less than 3 times smaller", len(v), msgBytes)
	}
	checkDecodes(t, v, 1_700_000_000_500, lines)
	// A nil arena (retention's rewrites, the migration) compresses too.
	if w := encodeBlock(nil, 1_700_000_000_500, lines); !bytes.Equal(w, v) {
		t.Errorf("nil arena: %d bytes, differs from the arena's %d", len(w), len(v))
	}

	rng := rand.New(rand.NewPCG(1, 2))
	noise := testBlockEvents(50, 0, 1, func(int) string {
		b := make([]byte, 200)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return string(b)
	})
	off := a.off
	v = encodeBlock(&a, 0, noise) // ingestion 0: the plain block starts 0x00
	if bytes.HasPrefix(v, blockMark[:]) {
		t.Fatalf("incompressible block stored marked: % x", v[:3])
	}
	if a.off-off != len(v) {
		t.Errorf("the arena kept %d bytes for a plain block of %d", a.off-off, len(v))
	}
	checkDecodes(t, v, 0, noise)
}

// A marked block that is corrupt, of an unknown codec, or claims more than
// a block can hold is an error for its reader, never a panic or a huge
// allocation.
func TestCorruptCompressedBlocks(t *testing.T) {
	lines := testBlockEvents(300, 1000, 1, func(i int) string { return fmt.Sprintf("line %d of 300: the same words again", i) })
	v := encodeBlock(nil, 5, lines)
	if !bytes.HasPrefix(v, blockMark[:]) {
		t.Fatal("test block not compressed")
	}
	unknown := bytes.Clone(v)
	unknown[2] = 0x7f
	huge := binary.AppendUvarint([]byte{blockMark[0], blockMark[1], byte(codecS2)}, 1<<40)
	for name, bad := range map[string][]byte{
		"unknown codec":  unknown,
		"truncated":      v[:len(v)/2],
		"mark only":      v[:3],
		"huge length":    huge,
		"mark, no codec": blockMark[:],
		"too long plain": binary.AppendUvarint([]byte{blockMark[0], blockMark[1], byte(codecS2)}, maxPlainBlock+1),
	} {
		t.Run(name, func(t *testing.T) {
			evs, err := decodeBlock(eventKey(1, lines[0].key), bad, nil)
			if !errors.Is(err, errCorruptBlock) {
				t.Errorf("decodeBlock: %d events, %v; want errCorruptBlock", len(evs), err)
			}
		})
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

// FuzzDecodeBlock: any stored value, plain or marked, decodes or is an
// errCorruptBlock, never a panic; what decodes encodes back (sorted, as
// stored blocks are) to a block that decodes to the same events.
func FuzzDecodeBlock(f *testing.F) {
	lines := testBlockEvents(200, 1000, 7, func(i int) string { return fmt.Sprintf("line %d: some words again", i) })
	f.Add(encodeBlock(nil, 5, lines))
	f.Add(encodeBlock(nil, 5, lines[:1]))
	f.Add([]byte{blockMark[0], blockMark[1], byte(codecS2), 0})
	f.Fuzz(func(t *testing.T, v []byte) {
		key := eventKey(1, logs.EventKey{Timestamp: 1000, Seq: 7})
		evs, err := decodeBlock(key, v, nil)
		if err != nil {
			if !errors.Is(err, errCorruptBlock) {
				t.Fatalf("error %v is not errCorruptBlock", err)
			}
			return
		}
		if len(evs) == 0 {
			t.Fatal("a block decoded to no events")
		}
		again := make([]blockEvent, len(evs))
		for i, e := range evs {
			again[i] = blockEvent{key: e.Key, msg: string(e.Message)}
		}
		// Stored blocks sit under their first event's key.
		got, err := decodeBlock(eventKey(1, evs[0].Key), encodeBlock(nil, evs[0].IngestionTime, again), nil)
		if err != nil || len(got) != len(evs) {
			t.Fatalf("re-encoded block: %d events, %v; want %d", len(got), err, len(evs))
		}
		for i := range got {
			if got[i].Key != evs[i].Key || got[i].IngestionTime != evs[i].IngestionTime || !bytes.Equal(got[i].Message, evs[i].Message) {
				t.Fatalf("event %d re-encoded as %+v, was %+v", i, got[i], evs[i])
			}
		}
	})
}

// TestBlocksCutAtTheirLimits: an append is stored as blocks of at most
// blockMaxEvents events and blockMaxBytes of messages (a block passes the
// bytes only with its one message), each full but the last of an append,
// and the stream reads back every event in order.
func TestBlocksCutAtTheirLimits(t *testing.T) {
	ctx := context.Background()
	s, scope := openStream(t)
	var want []string
	appendRun := func(n, size int) {
		t.Helper()
		evs := make([]logs.InputEvent, n)
		for i := range evs {
			msg := fmt.Sprintf("%d/%d ", len(want), size)
			msg += strings.Repeat("x", max(size-len(msg), 0))
			evs[i] = logs.InputEvent{Timestamp: 1_000, Message: msg}
			want = append(want, msg)
		}
		if _, err := s.AppendLogEvents(ctx, []logs.Append{{Scope: scope, Group: "g", Stream: "s", IngestionTime: 1, Events: evs}}); err != nil {
			t.Fatal(err)
		}
	}
	appendRun(10_000, 20)             // cut by events: 4,096, 4,096, 1,808
	appendRun(3_000, 200)             // cut by bytes: 1,310 per block
	appendRun(2, blockMaxBytes+1_000) // each message alone past the bytes
	var counts []int
	err := s.db.View(func(tx *bolt.Tx) error {
		lb, err := openLogBuckets(tx)
		if err != nil {
			return err
		}
		return lb.events.ForEach(func(k, v []byte) error {
			evs, err := decodeBlock(k, v, nil)
			if err != nil {
				return err
			}
			size := 0
			for _, e := range evs {
				size += len(e.Message)
			}
			if len(evs) > blockMaxEvents || size > blockMaxBytes && len(evs) > 1 {
				t.Errorf("block %x: %d events, %d bytes", k, len(evs), size)
			}
			counts = append(counts, len(evs))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	perBytes := blockMaxBytes / 200
	wantCounts := []int{blockMaxEvents, blockMaxEvents, 10_000 - 2*blockMaxEvents, perBytes, perBytes, 3_000 - 2*perBytes, 1, 1}
	if !slices.Equal(counts, wantCounts) {
		t.Errorf("blocks of %v events, want %v", counts, wantCounts)
	}
	var got []string
	if err := s.ScanLogStream(ctx, scope, "g", "s", logs.KeyRange{To: logs.EventKey{Timestamp: math.MaxInt64, Seq: math.MaxUint64}}, false, func(e logs.StoredEvent) bool {
		got = append(got, string(e.Message))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("read back %d events, want %d in order", len(got), len(want))
	}
	// Backward too: the scan recycles finished blocks' buffers, so a
	// message read after the block it came from was finished would show.
	got = got[:0]
	if err := s.ScanLogStream(ctx, scope, "g", "s", logs.KeyRange{To: logs.EventKey{Timestamp: math.MaxInt64, Seq: math.MaxUint64}}, true, func(e logs.StoredEvent) bool {
		got = append(got, string(e.Message))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	slices.Reverse(got)
	if !slices.Equal(got, want) {
		t.Errorf("read back backward %d events, want %d in reverse order", len(got), len(want))
	}
}
