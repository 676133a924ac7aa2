package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/concurrency"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// fakeLogs is a log group's stored lines, in time order.
type fakeLogs struct {
	mu    sync.Mutex
	lines []LogLine
}

func (f *fakeLogs) Recent(_ context.Context, _ AccountRegion, _ string, since time.Time, limit int) ([]LogLine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []LogLine
	for _, l := range f.lines {
		if !l.Time.Before(since) {
			out = append(out, l)
		}
	}
	return out[max(0, len(out)-limit):], nil
}

func (f *fakeLogs) add(l ...LogLine) {
	f.mu.Lock()
	f.lines = append(f.lines, l...)
	f.mu.Unlock()
}

// sseEvent is one server-sent event.
type sseEvent struct{ id, event, data string }

// sseReader reads events from a stream.
type sseReader struct{ sc *bufio.Scanner }

func (r sseReader) next(t *testing.T) sseEvent {
	t.Helper()
	var ev sseEvent
	for r.sc.Scan() {
		line := r.sc.Text()
		if line == "" {
			return ev
		}
		k, v, _ := strings.Cut(line, ": ")
		switch k {
		case "id":
			ev.id = v
		case "event":
			ev.event = v
		case "data":
			ev.data = v
		}
	}
	t.Fatalf("stream ended: %v", r.sc.Err())
	return ev
}

// nextLines skips to the next lines event.
func (r sseReader) nextLines(t *testing.T) (string, []LogLine) {
	t.Helper()
	for {
		ev := r.next(t)
		if ev.event != "lines" {
			continue
		}
		var lines []LogLine
		if err := json.Unmarshal([]byte(ev.data), &lines); err != nil {
			t.Fatal(err)
		}
		return ev.id, lines
	}
}

func openLogs(t *testing.T, url, lastID string) sseReader {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, res.StatusCode)
	}
	return sseReader{bufio.NewScanner(res.Body)}
}

func messages(lines []LogLine) string {
	var m []string
	for _, l := range lines {
		m = append(m, l.Message)
	}
	return strings.Join(m, ",")
}

// TestLogStreamNoDuplicates: a log stream's events carry ids; the tap's
// copy of a line the stream started with is not sent again; and a page
// reconnecting with Last-Event-ID gets only the lines after it, including
// the rest of a millisecond it had part of.
func TestLogStreamNoDuplicates(t *testing.T) {
	now := time.Now().Truncate(time.Millisecond)
	line := func(ms int, msg string) LogLine {
		return LogLine{Time: now.Add(time.Duration(ms-10000) * time.Millisecond).UTC(), Stream: "s", Message: msg}
	}
	store := &fakeLogs{}
	store.add(line(1000, "a"), line(1000, "b"), line(2000, "c"))
	tap := NewLogTap()
	s := New(Options{Source: Source{Books: concurrency.New(1000), Counters: &Counters{},
		Lambda: fakeFunctions{sc: {{Name: "fn", LogGroup: "/aws/lambda/fn"}}}}, Logs: store, Tap: tap})
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	defer s.Close() // first: it ends the open streams hs.Close waits for
	u := hs.URL + "/_reservoir/api/functions/fn/logs"

	r := openLogs(t, u, "")
	id, lines := r.nextLines(t)
	if messages(lines) != "a,b,c" || id == "" {
		t.Fatalf("first event: id %q, lines %q", id, messages(lines))
	}
	// The tap publishes c again (it was ingested while the stream opened) and then d.
	d := line(3000, "d")
	tap.Publish(sc.Account, sc.Region, "/aws/lambda/fn", "s", line(2000, "c").Time, []string{"c"})
	tap.Publish(sc.Account, sc.Region, "/aws/lambda/fn", "s", d.Time, []string{"d"})
	store.add(d)
	id2, lines := r.nextLines(t)
	if messages(lines) != "d" || id2 == "" || id2 == id {
		t.Fatalf("after the tap: id %q, lines %q; want d alone under a new id", id2, messages(lines))
	}

	// Reconnects.
	if _, lines := openLogs(t, u, id2).nextLines(t); len(lines) != 0 {
		t.Errorf("resumed at the end: %q, want nothing", messages(lines))
	}
	if _, lines := openLogs(t, u, id).nextLines(t); messages(lines) != "d" {
		t.Errorf("resumed after c: %q, want d", messages(lines))
	}
	half := logCursor{ms: line(1000, "").Time.UnixMilli(), n: 1}.String()
	if _, lines := openLogs(t, u, half).nextLines(t); messages(lines) != "b,c,d" {
		t.Errorf("resumed after a: %q, want b,c,d", messages(lines))
	}
	if _, lines := openLogs(t, u, "garbage").nextLines(t); messages(lines) != "a,b,c,d" {
		t.Errorf("a malformed Last-Event-ID: %q, want the last lines", messages(lines))
	}
}

