package sandbox

import (
	"strings"
	"unicode/utf8"
)

// tailBuffer keeps the most recent lines of a log, enough for a tail of a
// few kilobytes however much was written.
type tailBuffer struct {
	lines []string
	size  int // bytes in lines, newlines included
}

// keepBytes bounds what a tailBuffer holds.
const keepBytes = 4 * logTailBytes

func (b *tailBuffer) add(line string) {
	if len(line) > keepBytes {
		line = line[len(line)-keepBytes:]
	}
	b.lines = append(b.lines, line)
	b.size += len(line) + 1
	drop := 0
	for b.size > keepBytes && drop < len(b.lines)-1 {
		b.size -= len(b.lines[drop]) + 1
		drop++
	}
	if drop > 0 {
		b.lines = append([]string(nil), b.lines[drop:]...)
	}
}

// tail returns the last n bytes of the log (each line ending in a newline),
// starting on a character boundary.
func (b *tailBuffer) tail(n int) string {
	var sb strings.Builder
	for _, l := range b.lines {
		sb.WriteString(l)
		sb.WriteByte('\n')
	}
	s := sb.String()
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	for len(s) > 0 && !utf8.RuneStart(s[0]) {
		s = s[1:]
	}
	return s
}
