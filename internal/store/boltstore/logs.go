package boltstore

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"

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

// eventValue is the ingestion time (uvarint) then the message.
func eventValue(ingestion int64, msg string) []byte {
	b := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+len(msg)), uint64(ingestion))
	return append(b, msg...)
}

func decodeEventValue(v []byte) (ingestion int64, msg []byte, err error) {
	n, size := binary.Uvarint(v)
	if size <= 0 {
		return 0, nil, errors.New("corrupt event value")
	}
	return int64(n), v[size:], nil
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

// deleteEvents removes a stream's events, oldest first: at most max of
// them (max < 0: no limit) whose timestamp is below before. It returns how
// many it removed and their EventSize total.
func deleteEvents(events *bolt.Bucket, streamID uint64, before int64, max int) (n, size int64, err error) {
	prefix := binary.BigEndian.AppendUint64(nil, streamID)
	c := events.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Seek(prefix) {
		if max >= 0 && n == int64(max) || decodeEventKey(k).Timestamp >= before {
			break
		}
		_, msg, err := decodeEventValue(v)
		if err != nil {
			return n, size, err
		}
		size += int64(len(msg)) + 26
		n++
		// Seek again after each delete: a cursor's Next after Delete may
		// skip a key.
		if err := c.Delete(); err != nil {
			return n, size, err
		}
	}
	return n, size, nil
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
			if _, _, err := deleteEvents(lb.events, rec.ID, math.MaxInt64, -1); err != nil {
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
		if _, _, err := deleteEvents(lb.events, rec.ID, math.MaxInt64, -1); err != nil {
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
			for _, ev := range b.Events {
				seq++
				key := eventKey(t.rec.ID, logs.EventKey{Timestamp: ev.Timestamp, Seq: seq})
				if err := lb.events.Put(key, eventValue(b.IngestionTime, ev.Message)); err != nil {
					return err
				}
				if t.rec.Events == 0 || ev.Timestamp < t.rec.FirstEventTimestamp {
					t.rec.FirstEventTimestamp = ev.Timestamp
				}
				if t.rec.Events == 0 || ev.Timestamp > t.rec.LastEventTimestamp {
					t.rec.LastEventTimestamp = ev.Timestamp
				}
				t.rec.Events++
				t.rec.StoredBytes += logs.EventSize(ev.Message)
			}
			if len(b.Events) > 0 {
				t.rec.LastIngestionTime = b.IngestionTime
			}
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

// DeleteLogEvents removes a stream's oldest events before a time.
func (s *Store) DeleteLogEvents(ctx context.Context, scope logs.Scope, group, stream string, before int64, max int) (logs.Stream, error) {
	if max < 0 {
		max = 0
	}
	var out logs.Stream
	err := s.update(ctx, func(tx *bolt.Tx) error {
		lb, err := openLogBuckets(tx)
		if err != nil {
			return err
		}
		rec, key, ok, err := lb.stream(scope, group, stream)
		if err != nil {
			return err
		}
		if !ok {
			return errNoLogStream
		}
		n, size, err := deleteEvents(lb.events, rec.ID, before, max)
		if err != nil {
			return err
		}
		if n > 0 {
			rec.Events -= n
			rec.StoredBytes -= size
			if first, ok := firstEventTimestamp(lb.events, rec.ID); ok {
				rec.FirstEventTimestamp = first
			}
			if err := putJSON(lb.streams, key, rec); err != nil {
				return err
			}
		}
		out = rec.toDomain()
		return nil
	})
	if err != nil {
		return logs.Stream{}, fmt.Errorf("delete log events of %s in %s: %w", stream, group, err)
	}
	return out, nil
}

// keyBounds encodes a range of one stream; ok is false when no key of a
// stored event (whose timestamps are never negative) lies in it.
func keyBounds(streamID uint64, r logs.KeyRange) (lo, hi []byte, ok bool) {
	if r.Empty() || r.To.Timestamp < 0 {
		return nil, nil, false
	}
	from := r.From
	if from.Timestamp < 0 {
		from = logs.EventKey{}
	}
	return eventKey(streamID, from), eventKey(streamID, r.To), true
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
		lo, hi, ok := keyBounds(rec.ID, r)
		if !ok {
			return nil
		}
		c := lb.events.Cursor()
		var k, v []byte
		if reverse {
			k, v = c.Seek(hi)
			if k == nil || bytes.Compare(k, hi) > 0 {
				k, v = c.Prev()
			}
		} else {
			k, v = c.Seek(lo)
		}
		for n := 0; k != nil && bytes.Compare(k, lo) >= 0 && bytes.Compare(k, hi) <= 0; n++ {
			if n%4096 == 4095 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			ingestion, msg, err := decodeEventValue(v)
			if err != nil {
				return fmt.Errorf("event %x: %w", k, err)
			}
			if !fn(logs.StoredEvent{Key: decodeEventKey(k), IngestionTime: ingestion, Message: msg}) {
				return nil
			}
			if reverse {
				k, v = c.Prev()
			} else {
				k, v = c.Next()
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("scan log stream %s in %s: %w", stream, group, err)
	}
	return nil
}

// streamCursor is one stream's place in a merged scan.
type streamCursor struct {
	name string
	c    *bolt.Cursor
	k, v []byte
	hi   []byte
}

// cursorHeap orders stream cursors by their current event's key.
type cursorHeap []*streamCursor

func (h cursorHeap) Len() int           { return len(h) }
func (h cursorHeap) Less(i, j int) bool { return bytes.Compare(h[i].k[8:], h[j].k[8:]) < 0 }
func (h cursorHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)        { *h = append(*h, x.(*streamCursor)) }
func (h *cursorHeap) Pop() any {
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
		h := make(cursorHeap, 0, len(streams))
		for _, name := range streams {
			v, found := lookup(lb.streams, streamKey(g.ID, name))
			if !found {
				continue
			}
			var rec logStreamRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode log stream %q of %s: %w", name, group, err)
			}
			lo, hi, ok := keyBounds(rec.ID, r)
			if !ok {
				return nil
			}
			sc := &streamCursor{name: name, c: lb.events.Cursor(), hi: hi}
			sc.k, sc.v = sc.c.Seek(lo)
			if sc.k != nil && bytes.Compare(sc.k, hi) <= 0 {
				h = append(h, sc)
			}
		}
		heap.Init(&h)
		for n := 0; len(h) > 0; n++ {
			if n%4096 == 4095 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			sc := h[0]
			ingestion, msg, err := decodeEventValue(sc.v)
			if err != nil {
				return fmt.Errorf("event %x: %w", sc.k, err)
			}
			if !fn(sc.name, logs.StoredEvent{Key: decodeEventKey(sc.k), IngestionTime: ingestion, Message: msg}) {
				return nil
			}
			sc.k, sc.v = sc.c.Next()
			if sc.k != nil && bytes.Compare(sc.k, sc.hi) <= 0 {
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
