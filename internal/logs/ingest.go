package logs

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// IngestOptions configure the buffer between functions and the store.
type IngestOptions struct {
	// FlushInterval is how often buffered lines are written
	// (0: DefaultFlushInterval). A kill -9 loses at most about this much.
	FlushInterval time.Duration
	// MaxBufferedBytes bounds the lines waiting to be written, counted as
	// EventSize counts them (0: DefaultMaxBufferedBytes).
	MaxBufferedBytes int64
	// MaxWait bounds how long Ingest waits for a flush to make room in a
	// full buffer (0: DefaultMaxWait). Lines that still do not fit are
	// dropped and counted (IngestDropped), and until a flush ends, lines
	// that do not fit are dropped at once.
	MaxWait time.Duration
}

// Defaults of IngestOptions.
const (
	DefaultFlushInterval    = 250 * time.Millisecond
	DefaultMaxBufferedBytes = 32 << 20
	DefaultMaxWait          = time.Second
)

// Line is one line a function wrote, or one the platform wrote for it.
type Line struct {
	Time    time.Time
	Message string
}

// maxLineBytes is the longest message an ingested line keeps: longer ones
// are cut to the largest event PutLogEvents accepts.
const maxLineBytes = maxEventBytes - eventOverhead

// Ingest queues lines for a stream of a group, creating both when they are
// first written, as Lambda does. The lines are written by the next flush, a
// FlushInterval later at most (sooner when the buffer fills up). When the
// buffer is full, Ingest waits for a flush to make room, MaxWait at most:
// the function's output waits, as a pipe's writer does, rather than lose
// lines while the store is merely slower than the function. Lines still
// without room, empty lines and lines for a group or stream name AWS would
// refuse are dropped and counted; while the store is stuck (a wait ran out
// and no flush has ended since), lines without room are dropped at once.
func (s *Service) Ingest(scope Scope, group, stream string, lines []Line) {
	s.ingest.add(streamRef{scope: scope, group: group, stream: stream}, len(lines), func(i int) (int64, string) {
		return Millis(lines[i].Time), lines[i].Message
	})
}

// IngestAt is Ingest of messages all written at t (the lines of one read
// of a function's output): one call, and one lock, for all of them.
func (s *Service) IngestAt(scope Scope, group, stream string, t time.Time, messages []string) {
	ms := Millis(t)
	s.ingest.add(streamRef{scope: scope, group: group, stream: stream}, len(messages), func(i int) (int64, string) {
		return ms, messages[i]
	})
}

// IngestDropped is the number of lines Ingest has dropped since the service
// started.
func (s *Service) IngestDropped() uint64 { return s.ingest.dropped.Load() }

// Flush writes every line Ingest has queued so far, and returns once they
// are durable and searchable (or the write failed: the lines are then
// dropped and counted).
func (s *Service) Flush(ctx context.Context) error { return s.ingest.flush(ctx) }

// streamRef names a stream of a group of a scope.
type streamRef struct {
	scope         Scope
	group, stream string
}

// ingester buffers ingested lines and writes them in batches.
type ingester struct {
	s        *Service
	interval time.Duration
	maxBytes int64
	maxWait  time.Duration

	// flushMu admits one flush at a time, so batches reach the store in
	// the order they were taken.
	flushMu sync.Mutex

	mu sync.Mutex
	// pending holds the lines of each stream not yet taken by a flush, in
	// arrival order, streams in the order of first arrival (order). Lines
	// of one stream share one slice, however many calls brought them:
	// functions' output arrives a pipe read per call.
	pending map[streamRef]*[]InputEvent
	// spare holds the emptied slices of the last flush, which the next
	// lines of the same streams fill again instead of growing new ones
	// (growing them was most of Ingest's cost at 1,000 lines per call).
	spare    map[streamRef]*[]InputEvent
	order    []streamRef
	pendingB int64 // EventSize of the pending lines
	flushing int64 // EventSize of the lines a flush has taken and not yet written
	closed   bool
	// room is closed, and replaced, when a flush ends or the ingester
	// closes: what a full buffer waits for.
	room chan struct{}
	// stalled is set when a wait for room ran out, and cleared when a
	// flush ends: until then nobody waits.
	stalled bool

	dropped  atomic.Uint64
	reported uint64 // dropped count last logged; flushMu guards it
	wake     chan struct{}
	stop     chan struct{}
	done     chan struct{}
}

func newIngester(s *Service, o IngestOptions) *ingester {
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.MaxBufferedBytes <= 0 {
		o.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	in := &ingester{
		s:        s,
		interval: o.FlushInterval,
		maxBytes: o.MaxBufferedBytes,
		maxWait:  o.MaxWait,
		pending:  make(map[streamRef]*[]InputEvent),
		room:     make(chan struct{}),
		wake:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go in.loop()
	return in
}

// add queues n lines of ref; line(i) is the i-th line's timestamp and
// message.
func (in *ingester) add(ref streamRef, n int, line func(i int) (int64, string)) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		in.dropped.Add(uint64(n))
		return
	}
	events := in.pending[ref] // nil until the stream's first line is kept
	room := in.maxBytes - in.pendingB - in.flushing
	var dropped uint64
	for i := range n {
		ts, msg := line(i)
		if msg == "" {
			dropped++
			continue
		}
		if len(msg) > maxLineBytes {
			msg = truncateUTF8(msg, maxLineBytes)
		}
		size := EventSize(msg)
		if size > room {
			if !in.waitForRoom(size) {
				// Keep the lines that fit; drop the rest.
				dropped += uint64(n - i)
				break
			}
			// A flush may have taken the stream's lines meanwhile.
			events = in.pending[ref]
			room = in.maxBytes - in.pendingB - in.flushing
		}
		room -= size
		in.pendingB += size
		if events == nil {
			if events = in.spare[ref]; events != nil {
				delete(in.spare, ref)
			} else {
				events = new([]InputEvent)
			}
			in.pending[ref] = events
			in.order = append(in.order, ref)
		}
		*events = append(*events, InputEvent{Timestamp: ts, Message: msg})
	}
	if dropped > 0 {
		in.dropped.Add(dropped)
	}
	if in.pendingB >= in.maxBytes/4 {
		select {
		case in.wake <- struct{}{}:
		default:
		}
	}
}

