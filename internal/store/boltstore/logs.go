package boltstore

import (
	"bytes"
	"cmp"
	"container/heap"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/logs"
)

// errNoLogStream is returned by writes that name a stream (or a group) the
// file does not hold.
var errNoLogStream = errors.New("log stream not found")

// eventFill is the fill percent of event pages: events are appended at the
// end of their stream's key range, so pages can be packed nearly full.
const eventFill = 0.9

// logGroupRecord is a group on disk (see doc.go).
type logGroupRecord struct {
	ID            uint64            `json:"id"`
	Account       string            `json:"account"`
	Region        string            `json:"region"`
	Name          string            `json:"name"`
	CreationTime  int64             `json:"creation_time"`
	RetentionDays int               `json:"retention_days,omitempty"`
	KMSKeyID      string            `json:"kms_key_id,omitempty"`
	Class         string            `json:"class,omitempty"`
	Tags          map[string]string `json:"tags,omitempty"`
}

// logStreamRecord is a stream and its figures on disk.
type logStreamRecord struct {
	ID                  uint64 `json:"id"`
	Name                string `json:"name"`
	CreationTime        int64  `json:"creation_time"`
	Events              int64  `json:"events,omitempty"`
	StoredBytes         int64  `json:"stored_bytes,omitempty"`
	FirstEventTimestamp int64  `json:"first_event_timestamp,omitempty"`
	LastEventTimestamp  int64  `json:"last_event_timestamp,omitempty"`
	LastIngestionTime   int64  `json:"last_ingestion_time,omitempty"`
	// BlockSpan is at least the span from the first to the last timestamp
	// of every block the stream holds (see streamIter); it never shrinks.
	BlockSpan int64 `json:"block_span,omitempty"`
}

func (r logStreamRecord) toDomain() logs.Stream {
	return logs.Stream{
		Name: r.Name, CreationTime: r.CreationTime, Events: r.Events, StoredBytes: r.StoredBytes,
		FirstEventTimestamp: r.FirstEventTimestamp, LastEventTimestamp: r.LastEventTimestamp,
		LastIngestionTime: r.LastIngestionTime,
	}
}

// groupKey is "<account>/<region>/<name>": the name, last, may hold "/".
func groupKey(scope logs.Scope, name string) ([]byte, error) {
	prefix, err := makeKey(scope.Account, scope.Region)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, errors.New("empty log group name")
	}
	return append(append(prefix, '/'), name...), nil
}

// streamKey is the group's ID (8 bytes, big-endian) then the stream name.
func streamKey(groupID uint64, name string) []byte {
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(name)), groupID), name...)
}

// eventKey is the stream's ID, the timestamp and the sequence number, each
// 8 bytes big-endian, so keys sort by stream, then as logs.EventKey does.
func eventKey(streamID uint64, k logs.EventKey) []byte {
	b := make([]byte, 24)
	binary.BigEndian.PutUint64(b, streamID)
	binary.BigEndian.PutUint64(b[8:], uint64(k.Timestamp))
	binary.BigEndian.PutUint64(b[16:], k.Seq)
	return b
}

func decodeEventKey(k []byte) logs.EventKey {
	return logs.EventKey{Timestamp: int64(binary.BigEndian.Uint64(k[8:])), Seq: binary.BigEndian.Uint64(k[16:])}
}

// logBuckets are the three log buckets of one transaction.
type logBuckets struct {
	groups, streams, events *bolt.Bucket
}

func openLogBuckets(tx *bolt.Tx) (logBuckets, error) {
	var lb logBuckets
	var err error
	if lb.groups, err = bucket(tx, bucketLogGroups); err != nil {
		return lb, err
	}
	if lb.streams, err = bucket(tx, bucketStreams); err != nil {
		return lb, err
	}
	lb.events, err = bucket(tx, bucketEvents)
	return lb, err
}

