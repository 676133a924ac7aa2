package dashboard

import (
	"testing"
	"time"
)

// TestLogTap: a batch reaches the subscribers of its group only; a
// subscriber that does not read makes publishing drop (and count) lines,
// never wait; after cancel nothing is delivered and publishing is free.
func TestLogTap(t *testing.T) {
	tap := NewLogTap()
	at := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	tap.Publish("123456789012", "us-east-1", "/aws/lambda/a", "s", at, []string{"before anyone listens"})
	a, cancelA := tap.subscribe("123456789012", "us-east-1", "/aws/lambda/a")
	b, cancelB := tap.subscribe("123456789012", "us-east-1", "/aws/lambda/b")
	defer cancelB()

	texts := []string{"one", "two"}
	tap.Publish("123456789012", "us-east-1", "/aws/lambda/a", "stream-1", at, texts)
	texts[0] = "changed by the caller" // the tap keeps its own copy
	got := <-a.ch
	if len(got) != 2 || got[0] != (LogLine{Time: at, Stream: "stream-1", Message: "one"}) || got[1].Message != "two" {
		t.Errorf("a got %+v", got)
	}
	select {
	case l := <-b.ch:
		t.Errorf("b got a's lines: %+v", l)
	default:
	}

	// Nobody reads a: publishing goes on, the overflow is counted.
	for range logBuffer + 10 {
		tap.Publish("123456789012", "us-east-1", "/aws/lambda/a", "s", at, []string{"x", "y"})
	}
	if len(a.ch) != logBuffer || a.dropped.Load() != 20 {
		t.Errorf("buffered %d batches, dropped %d lines; want %d and 20", len(a.ch), a.dropped.Load(), logBuffer)
	}
	cancelA()
	if tap.n.Load() != 1 {
		t.Errorf("%d subscribers after one cancel", tap.n.Load())
	}
	if n := testing.AllocsPerRun(100, func() {
		tap.Publish("123456789012", "us-east-1", "/aws/lambda/a", "s", at, []string{"x"})
	}); n != 0 {
		t.Errorf("publishing to a group nobody tails allocates %v", n)
	}
}
