package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/reservoir-dev/reservoir/internal/iam"
	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/logs"
)

var (
	_ lambda.Store = (*Store)(nil)
	_ iam.Store    = (*Store)(nil)
	_ logs.Store   = (*Store)(nil)
)

// ErrInUse is returned by Open when another process holds the database file.
var ErrInUse = errors.New("data dir is in use by another reservoir process")

// ErrUnsupportedSchema is returned by Open when the file carries a schema
// version this binary does not know, typically one written by a newer release.
var ErrUnsupportedSchema = errors.New("unsupported store schema version")

const (
	// SchemaVersion is the schema this package reads and writes. Open
	// migrates version 1 files (which have no async bucket), version 2
	// files (which have no log buckets), version 3 files (which have no
	// CloudWatch buckets), version 4 files (which have no policies bucket),
	// version 5 files (one key per log event rather than blocks), version
	// 6 files (which have no Application Auto Scaling bucket), version 7
	// files (which have no layers bucket) and version 8 files (whose log
	// blocks are all plain: they are read as they are).
	SchemaVersion = 9

	// openTimeout bounds the wait for the file lock, so a second process
	// fails with ErrInUse instead of hanging.
	openTimeout = time.Second

	bucketMeta        = "meta"
	bucketFunctions   = "functions"
	bucketCode        = "code"
	bucketRoles       = "roles"
	bucketPolicies    = "policies"
	bucketAsync       = "async"
	bucketLogGroups   = "log_groups"
	bucketStreams     = "log_streams"
	bucketEvents      = "log_events"
	bucketCWSeries    = "cw_series"
	bucketCWData      = "cw_data"
	bucketCWAlarms    = "cw_alarms"
	bucketCWHistory   = "cw_history"
	bucketAutoscaling = "autoscaling"
	bucketLayers      = "layers"

	keySchemaVersion = "schema_version"
)

// Store is a bbolt file holding functions, code packages, IAM roles,
// CloudWatch Logs groups, streams and events, and CloudWatch metric data,
// alarms and alarm history. It is safe for concurrent use.
//
// Writes are group-committed: one committer goroutine takes every write that
// is waiting when it is free and applies them in one transaction, so
// concurrent writers share one fsync instead of queueing for one each. A write
// returns only once its transaction is durable. When a group fails, each of
// its writes is committed alone, so one failing write fails no other.
type Store struct {
	db   *bolt.DB
	path string

	writes chan commitRequest
	// scratch is the committer's: the writes it runs encode log blocks in
	// it, and it is reset once their transaction has ended.
	scratch       blockArena
	stop          chan struct{} // closed by Close
	committerDone chan struct{}
	closeOnce     sync.Once
	closeErr      error
}

// commitRequest is one write waiting for the committer.
type commitRequest struct {
	fn   func(*bolt.Tx) error
	done chan error // buffered: the committer never blocks on it
}

// initialMmapSize is how much of the file bbolt maps from the start. It
// reserves address space, not memory. Below it a growing file is never
// remapped: a remap waits for every read transaction to end and blocks new
// ones, which a file grown by function logs (tens of MB per second) would
// otherwise do at each doubling up to 1 GiB.
const initialMmapSize = 1 << (30 * (strconv.IntSize / 64)) // 1 GiB; none on 32 bits

// maxGroup bounds how many writes share one transaction.
const maxGroup = 256

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("store closed")

