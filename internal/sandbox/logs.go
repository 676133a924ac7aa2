package sandbox

import (
	"fmt"
	"math"
	"strings"
	"time"
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

// Log levels, in the order of Lambda's frame types (bits 2–4 of a
// telemetry frame's type): a record is written when its level is at least
// the configured one. levelNone is a record without a level.
const (
	levelNone = iota
	levelTrace
	levelDebug
	levelInfo
	levelWarn
	levelError
	levelFatal
)

// parseLevel maps a LoggingConfig level to its rank (0 for "": no filter).
func parseLevel(s string) int {
	switch s {
	case "TRACE":
		return levelTrace
	case "DEBUG":
		return levelDebug
	case "INFO":
		return levelInfo
	case "WARN":
		return levelWarn
	case "ERROR":
		return levelError
	case "FATAL":
		return levelFatal
	}
	return levelNone
}

// frameLevel is the level a runtime client gave a record in its frame type.
func frameLevel(typ uint32) int { return int(typ>>2) & 0b111 }

// platformTimeLayout is the "time" of a JSON platform event.
const platformTimeLayout = "2006-01-02T15:04:05.000Z"

// platformEvent is one of Lambda's structured platform events (LogFormat JSON).
type platformEvent struct {
	Time   string `json:"time"`
	Type   string `json:"type"`
	Record any    `json:"record"`
}

type platformStart struct {
	RequestID string `json:"requestId"`
	Version   string `json:"version"`
}

type platformReport struct {
	RequestID string        `json:"requestId"`
	Metrics   reportMetrics `json:"metrics"`
	Status    string        `json:"status"`
	ErrorType string        `json:"errorType,omitempty"`
}

type reportMetrics struct {
	DurationMs       float64  `json:"durationMs"`
	BilledDurationMs int64    `json:"billedDurationMs"`
	MemorySizeMB     int      `json:"memorySizeMB"`
	MaxMemoryUsedMB  int64    `json:"maxMemoryUsedMB"`
	InitDurationMs   *float64 `json:"initDurationMs,omitempty"`
}

// Invocation statuses of a report.
const (
	statusSuccess = "success"
	statusError   = "error"
	statusTimeout = "timeout"
)

// report is what REPORT (or platform.report) says of one invocation.
type report struct {
	requestID    string
	duration     time.Duration
	memoryMB     int
	rss          int64
	cold         bool
	initDuration time.Duration
	status       string // statusSuccess, statusError or statusTimeout
	errorType    string // with statusError
	// handled: the error is the function's own, reported by its runtime
	// (REPORT says nothing of it; platform.report does).
	handled bool
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// billed is the billed duration in whole milliseconds, at least 1.
func (r report) billed() int64 { return max(int64(math.Ceil(millis(r.duration))), 1) }

func (r report) usedMB() int64 { return (r.rss + (1<<20 - 1)) >> 20 }

// text is Lambda's REPORT line (AWS separates fields with tabs and ends the
// line with one).
func (r report) text() string {
	s := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		r.requestID, millis(r.duration), r.billed(), r.memoryMB, r.usedMB())
	if r.cold {
		s += fmt.Sprintf("Init Duration: %.2f ms\t", millis(r.initDuration))
	}
	switch r.status {
	case statusTimeout:
		s += "Status: timeout"
	case statusError:
		if !r.handled {
			s += "Status: error\tError Type: " + r.errorType
		}
	}
	return s
}

// event is the platform.report event.
func (r report) event() platformReport {
	round := func(ms float64) float64 { return math.Round(ms*100) / 100 }
	out := platformReport{
		RequestID: r.requestID,
		Metrics: reportMetrics{DurationMs: round(millis(r.duration)), BilledDurationMs: r.billed(),
			MemorySizeMB: r.memoryMB, MaxMemoryUsedMB: r.usedMB()},
		Status: r.status,
	}
	if r.cold {
		init := round(millis(r.initDuration))
		out.Metrics.InitDurationMs = &init
	}
	if r.status == statusError {
		out.ErrorType = r.errorType
	}
	return out
}