// group reads a group's record; ok is false when it is missing.
func (lb logBuckets) group(scope logs.Scope, name string) (rec logGroupRecord, key []byte, ok bool, err error) {
	key, err = groupKey(scope, name)
	if err != nil {
		return rec, nil, false, err
	}
	v, found := lookup(lb.groups, key)
	if !found {
		return rec, key, false, nil
	}
	if err := json.Unmarshal(v, &rec); err != nil {
		return rec, key, false, fmt.Errorf("decode log group %s: %w", key, err)
	}
	return rec, key, true, nil
}

// stream reads a stream's record; ok is false when it or its group is
// missing.
func (lb logBuckets) stream(scope logs.Scope, group, name string) (rec logStreamRecord, key []byte, ok bool, err error) {
	g, _, ok, err := lb.group(scope, group)
	if err != nil || !ok {
		return rec, nil, false, err
	}
	key = streamKey(g.ID, name)
	v, found := lookup(lb.streams, key)
	if !found {
		return rec, key, false, nil
	}
	if err := json.Unmarshal(v, &rec); err != nil {
		return rec, key, false, fmt.Errorf("decode log stream %q of %s: %w", name, group, err)
	}
	return rec, key, true, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	value, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, value)
}

// deleteAllEvents removes every block of a stream.
func deleteAllEvents(events *bolt.Bucket, streamID uint64) error {
	prefix := binary.BigEndian.AppendUint64(nil, streamID)
	c := events.Cursor()
	// Seek again after each delete: a cursor's Next after Delete may skip
	// a key.
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// deleteThrough removes a stream's events up to and including the key
// last: a block holding only such events is deleted, one holding some is
// rewritten without them, under its new first event's key. A block known
// to end by last is deleted without being decoded: one that starts more
// than the stream's block_span before last's timestamp, or one of passed
// (blocks a walk returned every event of, in key order) that ends by last.
func deleteThrough(events *bolt.Bucket, rec logStreamRecord, last logs.EventKey, passed []passedBlock) error {
	streamID := rec.ID
	prefix := binary.BigEndian.AppendUint64(nil, streamID)
	end := eventKey(streamID, last)
	whole := make(map[string]bool, len(passed))
	for _, p := range passed {
		if !last.Less(p.last) {
			whole[string(p.key)] = true
		}
	}
	c := events.Cursor()
	var evs []logs.StoredEvent
	for k, v := c.Seek(prefix); k != nil && bytes.Compare(k, end) <= 0; k, v = c.Seek(prefix) {
		if decodeEventKey(k).Timestamp+rec.BlockSpan < last.Timestamp || whole[string(k)] {
			if err := c.Delete(); err != nil {
				return err
			}
			continue
		}
		var err error
		if evs, err = decodeBlock(k, v, evs[:0]); err != nil {
			return err
		}
		ingestion := evs[0].IngestionTime // a block has at least one event
		keep := make([]blockEvent, 0, len(evs))
		for _, e := range evs {
			if last.Less(e.Key) {
				keep = append(keep, blockEvent{key: e.Key, msg: string(e.Message)})
			}
		}
		var rewritten []byte
		if len(keep) > 0 { // encode before the delete: the messages point into v
			rewritten = encodeBlock(nil, ingestion, keep)
		}
		if err := c.Delete(); err != nil {
			return err
		}
		if len(keep) > 0 {
			if err := events.Put(eventKey(streamID, keep[0].key), rewritten); err != nil {
				return err
			}
		}
	}
	return nil
}

// firstEventTimestamp returns the oldest timestamp a stream holds.
func firstEventTimestamp(events *bolt.Bucket, streamID uint64) (int64, bool) {
	prefix := binary.BigEndian.AppendUint64(nil, streamID)
	k, _ := events.Cursor().Seek(prefix)
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return 0, false
	}
	return decodeEventKey(k).Timestamp, true
}

