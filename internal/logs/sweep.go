package logs

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// sweepTxBytes bounds the EventSize one sweep transaction deletes, so
// that a sweep holds the writer slot (and a store transaction) briefly:
// 15-20 ms on a lightly loaded 2-vCPU machine, most of it decompressing
// the deleted blocks to count their events (docs/BENCHMARKS.md). Freeing ~45,000 typical events per
// fsync lets a pass keep up with what the flushes in between append.
// Tests lower it (export_test.go) before they start a service.
var sweepTxBytes int64 = 8 << 20

// capLowWater is where a cap pass stops: once the stored events exceed
// the cap (max), a pass deletes the oldest down to 90% of it, so that the
// next pass is due only after a tenth of the cap has been appended again,
// rather than after every flush.
func capLowWater(max int64) int64 { return max - max/10 }

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
// older than its group's retention, then, if the stored events exceed
// MaxStoredBytes, the oldest events of all (by timestamp) down to the
// cap's low-water mark (capLowWater). Both delete in a few transactions of
// up to sweepTxBytes each, across all the streams concerned. One pass runs
// at a time.
func (s *Service) Sweep(ctx context.Context) error {
	s.sweeping.Lock()
	defer s.sweeping.Unlock()
	if err := s.sweepRetention(ctx); err != nil {
		return err
	}
	return s.sweepCap(ctx)
}

// sweepRetention deletes the events older than their group's retention,
// sweepTxBytes at a time, oldest first. Deleting what is older than a
// cutoff is idempotent, so the cutoffs are chosen afresh for each step.
func (s *Service) sweepRetention(ctx context.Context) error {
	for {
		w, err := s.lockWrites(ctx)
		if err != nil {
			return err
		}
		cuts := s.retentionCuts()
		more := false
		if len(cuts) > 0 {
			more, err = w.deleteOldest(ctx, cuts, sweepTxBytes, true)
		}
		w.unlock()
		if err != nil || !more {
			return err
		}
	}
}

// retentionCuts names each stream holding events older than its group's
// retention, with that cutoff.
func (s *Service) retentionCuts() []LogCut {
	now := s.clock.Now()
	var cuts []LogCut
	s.mu.RLock()
	defer s.mu.RUnlock()
	for scope, groups := range s.scopes {
		for name, gs := range groups {
			if gs.g.RetentionDays == 0 {
				continue
			}
			cutoff := Millis(now.Add(-time.Duration(gs.g.RetentionDays) * 24 * time.Hour))
			for _, st := range gs.streams {
				if st.Events > 0 && st.FirstEventTimestamp < cutoff {
					cuts = append(cuts, LogCut{Scope: scope, Group: name, Stream: st.Name, Before: cutoff})
				}
			}
		}
	}
	return cuts
}

// sweepCap deletes, once the stored events exceed the cap, the oldest
// events of all streams down to the low-water mark, in steps of at most
// sweepTxBytes. It never deletes below the mark, except the one event
// that straddles it when keeping it would leave the total over the cap.
func (s *Service) sweepCap(ctx context.Context) error {
	if s.maxBytes <= 0 {
		return nil
	}
	low := capLowWater(s.maxBytes)
	for first := true; ; first = false {
		done, err := s.capStep(ctx, low, first)
		if err != nil || done {
			return err
		}
	}
}

// capStep is one transaction of a cap pass, decided under the writer slot
// so that two passes cannot both delete for the same excess. A pass starts
// only over the cap (first) and goes on while above low, until the next
// event would take it below low with the total within the cap.
func (s *Service) capStep(ctx context.Context, low int64, first bool) (done bool, err error) {
	w, err := s.lockWrites(ctx)
	if err != nil {
		return false, err
	}
	defer w.unlock()
	total := s.StoredBytes()
	if total <= low || first && total <= s.maxBytes {
		return true, nil
	}
	allowance := total - low
	budget := min(sweepTxBytes, allowance)
	// Over the cap, the oldest event goes even if it alone passes the
	// budget; within it, a step only nears the mark and never passes it.
	over := total > s.maxBytes
	more, err := w.deleteOldest(ctx, s.capCuts(budget), budget, over)
	if err != nil {
		return false, err
	}
	after := s.StoredBytes()
	if after >= total {
		if !over {
			// The next event does not fit the step's budget: past the
			// mark when the budget is the allowance (and, with a
			// transaction budget below one event, which no real budget
			// is, above it).
			return true, nil
		}
		return false, fmt.Errorf("logs: deleting the oldest events freed nothing of %d stored bytes", total)
	}
	// Stopping short of a budget that is the whole allowance means the
	// next event would take the total below low.
	short := budget == allowance && total-after < budget
	return !more || short && after <= s.maxBytes, nil
}

// capCuts names the streams a cap transaction of budget bytes may reach,
// with no time limit: every stream holding events, in the order of their
// first events, but not those whose first event is newer than more than
// budget bytes of events (of streams that end before it), since the
// merge stops before it. A server's streams of environments long gone
// are mostly such, so a transaction need not read all their records.
func (s *Service) capCuts(budget int64) []LogCut {
	type cand struct {
		cut         LogCut
		first, last int64
		bytes       int64
	}
	var all []cand
	s.mu.RLock()
	for scope, groups := range s.scopes {
		for name, gs := range groups {
			for _, st := range gs.streams {
				if st.Events > 0 {
					all = append(all, cand{cut: LogCut{Scope: scope, Group: name, Stream: st.Name, Before: math.MaxInt64},
						first: st.FirstEventTimestamp, last: st.LastEventTimestamp, bytes: st.StoredBytes})
				}
			}
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(all, func(a, b cand) int { return cmp.Compare(a.first, b.first) })
	ends := slices.Clone(all)
	slices.SortFunc(ends, func(a, b cand) int { return cmp.Compare(a.last, b.last) })
	cuts := make([]LogCut, 0, len(all))
	var before int64 // bytes of the streams that end before the next one starts
	e := 0
	for _, c := range all {
		for e < len(ends) && ends[e].last < c.first {
			before += ends[e].bytes
			e++
		}
		if before > budget {
			break // more than the budget is older than c's first event
		}
		cuts = append(cuts, c.cut)
	}
	return cuts
}

// deleteOldest deletes the oldest events of the cuts' streams, up to
// maxBytes of them (see Store.DeleteOldestLogEvents), and commits the
// streams' new figures. A stream deleted since the cuts were made is
// skipped by the store; more is whether events before their cut remain.
func (w *writer) deleteOldest(ctx context.Context, cuts []LogCut, maxBytes int64, atLeastOne bool) (more bool, err error) {
	streams, more, err := w.s.store.DeleteOldestLogEvents(ctx, cuts, maxBytes, atLeastOne)
	if err != nil {
		return false, fmt.Errorf("logs: delete the oldest events of %d streams: %w", len(cuts), err)
	}
	for i, st := range streams {
		if st.Name != "" {
			w.putStream(cuts[i].Scope, cuts[i].Group, st)
		}
	}
	return more, nil
}
