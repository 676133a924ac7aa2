package logs

import (
	"context"
	"math"
)

// EventKey orders the events of a stream: by timestamp, then by Seq, the
// number the store gave the event when it appended it. Seq grows with every
// event a store appends, across all streams, so keys also order the events of
// different streams (same timestamp: arrival order), and no two events share
// a key.
type EventKey struct {
	Timestamp int64
	Seq       uint64
}

// Less reports whether k sorts before o.
func (k EventKey) Less(o EventKey) bool {
	return k.Timestamp < o.Timestamp || k.Timestamp == o.Timestamp && k.Seq < o.Seq
}

// next is the smallest key after k; prev the largest before k.
func (k EventKey) next() EventKey {
	if k.Seq == math.MaxUint64 {
		return EventKey{Timestamp: k.Timestamp + 1}
	}
	return EventKey{Timestamp: k.Timestamp, Seq: k.Seq + 1}
}

func (k EventKey) prev() EventKey {
	if k.Seq == 0 {
		return EventKey{Timestamp: k.Timestamp - 1, Seq: math.MaxUint64}
	}
	return EventKey{Timestamp: k.Timestamp, Seq: k.Seq - 1}
}

// KeyRange is the keys from From to To, both included. It is empty when To
// sorts before From.
type KeyRange struct {
	From, To EventKey
}

// timeRange is the range of every key whose timestamp lies in [from, to].
func timeRange(from, to int64) KeyRange {
	return KeyRange{From: EventKey{Timestamp: from}, To: EventKey{Timestamp: to, Seq: math.MaxUint64}}
}

// Empty reports whether the range holds no key.
func (r KeyRange) Empty() bool { return r.To.Less(r.From) }

// StoredEvent is an event as a store holds it.
type StoredEvent struct {
	Key           EventKey
	IngestionTime int64
	// Message is only valid during the callback that receives it: copy it
	// to keep it.
	Message []byte
}

// Append is a batch of events for one stream, all ingested at IngestionTime.
type Append struct {
	Scope         Scope
	Group         string
	Stream        string
	IngestionTime int64
	Events        []InputEvent
}

// LogCut names a stream and a time: DeleteOldestLogEvents may delete the
// stream's events older than Before.
type LogCut struct {
	Scope  Scope
	Group  string
	Stream string
	Before int64
}

// Store is the durable home of log groups, streams and events. The service
// keeps groups and streams in memory and writes every change through before
// it acknowledges it; events are read from the store. Every write is durable
// (fsync'd) when it returns nil and changes nothing when it returns an error.
// Implementations must be safe for concurrent use; the service never issues
// two writes at once, but reads run beside writes and must see each write
// whole or not at all.
type Store interface {
	// LoadLogGroups returns every stored group of every scope with its
	// streams and their figures, in any order.
	LoadLogGroups(ctx context.Context) ([]StoredGroup, error)
	// SaveLogGroup stores g's configuration, creating the group or replacing
	// the configuration of the group with the same scope and name; the
	// streams and events of an existing group are kept.
	SaveLogGroup(ctx context.Context, g Group) error
	// DeleteLogGroup removes a group with its streams and their events;
	// deleting a missing group is not an error.
	DeleteLogGroup(ctx context.Context, scope Scope, name string) error

	// CreateLogStream adds an empty stream (only Name and CreationTime of st
	// are used) to an existing group. It fails if the group is missing or
	// already has a stream of that name.
	CreateLogStream(ctx context.Context, scope Scope, group string, st Stream) error
	// DeleteLogStream removes a stream and its events; deleting a missing
	// one is not an error.
	DeleteLogStream(ctx context.Context, scope Scope, group, stream string) error

	// AppendLogEvents stores every batch in one durable write, giving each
	// event the next Seq, and updates each stream's figures: Events and
	// StoredBytes (EventSize) grow, First/LastEventTimestamp widen to the
	// batch's timestamps, LastIngestionTime becomes the batch's. It returns
	// each batch's stream as it then is, in the order of the batches. Every
	// stream must exist; if one does not, nothing is written. A batch may
	// be empty, and several may name one stream. It keeps nothing of
	// batches once it returns: the ingester reuses their slices.
	AppendLogEvents(ctx context.Context, batches []Append) ([]Stream, error)
	// DeleteOldestLogEvents removes, in one durable write, the oldest events
	// of several streams, oldest first by key across all of them (keys
	// order the events of different streams too): of the events of each
	// cut's stream with Timestamp < the cut's Before, those in key order
	// while their EventSize total stays within maxBytes, and, when
	// atLeastOne, the first of them even past maxBytes (so that a call
	// with something to delete makes progress). It returns the figures of each cut's stream afterwards, in
	// the order of the cuts (Events and StoredBytes shrink,
	// FirstEventTimestamp becomes the oldest remaining timestamp), the zero
	// Stream for a missing stream, which is skipped; more reports whether
	// events before their cut's Before remain. Two cuts naming one stream
	// are an error.
	DeleteOldestLogEvents(ctx context.Context, cuts []LogCut, maxBytes int64, atLeastOne bool) (streams []Stream, more bool, err error)

	// ScanLogStream calls fn with the events of one stream whose keys lie in
	// r, in increasing key order (decreasing when reverse), until fn returns
	// false or the range is exhausted. A missing stream holds no events.
	ScanLogStream(ctx context.Context, scope Scope, group, stream string, r KeyRange, reverse bool, fn func(StoredEvent) bool) error
	// ScanLogGroup calls fn with the events in r of the named streams of a
	// group, merged in increasing key order, until fn returns false. Names
	// of missing streams are skipped. The scan sees one consistent state.
	ScanLogGroup(ctx context.Context, scope Scope, group string, streams []string, r KeyRange, fn func(stream string, ev StoredEvent) bool) error
}
