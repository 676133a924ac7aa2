// Package logs is Reservoir's CloudWatch Logs domain: log groups and their
// streams, the events in them, retention, tags and AWS's filter pattern
// language, with the model's validation and AWS's messages. It speaks no HTTP;
// a wire layer translates the JSON 1.1 protocol into calls here.
//
// Groups and streams live in memory and are written through to a Store before
// a change is acknowledged; events live only in the store and are read from
// it. Functions' output arrives through Ingest, which never waits on I/O
// unless its bounded buffer is full: lines are buffered and written in
// batches a few times a second. A sweeper drops events
// past their group's retention and, when the stored events outgrow a cap, the
// oldest events first.
package logs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"
)

// Clock is the time source of the service: the clockwork.Clock interface
// satisfies it, so tests can pass a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Options configure a Service.
type Options struct {
	Store  Store
	Clock  Clock // nil: the real clock
	Logger *slog.Logger
	// MaxStoredBytes caps the events kept across all groups, counted as
	// storedBytes counts them (EventSize); past it the sweeper drops the
	// oldest events first. 0: DefaultMaxStoredBytes; negative: no cap.
	MaxStoredBytes int64
	// SweepInterval is how often retention and the cap are enforced
	// (0: DefaultSweepInterval).
	SweepInterval time.Duration
	Ingest        IngestOptions
}

// Defaults of Options.
const (
	DefaultMaxStoredBytes = 1 << 30 // 1 GiB of event bytes
	DefaultSweepInterval  = time.Minute
)

// Service implements the CloudWatch Logs operations. Safe for concurrent use.
type Service struct {
	store      Store
	clock      Clock
	log        *slog.Logger
	maxBytes   int64 // <= 0: no cap
	sweepEvery time.Duration

	// slot is the writer slot (see writer).
	slot chan struct{}
	// sweeping is held by a Sweep pass: one runs at a time.
	sweeping sync.Mutex

	mu sync.RWMutex
	// scopes maps scope → group name → group. A group's config (g) is
	// replaced, never modified; its streams' figures change under mu.
	scopes map[Scope]map[string]*groupState
	total  int64 // Σ StoredBytes of every stream

	ingest *ingester

	kick      chan struct{} // asks the sweeper for an early pass
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// groupState is a group in memory.
type groupState struct {
	g       Group
	streams map[string]*Stream
	bytes   int64 // Σ StoredBytes of its streams
}

// NewService loads every group and stream from o.Store and starts the
// ingester's flusher and the sweeper. Close stops them.
func NewService(ctx context.Context, o Options) (*Service, error) {
	if o.Store == nil {
		return nil, errors.New("logs: NewService needs a store")
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxStoredBytes == 0 {
		o.MaxStoredBytes = DefaultMaxStoredBytes
	}
	if o.SweepInterval <= 0 {
		o.SweepInterval = DefaultSweepInterval
	}
	stored, err := o.Store.LoadLogGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("logs: load groups: %w", err)
	}
	s := &Service{
		store:      o.Store,
		clock:      o.Clock,
		log:        o.Logger,
		maxBytes:   o.MaxStoredBytes,
		sweepEvery: o.SweepInterval,
		slot:       make(chan struct{}, 1),
		scopes:     make(map[Scope]map[string]*groupState),
		kick:       make(chan struct{}, 1),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	for _, sg := range stored {
		g := sg.Group
		if g.Scope.Account == "" || g.Scope.Region == "" || g.Name == "" {
			return nil, fmt.Errorf("logs: stored group %q of %+v lacks a scope or a name", g.Name, g.Scope)
		}
		gs := &groupState{g: cloneGroup(g), streams: make(map[string]*Stream, len(sg.Streams))}
		for _, st := range sg.Streams {
			gs.streams[st.Name] = &st
			gs.bytes += st.StoredBytes
		}
		s.groupsOf(g.Scope, true)[g.Name] = gs
		s.total += gs.bytes
	}
	s.ingest = newIngester(s, o.Ingest)
	go s.sweepLoop()
	return s, nil
}

// Close writes what the ingester holds, stops the flusher and the sweeper,
// and returns the error of the last write, if any. Ingest drops lines after
// Close; the other methods keep working (the store is the caller's to close,
// after this).
func (s *Service) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
		s.closeErr = s.ingest.close(ctx)
	})
	return s.closeErr
}

