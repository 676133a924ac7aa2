package boltstore

import (
	"context"
	"path/filepath"
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