// Open opens the database at path, creating it (and its parent directories,
// mode 0700) when missing, and checks or writes its schema version.
func Open(path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open store: empty path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// NoSync stays false: every commit is fsync'd before Update returns.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: openTimeout, InitialMmapSize: initialMmapSize})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open store %s: %w (file lock not acquired within %s): %w",
			path, ErrInUse, openTimeout, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := db.Update(initSchema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	st := &Store{db: db, path: path, writes: make(chan commitRequest), stop: make(chan struct{}), committerDone: make(chan struct{})}
	go st.commit()
	return st, nil
}

// commit is the committer goroutine.
func (s *Store) commit() {
	defer close(s.committerDone)
	for {
		var first commitRequest
		select {
		case first = <-s.writes:
		case <-s.stop:
			return
		}
		group := []commitRequest{first}
	gather:
		for len(group) < maxGroup {
			select {
			case r := <-s.writes:
				group = append(group, r)
			default:
				break gather
			}
		}
		s.scratch.reset() // the previous transaction has ended
		err := s.db.Update(func(tx *bolt.Tx) error {
			for _, r := range group {
				if err := r.fn(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil || len(group) == 1 {
			for _, r := range group {
				r.done <- err
			}
			continue
		}
		for _, r := range group { // the writes are idempotent: retry each alone
			r.done <- s.db.Update(r.fn)
		}
	}
}

// allBuckets returns the top-level buckets of the schema, meta first.
func allBuckets() []string {
	return []string{bucketMeta, bucketFunctions, bucketCode, bucketRoles, bucketAsync,
		bucketLogGroups, bucketStreams, bucketEvents, bucketCWSeries, bucketCWData, bucketCWAlarms, bucketCWHistory, bucketPolicies,
		bucketAutoscaling, bucketLayers}
}

// initSchema checks the schema version of an existing file, or stamps a new
// one, and makes sure every bucket exists. It writes nothing to a file whose
// version it refuses.
func initSchema(tx *bolt.Tx) error {
	want := strconv.Itoa(SchemaVersion)
	var got []byte
	if meta := tx.Bucket([]byte(bucketMeta)); meta != nil {
		got = meta.Get([]byte(keySchemaVersion))
	}
	switch {
	case got == nil:
		// A fresh file: refuse one that has data but no version.
		for _, name := range allBuckets()[1:] {
			if tx.Bucket([]byte(name)) != nil {
				return fmt.Errorf("%w: bucket %q exists but %s/%s is missing",
					ErrUnsupportedSchema, name, bucketMeta, keySchemaVersion)
			}
		}
	case string(got) == want:
	case string(got) == "1", string(got) == "2", string(got) == "3", string(got) == "4", string(got) == "5",
		string(got) == "6", string(got) == "7", string(got) == "8":
		// Version 2 added the async bucket, version 3 the log buckets,
		// version 4 the CloudWatch buckets, version 5 the policies bucket,
		// version 7 the autoscaling bucket, version 8 the layers bucket, all
		// created below; version 6 stores log events in blocks, migrated
		// below; version 9 compresses new blocks, and reads plain ones as
		// they are (the version keeps an older binary from misreading the
		// compressed ones).
	default:
		n, err := strconv.Atoi(string(got))
		if err == nil && n > SchemaVersion {
			return fmt.Errorf("%w %d: this reservoir supports version %d; the data dir was written by a newer release",
				ErrUnsupportedSchema, n, SchemaVersion)
		}
		return fmt.Errorf("%w %q: this reservoir supports version %d", ErrUnsupportedSchema, got, SchemaVersion)
	}

	for _, name := range allBuckets() {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	if string(got) == "3" || string(got) == "4" || string(got) == "5" {
		if err := migrateEventsToBlocks(tx.Bucket([]byte(bucketEvents))); err != nil {
			return err
		}
	}
	if string(got) != want {
		if err := tx.Bucket([]byte(bucketMeta)).Put([]byte(keySchemaVersion), []byte(want)); err != nil {
			return fmt.Errorf("write schema version: %w", err)
		}
	}
	return nil
}

// Path is the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Close stops the committer and releases the file and its lock. Methods
// called after Close fail. Calling it again returns the first result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.committerDone
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("close store %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// update applies fn in a read-write transaction (shared with other waiting
// writes) and returns once it is durable, unless ctx is already done. fn
// must be idempotent: it may run twice when its group fails.
func (s *Store) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := commitRequest{fn: fn, done: make(chan error, 1)}
	select {
	case s.writes <- req:
	case <-s.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-req.done // once handed over, the outcome is always awaited
}

// put stores value under key in the named bucket, durably (see update).
func (s *Store) put(ctx context.Context, name string, key, value []byte) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		return b.Put(key, value)
	})
}

// remove deletes key from the named bucket, durably (see update); a missing
// key is not an error.
func (s *Store) remove(ctx context.Context, name string, key []byte) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		return b.Delete(key)
	})
}

// view runs fn in one read-only transaction, unless ctx is already done.
func (s *Store) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// bucket returns a top-level bucket that initSchema created.
// loadAll decodes every JSON record of the bucket in key order, checks
// that each is stored under the key its own fields make (a record under
// another key is corruption, not something to load), and converts it.
// what names a record in errors.
func loadAll[R, T any](s *Store, ctx context.Context, name, what string, key func(R) ([]byte, error), conv func(R) T) ([]T, error) {
	out := []T{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var rec R
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode %s %q: %w", what, k, err)
			}
			if want, err := key(rec); err != nil || !bytes.Equal(want, k) {
				return fmt.Errorf("decode %s %q: the record's own fields make another key (%q)", what, k, want)
			}
			out = append(out, conv(rec))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load %ss: %w", what, err)
	}
	return out, nil
}

func bucket(tx *bolt.Tx, name string) (*bolt.Bucket, error) {
	b := tx.Bucket([]byte(name))
	if b == nil {
		return nil, fmt.Errorf("bucket %s missing", name)
	}
	return b, nil
}

// lookup returns the value stored under key and whether the key exists; unlike
// Bucket.Get it tells an empty value from a missing key. The buckets of this
// schema hold no nested buckets. The value is only valid inside the
// transaction.
func lookup(b *bolt.Bucket, key []byte) ([]byte, bool) {
	k, v := b.Cursor().Seek(key)
	if k == nil || !bytes.Equal(k, key) {
		return nil, false
	}
	return v, true
}

// makeKey joins key parts with "/", refusing parts that would make the key
// ambiguous.
func makeKey(parts ...string) ([]byte, error) {
	for _, p := range parts {
		if p == "" {
			return nil, errors.New("empty key part")
		}
		if strings.Contains(p, "/") {
			return nil, fmt.Errorf("key part %q contains '/'", p)
		}
	}
	return []byte(strings.Join(parts, "/")), nil
}