// waitForRoom waits, with in.mu held on entry and return, until size bytes
// fit in the buffer, waking the flusher to make room. It returns false
// when they do not and will not in time: the ingester is closed or
// stalled, the line can never fit, or maxWait ran out (which stalls the
// ingester).
func (in *ingester) waitForRoom(size int64) bool {
	var deadline <-chan time.Time
	for size > in.maxBytes-in.pendingB-in.flushing {
		if in.closed || in.stalled || size > in.maxBytes {
			return false
		}
		select { // the flush that makes room
		case in.wake <- struct{}{}:
		default:
		}
		if deadline == nil {
			deadline = in.s.clock.After(in.maxWait)
		}
		room := in.room
		in.mu.Unlock()
		select {
		case <-room:
			in.mu.Lock()
		case <-deadline:
			in.mu.Lock()
			in.stalled = true
			return false
		}
	}
	return true
}

// roomMade wakes the waiters for room, with in.mu held.
func (in *ingester) roomMade() {
	close(in.room)
	in.room = make(chan struct{})
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// loop flushes every interval, or sooner when the buffer fills up, until
// close.
func (in *ingester) loop() {
	defer close(in.done)
	var tick <-chan time.Time // one timer outstanding at a time
	for {
		if tick == nil {
			tick = in.s.clock.After(in.interval)
		}
		select {
		case <-in.stop:
			return
		case <-in.wake:
		case <-tick:
			tick = nil
		}
		if err := in.flush(context.Background()); err != nil {
			in.s.log.Error("logs: writing function output failed; lines dropped", "err", err)
		}
	}
}

// close stops the loop, refuses further lines and writes what is buffered.
func (in *ingester) close(ctx context.Context) error {
	close(in.stop)
	<-in.done
	in.mu.Lock()
	in.closed = true
	in.roomMade()
	in.mu.Unlock()
	return in.flush(ctx)
}

// flush takes every pending line and writes it: the groups and streams that
// do not exist yet are created, then all lines go to the store in one write.
func (in *ingester) flush(ctx context.Context) error {
	in.flushMu.Lock()
	defer in.flushMu.Unlock()

	in.mu.Lock()
	pending, order, taken := in.pending, in.order, in.pendingB
	in.pending, in.order, in.pendingB = make(map[streamRef]*[]InputEvent, len(pending)), nil, 0
	in.flushing += taken
	in.mu.Unlock()
	defer func() {
		// The store has copied the lines (or dropped them): the slices
		// are spares now.
		for _, events := range pending {
			clear(*events)
			*events = (*events)[:0]
		}
		in.mu.Lock()
		in.flushing -= taken
		in.spare = pending
		in.stalled = false
		in.roomMade()
		in.mu.Unlock()
		if d := in.dropped.Load(); d != in.reported {
			in.s.log.Warn("logs: function output dropped", "lines", d-in.reported, "total", d)
			in.reported = d
		}
	}()
	if len(order) == 0 {
		return nil
	}

	w, err := in.s.lockWrites(ctx)
	if err != nil {
		in.drop(pending)
		return err
	}
	defer w.unlock()
	batches := make([]Append, 0, len(order))
	now := in.s.nowMillis()
	for _, ref := range order {
		events := *pending[ref]
		if err := w.ensureStream(ctx, ref); err != nil {
			in.dropped.Add(uint64(len(events)))
			var domainErr *Error
			if !errors.As(err, &domainErr) {
				in.s.log.Error("logs: creating a function's log stream failed; lines dropped",
					"group", ref.group, "stream", ref.stream, "err", err)
			}
			continue
		}
		batches = append(batches, Append{Scope: ref.scope, Group: ref.group, Stream: ref.stream, IngestionTime: now, Events: events})
	}
	if len(batches) == 0 {
		return nil
	}
	if _, err := w.append(ctx, batches); err != nil {
		for _, b := range batches {
			in.dropped.Add(uint64(len(b.Events)))
		}
		return err
	}
	return nil
}

func (in *ingester) drop(pending map[streamRef]*[]InputEvent) {
	for _, events := range pending {
		in.dropped.Add(uint64(len(*events)))
	}
}

// ensureStream creates ref's group and stream when they do not exist. A
// name AWS would refuse is a domain *Error.
func (w *writer) ensureStream(ctx context.Context, ref streamRef) error {
	s := w.s
	groupOK, streamOK := s.streamExists(ref.scope, ref.group, ref.stream)
	if streamOK {
		return nil
	}
	if !groupOK {
		var v violations
		v.checkGroupName("logGroupName", ref.group)
		v.checkStreamName("logStreamName", ref.stream)
		if err := v.err(); err != nil {
			return err
		}
		if err := w.createGroup(ctx, Group{Scope: ref.scope, Name: ref.group, Class: ClassStandard}); err != nil {
			return err
		}
	} else {
		var v violations
		v.checkStreamName("logStreamName", ref.stream)
		if err := v.err(); err != nil {
			return err
		}
	}
	return w.createStream(ctx, ref.scope, ref.group, ref.stream)
}