// TestStreamsUnsubscribeOnDisconnect: when a client goes away, its
// streams' subscriptions (ticks and log tap) are removed.
func TestStreamsUnsubscribeOnDisconnect(t *testing.T) {
	tap := NewLogTap()
	s := New(Options{Source: Source{Books: concurrency.New(1000), Counters: &Counters{},
		Lambda: fakeFunctions{sc: {{Name: "fn", LogGroup: "/aws/lambda/fn"}}}}, Logs: &fakeLogs{}, Tap: tap,
		Interval: 50 * time.Millisecond})
	s.Start()
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	defer s.Close()
	var bodies []func() error
	for _, path := range []string{"events", "functions/fn", "functions/fn/logs"} {
		req, _ := http.NewRequest("GET", hs.URL+"/_reservoir/api/"+path, nil)
		req.Header.Set("Accept", "text/event-stream")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		sseReader{bufio.NewScanner(res.Body)}.next(t)
		bodies = append(bodies, res.Body.Close)
	}
	if n, taps := s.Subscribers(), tap.n.Load(); n != 2 || taps != 1 {
		t.Fatalf("%d tick and %d tap subscriptions with three streams open; want 2 and 1", n, taps)
	}
	for _, close := range bodies {
		_ = close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.Subscribers() != 0 || tap.n.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after the client left: %d tick and %d tap subscriptions", s.Subscribers(), tap.n.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// countingTimeline counts its look-ups.
type countingTimeline struct{ n atomic.Int64 }

func (c *countingTimeline) Timeline(context.Context, AccountRegion, string, time.Time) ([]TimelineEvent, error) {
	c.n.Add(1)
	return []TimelineEvent{}, nil
}

// TestTimelineSharedByViews: three views of one function open at the same
// tick and following every tick read the timeline once between them at
// each refresh, not once each.
func TestTimelineSharedByViews(t *testing.T) {
	tl := &countingTimeline{}
	s := New(Options{Source: Source{Books: concurrency.New(1000), Counters: &Counters{},
		Lambda: fakeFunctions{sc: {{Name: "fn", LogGroup: "/aws/lambda/fn"}}}}, Timeline: tl})
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	defer s.Close()
	var views []sseReader
	for range 3 {
		req, _ := http.NewRequest("GET", hs.URL+"/_reservoir/api/functions/fn", nil)
		req.Header.Set("Accept", "text/event-stream")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		r := sseReader{bufio.NewScanner(res.Body)}
		if ev := r.next(t); ev.event != "detail" {
			t.Fatalf("first event %q", ev.event)
		}
		views = append(views, r)
	}
	// Ticks 2 to 11 cross two refresh windows (5 and 10).
	for range 10 {
		s.Sample()
		for _, r := range views {
			for r.next(t).event != "point" {
			}
		}
	}
	if n := tl.n.Load(); n != 3 {
		t.Errorf("%d timeline look-ups for three views over two refreshes; want 3 (one at open, one per refresh)", n)
	}
}

// TestStuckClientReleasesItsStream: a client that keeps its connection
// open but stops reading fails its stream once a write times out, so the
// handler and its subscription go instead of blocking forever.
func TestStuckClientReleasesItsStream(t *testing.T) {
	var fns []lambda.FunctionOverview
	for i := range 300 { // about 100 KB a snapshot: the socket buffers fill in a few ticks
		fns = append(fns, lambda.FunctionOverview{Name: fmt.Sprintf("function-with-a-rather-long-name-%04d", i)})
	}
	s := New(Options{Source: Source{Books: concurrency.New(1000), Counters: &Counters{}, Lambda: fakeFunctions{sc: fns}},
		Interval: 20 * time.Millisecond, SendTimeout: 200 * time.Millisecond})
	s.Start()
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	defer s.Close()
	conn, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "GET /_reservoir/api/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// Never read. The stream subscribes, fills the buffers, and must go.
	deadline := time.Now().Add(30 * time.Second)
	for seen := false; ; time.Sleep(20 * time.Millisecond) {
		n := s.Subscribers()
		seen = seen || n == 1
		if seen && n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a client that stopped reading still holds its stream after 30 s (subscribed: %v)", seen)
		}
	}
}

// TestIdleStreamOutlivesItsWriteTimeout: the write timeout bounds each
// write, not the stream: a log stream idle for longer than it still sends
// the next line.
func TestIdleStreamOutlivesItsWriteTimeout(t *testing.T) {
	tap := NewLogTap()
	s := New(Options{Source: Source{Books: concurrency.New(1000), Counters: &Counters{},
		Lambda: fakeFunctions{sc: {{Name: "fn", LogGroup: "/aws/lambda/fn"}}}}, Logs: &fakeLogs{}, Tap: tap,
		SendTimeout: 100 * time.Millisecond})
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	defer s.Close()
	r := openLogs(t, hs.URL+"/_reservoir/api/functions/fn/logs", "")
	r.nextLines(t)
	time.Sleep(300 * time.Millisecond) // idle past the timeout: what the test is about
	tap.Publish(sc.Account, sc.Region, "/aws/lambda/fn", "s", time.Now(), []string{"late"})
	if id, lines := r.nextLines(t); messages(lines) != "late" || id == "" {
		t.Errorf("after an idle stretch: id %q, lines %q", id, messages(lines))
	}
}

// gatedTimeline holds its first look-up until released, then answers one
// event.
type gatedTimeline struct {
	calls   atomic.Int64
	entered chan struct{}
	release chan struct{}
}

func (g *gatedTimeline) Timeline(context.Context, AccountRegion, string, time.Time) ([]TimelineEvent, error) {
	if g.calls.Add(1) == 1 {
		close(g.entered)
		<-g.release
		return []TimelineEvent{}, nil
	}
	return []TimelineEvent{{Kind: TimelineAlarm, Name: "high", State: "ALARM"}}, nil
}

// TestTimelineRefreshAfterSkippedTicks: a view that was busy while ticks 2
// to 6 went by sees only tick 6; it is in the next window of five, so the
// timeline is read again there and its change sent at once (a refresh
// that waited for a tick divisible by 5 would skip it until tick 10).
func TestTimelineRefreshAfterSkippedTicks(t *testing.T) {
	g := &gatedTimeline{entered: make(chan struct{}), release: make(chan struct{})}
	s := New(Options{Source: Source{Books: concurrency.New(1000), Counters: &Counters{},
		Lambda: fakeFunctions{sc: {{Name: "fn", LogGroup: "/aws/lambda/fn"}}}}, Timeline: g})
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	defer s.Close()
	req, _ := http.NewRequest("GET", hs.URL+"/_reservoir/api/functions/fn", nil)
	req.Header.Set("Accept", "text/event-stream")
	type answer struct {
		res *http.Response
		err error
	}
	answers := make(chan answer, 1)
	go func() { // the headers come once the view has its timeline
		res, err := http.DefaultClient.Do(req)
		answers <- answer{res, err}
	}()
	<-g.entered // the view is busy reading its timeline at tick 1
	for range 5 {
		s.Sample() // ticks 2 to 6: the view keeps only the latest
	}
	close(g.release)
	a := <-answers
	if a.err != nil {
		t.Fatal(a.err)
	}
	defer a.res.Body.Close()
	r := sseReader{bufio.NewScanner(a.res.Body)}
	var got []string
	for _, want := range []string{"detail", "point", "timeline"} {
		if want == "timeline" {
			s.Sample() // tick 7: a view that did not refresh at 6 sends its point instead
		}
		ev := r.next(t)
		got = append(got, ev.event)
		if ev.event != want {
			t.Fatalf("events %v; want detail, point, timeline", got)
		}
	}
}
