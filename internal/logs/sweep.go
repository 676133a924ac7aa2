package logs

import (
	"context"
	"fmt"
	"math"
	"time"
)

// sweepChunk is the most events one delete removes, so that a sweep never
// holds the writer slot (or a store transaction) for long.
const sweepChunk = 1000

// kickSweeper asks the sweeper for a pass now, without waiting.
func (s *Service) kickSweeper() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// sweepLoop runs Sweep every sweepEvery, or sooner when kicked, until Close.
// A kicked pass keeps the pending tick: one timer is outstanding at a time.
func (s *Service) sweepLoop() {
	defer close(s.done)
	var tick <-chan time.Time
	for {
		if tick == nil {
			tick = s.clock.After(s.sweepEvery)
		}
		select {
		case <-s.stop:
			return
		case <-s.kick:
		case <-tick:
			tick = nil
		}
		if err := s.Sweep(context.Background()); err != nil {
			s.log.Error("logs: sweep failed", "err", err)
		}
	}
}

// Sweep enforces retention and the storage cap once: it deletes every event
// older than its group's retention, then, while the stored events exceed
// MaxStoredBytes, the oldest events of all (by timestamp).
func (s *Service) Sweep(ctx context.Context) error {
	if err := s.sweepRetention(ctx); err != nil {
		return err
	}
	return s.sweepCap(ctx)
}

// sweepTarget is a stream with events to delete: those before before.
type sweepTarget struct {
	ref    streamRef
	before int64
}

func (s *Service) sweepRetention(ctx context.Context) error {
	now := s.clock.Now()
	var targets []sweepTarget
	s.mu.RLock()
	for scope, groups := range s.scopes {
		for name, gs := range groups {
			if gs.g.RetentionDays == 0 {
				continue
			}
			cutoff := Millis(now.Add(-time.Duration(gs.g.RetentionDays) * 24 * time.Hour))
			for _, st := range gs.streams {
				if st.Events > 0 && st.FirstEventTimestamp < cutoff {
					targets = append(targets, sweepTarget{ref: streamRef{scope: scope, group: name, stream: st.Name}, before: cutoff})
				}
			}
		}
	}
	s.mu.RUnlock()
	for _, t := range targets {
		for {
			st, ok, err := s.deleteOldest(ctx, t.ref, t.before, sweepChunk)
			if err != nil {
				return err
			}
			if !ok || st.Events == 0 || st.FirstEventTimestamp >= t.before {
				break
			}
		}
	}
	return nil
}

func (s *Service) sweepCap(ctx context.Context) error {
	if s.maxBytes <= 0 {
		return nil
	}
	for {
		more, err := s.capStep(ctx)
		if err != nil || !more {
			return err
		}
	}
}

// capStep deletes, under the writer slot, the oldest events of all, as many
// as the excess over the cap needs (a chunk at most). Deciding under the
// slot keeps two sweeps from both deleting for the same excess. more is
// false once the events fit.
func (s *Service) capStep(ctx context.Context) (more bool, err error) {
	w, err := s.lockWrites(ctx)
	if err != nil {
		return false, err
	}
	defer w.unlock()
	total := s.StoredBytes()
	if total <= s.maxBytes {
		return false, nil
	}
	ref, before, avg, ok := s.oldestStream()
	if !ok {
		return false, nil
	}
	// Enough of the stream's average events to free the excess.
	n := min((total-s.maxBytes+avg-1)/avg, sweepChunk)
	st, err := s.store.DeleteLogEvents(ctx, ref.scope, ref.group, ref.stream, before, int(n))
	if err != nil {
		return false, fmt.Errorf("logs: delete old events of %s in %s: %w", ref.stream, ref.group, err)
	}
	w.putStream(ref.scope, ref.group, st)
	if s.StoredBytes() >= total {
		return false, fmt.Errorf("logs: deleting the oldest events of %s in %s freed nothing", ref.stream, ref.group)
	}
	return true, nil
}

// oldestStream returns the stream whose first event is the oldest of all,
// the timestamp up to which its events are older than every other stream's
// (deleting them keeps "oldest first"), and its average EventSize.
func (s *Service) oldestStream() (ref streamRef, before, avg int64, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	first, second := int64(math.MaxInt64), int64(math.MaxInt64)
	for scope, groups := range s.scopes {
		for name, gs := range groups {
			for _, st := range gs.streams {
				if st.Events == 0 {
					continue
				}
				switch t := st.FirstEventTimestamp; {
				case !ok || t < first:
					second = first
					first = t
					ref = streamRef{scope: scope, group: name, stream: st.Name}
					avg = max(1, st.StoredBytes/st.Events)
					ok = true
				case t < second:
					second = t
				}
			}
		}
	}
	before = second
	if before <= first {
		before = first + 1
	}
	return ref, before, avg, ok
}

// deleteOldest deletes up to n of a stream's oldest events older than
// before, under the writer slot. ok is false when the stream is gone.
// Retention uses it: deleting what is older than a cutoff is idempotent.
func (s *Service) deleteOldest(ctx context.Context, ref streamRef, before int64, n int) (Stream, bool, error) {
	w, err := s.lockWrites(ctx)
	if err != nil {
		return Stream{}, false, err
	}
	defer w.unlock()
	if _, ok := s.streamExists(ref.scope, ref.group, ref.stream); !ok {
		return Stream{}, false, nil
	}
	st, err := s.store.DeleteLogEvents(ctx, ref.scope, ref.group, ref.stream, before, n)
	if err != nil {
		return Stream{}, false, fmt.Errorf("logs: delete old events of %s in %s: %w", ref.stream, ref.group, err)
	}
	w.putStream(ref.scope, ref.group, st)
	return st, true, nil
}