// writer is the writer slot: its holder alone writes to the store and then
// commits the change to memory, so a check made under it stays true through
// the write. Methods that commit take it as an argument, so nothing can
// commit without the slot.
type writer struct{ s *Service }

// lockWrites waits for the writer slot, or for ctx to end.
func (s *Service) lockWrites(ctx context.Context) (*writer, error) {
	select {
	case s.slot <- struct{}{}:
		return &writer{s: s}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (w *writer) unlock() { <-w.s.slot }

// groupsOf returns a scope's groups; create makes the map when missing.
// Callers hold mu (or own s, as NewService does).
func (s *Service) groupsOf(scope Scope, create bool) map[string]*groupState {
	m := s.scopes[scope]
	if m == nil && create {
		m = make(map[string]*groupState)
		s.scopes[scope] = m
	}
	return m
}

// lookup returns the group's state under the read lock; the state's streams
// map may only be read under mu.
func (s *Service) lookup(scope Scope, name string) (*groupState, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	gs, ok := s.scopes[scope][name]
	return gs, ok
}

// group returns a copy of a group's configuration, or ResourceNotFound.
func (s *Service) group(scope Scope, name string) (Group, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	gs, ok := s.scopes[scope][name]
	if !ok {
		return Group{}, errGroupNotFound()
	}
	return cloneGroup(gs.g), nil
}

// putGroup commits a group's new configuration (creating the group).
func (w *writer) putGroup(g Group) {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	groups := s.groupsOf(g.Scope, true)
	if gs, ok := groups[g.Name]; ok {
		gs.g = g
		return
	}
	groups[g.Name] = &groupState{g: g, streams: make(map[string]*Stream)}
}

// removeGroup forgets a group and its streams.
func (w *writer) removeGroup(scope Scope, name string) {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	groups := s.groupsOf(scope, false)
	if gs, ok := groups[name]; ok {
		s.total -= gs.bytes
		delete(groups, name)
	}
	if len(groups) == 0 {
		delete(s.scopes, scope)
	}
}

// putStream commits a stream's figures (creating the stream).
func (w *writer) putStream(scope Scope, group string, st Stream) {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, ok := s.scopes[scope][group]
	if !ok {
		return
	}
	if old, ok := gs.streams[st.Name]; ok {
		gs.bytes -= old.StoredBytes
		s.total -= old.StoredBytes
	}
	gs.streams[st.Name] = &st
	gs.bytes += st.StoredBytes
	s.total += st.StoredBytes
}

// removeStream forgets a stream.
func (w *writer) removeStream(scope Scope, group, name string) {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	gs, ok := s.scopes[scope][group]
	if !ok {
		return
	}
	if old, ok := gs.streams[name]; ok {
		gs.bytes -= old.StoredBytes
		s.total -= old.StoredBytes
		delete(gs.streams, name)
	}
}

// streamExists reports whether a group and its stream exist.
func (s *Service) streamExists(scope Scope, group, stream string) (groupOK, streamOK bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	gs, ok := s.scopes[scope][group]
	if !ok {
		return false, false
	}
	_, ok = gs.streams[stream]
	return true, ok
}

// StoredBytes is the total of every group's storedBytes.
func (s *Service) StoredBytes() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.total
}

func cloneGroup(g Group) Group {
	g.Tags = maps.Clone(g.Tags)
	return g
}

func (s *Service) nowMillis() int64 { return Millis(s.clock.Now()) }
