package dashboard

import (
	"sync"
	"sync/atomic"
	"time"
)

// LogTap fans the new lines of a log group out to its subscribers (the
// function views tailing it). Publishing never blocks: a subscriber whose
// buffer is full misses the batch (it is told how many it missed), so a
// slow page cannot hold up log ingestion. With no subscriber anywhere a
// publish is one atomic load.
type LogTap struct {
	n atomic.Int64 // subscribers, all groups

	mu   sync.RWMutex
	subs map[logKey]map[*logSub]struct{}
}

type logKey struct{ account, region, group string }

type logSub struct {
	ch      chan []LogLine
	dropped atomic.Int64 // lines missed because the buffer was full
}

// NewLogTap returns a tap with no subscribers.
func NewLogTap() *LogTap { return &LogTap{subs: map[logKey]map[*logSub]struct{}{}} }

// logBuffer is how many batches a subscriber may fall behind.
const logBuffer = 64

// Publish hands one batch of lines of group, in the account and region,
// to the group's subscribers.
func (t *LogTap) Publish(account, region, group, stream string, at time.Time, texts []string) {
	if t.n.Load() == 0 {
		return
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	subs := t.subs[logKey{account, region, group}]
	if len(subs) == 0 {
		return
	}
	batch := make([]LogLine, len(texts))
	for i, text := range texts {
		batch[i] = LogLine{Time: at.UTC(), Stream: stream, Message: text}
	}
	for s := range subs {
		select {
		case s.ch <- batch:
		default:
			s.dropped.Add(int64(len(batch)))
		}
	}
}

// subscribe starts a subscription to group; cancel ends it.
func (t *LogTap) subscribe(account, region, group string) (*logSub, func()) {
	s := &logSub{ch: make(chan []LogLine, logBuffer)}
	k := logKey{account, region, group}
	t.mu.Lock()
	if t.subs[k] == nil {
		t.subs[k] = map[*logSub]struct{}{}
	}
	t.subs[k][s] = struct{}{}
	t.n.Add(1)
	t.mu.Unlock()
	return s, func() {
		t.mu.Lock()
		delete(t.subs[k], s)
		if len(t.subs[k]) == 0 {
			delete(t.subs, k)
		}
		t.n.Add(-1)
		t.mu.Unlock()
	}
}
