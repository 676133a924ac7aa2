package dashboard

import (
	"strconv"
	"strings"
)

// logCursor is how far a log stream has got: the newest millisecond it
// sent lines of and how many lines of that millisecond it sent. It is the
// stream's SSE event id ("ms-n"): a reconnecting page sends it back as
// Last-Event-ID and the stream resumes after it.
type logCursor struct {
	ms int64
	n  int
}

func (c logCursor) String() string {
	return strconv.FormatInt(c.ms, 10) + "-" + strconv.Itoa(c.n)
}

// parseLogCursor reads a Last-Event-ID; ok is false for none or a
// malformed one (the stream then starts from the last lines).
func parseLogCursor(s string) (c logCursor, ok bool) {
	ms, n, found := strings.Cut(s, "-")
	if !found {
		return logCursor{}, false
	}
	var err1, err2 error
	c.ms, err1 = strconv.ParseInt(ms, 10, 64)
	c.n, err2 = strconv.Atoi(n)
	if err1 != nil || err2 != nil || c.ms < 0 || c.n < 1 {
		return logCursor{}, false
	}
	return c, true
}

// advance moves c past lines, which it has sent.
func (c *logCursor) advance(lines []LogLine) {
	for _, l := range lines {
		switch ms := l.Time.UnixMilli(); {
		case ms > c.ms:
			c.ms, c.n = ms, 1
		case ms == c.ms:
			c.n++
		}
	}
}

// skipSent drops, from lines in time order, the ones c says were sent:
// those before its millisecond and the first n of it.
func (c logCursor) skipSent(lines []LogLine) []LogLine {
	out := lines[:0:0]
	same := 0
	for _, l := range lines {
		ms := l.Time.UnixMilli()
		if ms < c.ms {
			continue
		}
		if ms == c.ms && same < c.n {
			same++
			continue
		}
		out = append(out, l)
	}
	return out
}

// lineSet is the lines a stream started with, counted, so that the tap's
// copies of them (published between the subscription and the read) are
// not sent twice. It empties as the copies arrive and is forgotten once
// the tap is past the newest of them.
type lineSet struct {
	n      map[lineKey]int
	newest int64 // ms
}

type lineKey struct {
	ms              int64
	stream, message string
}

func newLineSet(lines []LogLine) *lineSet {
	ls := &lineSet{n: make(map[lineKey]int, len(lines))}
	for _, l := range lines {
		ms := l.Time.UnixMilli()
		ls.n[lineKey{ms, l.Stream, l.Message}]++
		ls.newest = max(ls.newest, ms)
	}
	return ls
}

// drop returns batch without the lines already sent.
func (ls *lineSet) drop(batch []LogLine) []LogLine {
	if len(ls.n) == 0 {
		return batch
	}
	out := batch[:0:0]
	past := false
	for _, l := range batch {
		ms := l.Time.UnixMilli()
		k := lineKey{ms, l.Stream, l.Message}
		if ls.n[k] > 0 {
			ls.n[k]--
			continue
		}
		past = past || ms > ls.newest
		out = append(out, l)
	}
	if past {
		clear(ls.n)
	}
	return out
}