// LoadLogGroups returns every stored group with its streams, ordered by
// account, region and name; streams by name.
func (s *Store) LoadLogGroups(ctx context.Context) ([]logs.StoredGroup, error) {
	var out []logs.StoredGroup
	err := s.view(ctx, func(tx *bolt.Tx) error {
		lb, err := openLogBuckets(tx)
		if err != nil {
			return err
		}
		byID := map[uint64]int{}
		err = lb.groups.ForEach(func(k, v []byte) error {
			var rec logGroupRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode log group %s: %w", k, err)
			}
			scope := logs.Scope{Account: rec.Account, Region: rec.Region}
			if want, err := groupKey(scope, rec.Name); err != nil || !bytes.Equal(want, k) {
				return fmt.Errorf("decode log group %s: record names %s/%s/%s", k, rec.Account, rec.Region, rec.Name)
			}
			if _, dup := byID[rec.ID]; dup {
				return fmt.Errorf("decode log group %s: id %d used twice", k, rec.ID)
			}
			byID[rec.ID] = len(out)
			out = append(out, logs.StoredGroup{Group: logs.Group{
				Scope: scope, Name: rec.Name, CreationTime: rec.CreationTime, RetentionDays: rec.RetentionDays,
				KMSKeyID: rec.KMSKeyID, Class: logs.GroupClass(rec.Class), Tags: maps.Clone(rec.Tags),
			}})
			return nil
		})
		if err != nil {
			return err
		}
		return lb.streams.ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var rec logStreamRecord
			if len(k) < 8 {
				return fmt.Errorf("log stream key %x too short", k)
			}
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode log stream %x: %w", k, err)
			}
			i, ok := byID[binary.BigEndian.Uint64(k)]
			if !ok || string(k[8:]) != rec.Name {
				return fmt.Errorf("decode log stream %q: no group %d or a key of another name", rec.Name, binary.BigEndian.Uint64(k))
			}
			out[i].Streams = append(out[i].Streams, rec.toDomain())
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load log groups: %w", err)
	}
	if out == nil {
		out = []logs.StoredGroup{}
	}
	return out, nil
}

// SaveLogGroup stores a group's configuration, keeping an existing group's
// identity, streams and events.
func (s *Store) SaveLogGroup(ctx context.Context, g logs.Group) error {
	if _, err := groupKey(g.Scope, g.Name); err != nil {
		return fmt.Errorf("save log group %q of %+v: %w", g.Name, g.Scope, err)
	}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		lb, err := openLogBuckets(tx)
		if err != nil {
			return err
		}
		old, key, ok, err := lb.group(g.Scope, g.Name)
		if err != nil {
			return err
		}
		rec := logGroupRecord{
			ID: old.ID, Account: g.Scope.Account, Region: g.Scope.Region, Name: g.Name,
			CreationTime: g.CreationTime, RetentionDays: g.RetentionDays, KMSKeyID: g.KMSKeyID,
			Class: string(g.Class), Tags: g.Tags,
		}
		if !ok {
			if rec.ID, err = lb.groups.NextSequence(); err != nil {
				return err
			}
		}
		return putJSON(lb.groups, key, rec)
	})
	if err != nil {
		return fmt.Errorf("save log group %s: %w", g.Name, err)
	}
	return nil
}

// DeleteLogGroup removes a group, its streams and their events.
func (s *Store) DeleteLogGroup(ctx context.Context, scope logs.Scope, name string) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		lb, err := openLogBuckets(tx)
		if err != nil {
			return err
		}
		g, key, ok, err := lb.group(scope, name)
		if err != nil || !ok {
			return err
		}
		prefix := binary.BigEndian.AppendUint64(nil, g.ID)
		c := lb.streams.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Seek(prefix) {
			var rec logStreamRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode log stream %x: %w", k, err)
			}
			if err := deleteAllEvents(lb.events, rec.ID); err != nil {
				return err
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return lb.groups.Delete(key)
	})
	if err != nil {
		return fmt.Errorf("delete log group %s: %w", name, err)
	}
	return nil
}

// CreateLogStream adds an empty stream to an existing group.
func (s *Store) CreateLogStream(ctx context.Context, scope logs.Scope, group string, st logs.Stream) error {
	if st.Name == "" {
		return fmt.Errorf("create log stream in %s: empty name", group)
	}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		lb, err := openLogBuckets(tx)
		if err != nil {
			return err
		}
		g, _, ok, err := lb.group(scope, group)
		if err != nil {
			return err
		}
		if !ok {
			return errNoLogStream
		}
		key := streamKey(g.ID, st.Name)
		if _, exists := lookup(lb.streams, key); exists {
			return errors.New("log stream exists")
		}
		id, err := lb.streams.NextSequence()
		if err != nil {
			return err
		}
		return putJSON(lb.streams, key, logStreamRecord{ID: id, Name: st.Name, CreationTime: st.CreationTime})
	})
	if err != nil {
		return fmt.Errorf("create log stream %s in %s: %w", st.Name, group, err)
	}
	return nil
}

// DeleteLogStream removes a stream and its events.
func (s *Store) DeleteLogStream(ctx context.Context, scope logs.Scope, group, stream string) error {
	err := s.update(ctx, func(tx *bolt.Tx) error {
		lb, err := openLogBuckets(tx)
		if err != nil {
			return err
		}
		rec, key, ok, err := lb.stream(scope, group, stream)
		if err != nil || !ok {
			return err
		}
		if err := deleteAllEvents(lb.events, rec.ID); err != nil {
			return err
		}
		return lb.streams.Delete(key)
	})
	if err != nil {
		return fmt.Errorf("delete log stream %s in %s: %w", stream, group, err)
	}
	return nil
}

// AppendLogEvents stores batches of events in one transaction.
func (s *Store) AppendLogEvents(ctx context.Context, batches []logs.Append) ([]logs.Stream, error) {
	for _, b := range batches {
		for _, ev := range b.Events {
			if ev.Timestamp < 0 {
				return nil, fmt.Errorf("append log events to %s: negative timestamp %d", b.Stream, ev.Timestamp)
			}
		}
	}
	var out []logs.Stream
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out = make([]logs.Stream, len(batches)) // update may run this twice
		lb, err := openLogBuckets(tx)
		if err != nil {
			return err
		}
		lb.events.FillPercent = eventFill
		type touched struct {
			rec logStreamRecord
			key []byte
		}
		streams := map[string]*touched{}
		order := make([]*touched, len(batches))
		seq := lb.events.Sequence()
		for i, b := range batches {
			id := b.Scope.Account + "\x00" + b.Scope.Region + "\x00" + b.Group + "\x00" + b.Stream
			t := streams[id]
			if t == nil {
				rec, key, ok, err := lb.stream(b.Scope, b.Group, b.Stream)
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("%w: %s in %s", errNoLogStream, b.Stream, b.Group)
				}
				t = &touched{rec: rec, key: key}
				streams[id] = t
			}
			order[i] = t
			if len(b.Events) == 0 {
				continue
			}
			evs := s.scratch.events(len(b.Events))
			for j, ev := range b.Events {
				seq++
				evs[j] = blockEvent{key: logs.EventKey{Timestamp: ev.Timestamp, Seq: seq}, msg: ev.Message}
				if t.rec.Events == 0 || ev.Timestamp < t.rec.FirstEventTimestamp {
					t.rec.FirstEventTimestamp = ev.Timestamp
				}
				if t.rec.Events == 0 || ev.Timestamp > t.rec.LastEventTimestamp {
					t.rec.LastEventTimestamp = ev.Timestamp
				}
				t.rec.Events++
				t.rec.StoredBytes += logs.EventSize(ev.Message)
			}
			span, err := putBlocks(lb.events, &s.scratch, t.rec.ID, b.IngestionTime, evs)
			if err != nil {
				return err
			}
			t.rec.BlockSpan = max(t.rec.BlockSpan, span)
			t.rec.LastIngestionTime = b.IngestionTime
		}
		if err := lb.events.SetSequence(seq); err != nil {
			return err
		}
		for _, t := range streams {
			if err := putJSON(lb.streams, t.key, t.rec); err != nil {
				return err
			}
		}
		for i, t := range order {
			out[i] = t.rec.toDomain()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("append log events: %w", err)
	}
	return out, nil
}

// cutState is one stream of a DeleteOldestLogEvents: its record, its
// events before the cut as they are merged, and what the merge took.
type cutState struct {
	i      int // the cut's index
	rec    logStreamRecord
	key    []byte
	it     *streamIter
	passed []passedBlock // the blocks the merge has returned every event of
	last   logs.EventKey // the newest event taken, when n > 0
	n      int64
	size   int64
}

// cutHeap orders the streams of a DeleteOldestLogEvents by their next
// event's key.
type cutHeap []*cutState

func (h cutHeap) Len() int           { return len(h) }
func (h cutHeap) Less(i, j int) bool { return h[i].it.cur.Key.Less(h[j].it.cur.Key) }
func (h cutHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *cutHeap) Push(x any)        { *h = append(*h, x.(*cutState)) }
func (h *cutHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// DeleteOldestLogEvents removes the oldest events of several streams, in
// one transaction: it merges the streams' events before their cuts by key
// (opening a stream only once the merge reaches its first event, so the
// streams it never reaches cost a record read), takes events while they
// fit in maxBytes, then deletes each stream's taken events, whole blocks
// and at most one cut block per stream (per overlapping append, where a
// stream's blocks overlap in time).
func (s *Store) DeleteOldestLogEvents(ctx context.Context, cuts []logs.LogCut, maxBytes int64, atLeastOne bool) ([]logs.Stream, bool, error) {
	var out []logs.Stream
	var more bool
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out, more = make([]logs.Stream, len(cuts)), false // update may run this twice
		lb, err := openLogBuckets(tx)
		if err != nil {
			return err
		}
		seen := make(map[uint64]bool, len(cuts))
		var pending []*cutState
		for i, c := range cuts {
			rec, key, ok, err := lb.stream(c.Scope, c.Group, c.Stream)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if seen[rec.ID] {
				return fmt.Errorf("stream %s of %s named twice", c.Stream, c.Group)
			}
			seen[rec.ID] = true
			out[i] = rec.toDomain()
			if rec.Events > 0 && rec.FirstEventTimestamp < c.Before {
				it, ok := newStreamIter(lb.events, rec, logs.KeyRange{To: logs.EventKey{Timestamp: c.Before - 1, Seq: math.MaxUint64}}, false)
				if ok {
					c := &cutState{i: i, rec: rec, key: key, it: it}
					it.passed = &c.passed
					pending = append(pending, c)
				}
			}
		}
		slices.SortFunc(pending, func(a, b *cutState) int { return cmp.Compare(a.rec.FirstEventTimestamp, b.rec.FirstEventTimestamp) })
		touched := slices.Clone(pending)
		var h cutHeap
		var freed int64
		for {
			// A stream joins the merge once its first event may be next.
			for len(pending) > 0 && (len(h) == 0 || pending[0].rec.FirstEventTimestamp <= h[0].it.cur.Key.Timestamp) {
				c := pending[0]
				pending = pending[1:]
				ok, err := c.it.next()
				if err != nil {
					return err
				}
				if ok {
					heap.Push(&h, c)
				}
			}
			if len(h) == 0 {
				break
			}
			top := h[0]
			size := int64(len(top.it.cur.Message)) + logs.EventSize("")
			if (freed > 0 || !atLeastOne) && freed+size > maxBytes {
				more = true
				break
			}
			freed += size
			top.last, top.n, top.size = top.it.cur.Key, top.n+1, top.size+size
			ok, err := top.it.next()
			if err != nil {
				return err
			}
			if ok {
				heap.Fix(&h, 0)
			} else {
				heap.Pop(&h)
			}
		}
		lb.events.FillPercent = eventFill
		for _, c := range touched {
			if c.n == 0 {
				continue
			}
			if err := deleteThrough(lb.events, c.rec, c.last, c.passed); err != nil {
				return err
			}
			c.rec.Events -= c.n
			c.rec.StoredBytes -= c.size
			if first, ok := firstEventTimestamp(lb.events, c.rec.ID); ok {
				c.rec.FirstEventTimestamp = first
			}
			if err := putJSON(lb.streams, c.key, c.rec); err != nil {
				return err
			}
			out[c.i] = c.rec.toDomain()
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("delete oldest log events: %w", err)
	}
	return out, more, nil
}

// ScanLogStream calls fn with a stream's events in a key range.
func (s *Store) ScanLogStream(ctx context.Context, scope logs.Scope, group, stream string, r logs.KeyRange, reverse bool, fn func(logs.StoredEvent) bool) error {
	err := s.view(ctx, func(tx *bolt.Tx) error {
		lb, err := openLogBuckets(tx)
		if err != nil {
			return err
		}
		rec, _, ok, err := lb.stream(scope, group, stream)
		if err != nil || !ok {
			return err
		}
		it, ok := newStreamIter(lb.events, rec, r, reverse)
		if !ok {
			return nil
		}
		for n := 0; ; n++ {
			if n%4096 == 4095 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			more, err := it.next()
			if err != nil || !more {
				return err
			}
			if !fn(it.cur) {
				return nil
			}
		}
	})
	if err != nil {
		return fmt.Errorf("scan log stream %s in %s: %w", stream, group, err)
	}
	return nil
}

// namedIter is one stream's place in a merged scan.
type namedIter struct {
	name string
	it   *streamIter
}

// iterHeap orders stream iterators by their current event's key.
type iterHeap []namedIter

func (h iterHeap) Len() int           { return len(h) }
func (h iterHeap) Less(i, j int) bool { return h[i].it.cur.Key.Less(h[j].it.cur.Key) }
func (h iterHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *iterHeap) Push(x any)        { *h = append(*h, x.(namedIter)) }
func (h *iterHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// ScanLogGroup calls fn with the events of several streams of a group,
// merged by key.
func (s *Store) ScanLogGroup(ctx context.Context, scope logs.Scope, group string, streams []string, r logs.KeyRange, fn func(string, logs.StoredEvent) bool) error {
	err := s.view(ctx, func(tx *bolt.Tx) error {
		lb, err := openLogBuckets(tx)
		if err != nil {
			return err
		}
		g, _, ok, err := lb.group(scope, group)
		if err != nil || !ok {
			return err
		}
		h := make(iterHeap, 0, len(streams))
		for _, name := range streams {
			v, found := lookup(lb.streams, streamKey(g.ID, name))
			if !found {
				continue
			}
			var rec logStreamRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode log stream %q of %s: %w", name, group, err)
			}
			it, ok := newStreamIter(lb.events, rec, r, false)
			if !ok {
				return nil
			}
			more, err := it.next()
			if err != nil {
				return err
			}
			if more {
				h = append(h, namedIter{name: name, it: it})
			}
		}
		heap.Init(&h)
		for n := 0; len(h) > 0; n++ {
			if n%4096 == 4095 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			top := h[0]
			if !fn(top.name, top.it.cur) {
				return nil
			}
			more, err := top.it.next()
			if err != nil {
				return err
			}
			if more {
				heap.Fix(&h, 0)
			} else {
				heap.Pop(&h)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("scan log group %s: %w", group, err)
	}
	return nil
}
