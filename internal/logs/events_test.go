package logs_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/logs"
)

const (
	hour = int64(time.Hour / time.Millisecond)
	day  = 24 * hour
)

func (e *env) streamEvents(scope logs.Scope, group, stream string) []string {
	e.t.Helper()
	out, err := e.svc.GetLogEvents(e.ctx, scope, logs.GetLogEventsInput{Group: group, Stream: stream, StartFromHead: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return outputMessages(out.Events)
}

func TestPutLogEventsValidation(t *testing.T) {
	e := newEnv(t)
	e.mustCreateGroup(scopeA(), "g")
	e.mustCreateStream(scopeA(), "g", "s")
	put := func(events ...logs.InputEvent) error {
		_, err := e.svc.PutLogEvents(e.ctx, scopeA(), logs.PutLogEventsInput{Group: "g", Stream: "s", Events: events})
		return err
	}
	now := e.now()
	ev := func(off int64, size int) logs.InputEvent {
		return logs.InputEvent{Timestamp: now + off, Message: strings.Repeat("x", size)}
	}
	many := func(n int) []logs.InputEvent {
		out := make([]logs.InputEvent, n)
		for i := range out {
			out[i] = ev(0, 1)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		events []logs.InputEvent
		msg    string
	}{
		{"no events", nil, "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"10001 events", many(10001), "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to 10000"},
		{"empty message", []logs.InputEvent{ev(0, 1), ev(0, 0)},
			"1 validation error detected: Value at 'logEvents.2.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"negative timestamp", []logs.InputEvent{{Timestamp: -1, Message: "x"}},
			"1 validation error detected: Value at 'logEvents.1.member.timestamp' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"out of order", []logs.InputEvent{ev(0, 1), ev(-1, 1)}, "Log events in a single PutLogEvents request must be in chronological order."},
		{"batch too large", []logs.InputEvent{ev(0, 524288), ev(0, 524288-51)}, "Upload too large: 1048577 bytes exceeds limit of 1048576"},
		{"event too large", []logs.InputEvent{ev(0, 1048576-25)}, "Log event too large: 1048577 bytes exceeds limit of 1048576"},
		{"span over 24 hours", []logs.InputEvent{ev(-day-1, 1), ev(0, 1)},
			"The batch of log events in a single PutLogEvents request cannot span more than 24 hours."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, put(tc.events...), logs.CodeInvalidParameter, tc.msg)
		})
	}
	if got := e.streamEvents(scopeA(), "g", "s"); len(got) != 0 {
		t.Fatalf("refused batches stored %d events", len(got))
	}

	// The limits themselves are fine.
	if err := put(ev(0, 524288-26), ev(0, 524288-26)); err != nil {
		t.Errorf("a batch of exactly 1048576 bytes: %v", err)
	}
	if err := put(many(10000)...); err != nil {
		t.Errorf("10000 events: %v", err)
	}
	if err := put(ev(-day, 1), ev(0, 1)); err != nil {
		t.Errorf("a span of exactly 24 hours: %v", err)
	}
	if got := len(e.filterAll(scopeA(), logs.FilterLogEventsInput{Group: "g"})); got != 2+10000+2 {
		t.Errorf("%d events stored, want %d", got, 2+10000+2)
	}

	_, err := e.svc.PutLogEvents(e.ctx, scopeA(), logs.PutLogEventsInput{Group: "g", Stream: "missing", Events: e.at(0)})
	wantErr(t, err, logs.CodeResourceNotFound, "The specified log stream does not exist.")
	_, err = e.svc.PutLogEvents(e.ctx, scopeA(), logs.PutLogEventsInput{Group: "missing", Stream: "s", Events: e.at(0)})
	wantErr(t, err, logs.CodeResourceNotFound, "The specified log group does not exist.")
	_, err = e.svc.PutLogEvents(e.ctx, scopeB(), logs.PutLogEventsInput{Group: "g", Stream: "s", Events: e.at(0)})
	wantErr(t, err, logs.CodeResourceNotFound, "The specified log group does not exist.")
}

func TestPutLogEventsRejectsOldAndNew(t *testing.T) {
	e := newEnv(t)
	e.mustCreateGroup(scopeA(), "g")
	e.mustCreateStream(scopeA(), "g", "s")
	// Too old (over 14 days), valid, too new (over 2 hours ahead); the span
	// rule counts valid events only.
	out := e.mustPut(scopeA(), "g", "s", e.at(-15*day, -14*day-1, -22*hour, -2*hour, 0, 2*hour, 2*hour+1, 3*hour)...)
	r := out.Rejected
	if r == nil || r.TooOldEnd == nil || *r.TooOldEnd != 1 || r.TooNewStart == nil || *r.TooNewStart != 6 || r.ExpiredEnd != nil {
		t.Fatalf("rejected = %+v", r)
	}
	if got := e.streamEvents(scopeA(), "g", "s"); !slices.Equal(got, []string{"m2", "m3", "m4", "m5"}) {
		t.Errorf("stored %q", got)
	}
	// Exactly 14 days old is still accepted.
	if out := e.mustPut(scopeA(), "g", "s", e.at(-14*day)...); out.Rejected != nil {
		t.Errorf("an event exactly 14 days old: %+v", out.Rejected)
	}
	if got := len(e.streamEvents(scopeA(), "g", "s")); got != 5 {
		t.Fatalf("%d events stored, want 5", got)
	}
	// Past the group's retention (but under 14 days): expired.
	if err := e.svc.PutRetentionPolicy(e.ctx, scopeA(), "g", 1); err != nil {
		t.Fatal(err)
	}
	// The new retention drops the 14-day-old event (the sweeper may run
	// too: sweeping is idempotent).
	if err := e.svc.Sweep(e.ctx); err != nil {
		t.Fatal(err)
	}
	out = e.mustPut(scopeA(), "g", "s", e.at(-20*day, -2*day, -day-1, -day, 0)...)
	r = out.Rejected
	if r == nil || *r.TooOldEnd != 0 || *r.ExpiredEnd != 2 || r.TooNewStart != nil {
		t.Fatalf("rejected = %+v", r)
	}
	// All valid: no rejected info; the sequence token counts the events.
	out = e.mustPut(scopeA(), "g", "s", e.at(0)...)
	if out.Rejected != nil || out.NextSequenceToken != fmt.Sprintf("%056d", 7) {
		t.Errorf("all valid: %+v", out)
	}
	// All rejected: nothing stored, no error.
	out = e.mustPut(scopeA(), "g", "s", e.at(3*hour)...)
	if out.Rejected == nil || *out.Rejected.TooNewStart != 0 || len(e.streamEvents(scopeA(), "g", "s")) != 7 {
		t.Errorf("all rejected: %+v", out)
	}
}

// getPage reads one GetLogEvents page.
func (e *env) getPage(in logs.GetLogEventsInput) logs.GetLogEventsOutput {
	e.t.Helper()
	in.Group, in.Stream = "g", "s"
	out, err := e.svc.GetLogEvents(e.ctx, scopeA(), in)
	if err != nil {
		e.t.Fatalf("GetLogEvents(%+v): %v", in, err)
	}
	if out.NextForwardToken == "" || out.NextBackwardToken == "" || out.Events == nil {
		e.t.Fatalf("GetLogEvents returned an empty token or nil events: %+v", out)
	}
	return out
}

func TestGetLogEventsTokens(t *testing.T) {
	e := newEnv(t)
	e.mustCreateGroup(scopeA(), "g")
	e.mustCreateStream(scopeA(), "g", "s")
	// Empty stream: no events, tokens all the same.
	empty := e.getPage(logs.GetLogEventsInput{})
	if len(empty.Events) != 0 {
		t.Fatalf("empty stream: %+v", empty)
	}
	// Ten events m0..m9, one per millisecond, the last two on one timestamp.
	e.mustPut(scopeA(), "g", "s", e.at(-9, -8, -7, -6, -5, -4, -3, -2, -1, -1)...)

	// Without a token: the latest events (the earliest with startFromHead),
	// oldest first.
	tail := e.getPage(logs.GetLogEventsInput{Limit: ptr(3)})
	if got := outputMessages(tail.Events); !slices.Equal(got, []string{"m7", "m8", "m9"}) {
		t.Fatalf("latest 3: %q", got)
	}
	head := e.getPage(logs.GetLogEventsInput{Limit: ptr(3), StartFromHead: true})
	if got := outputMessages(head.Events); !slices.Equal(got, []string{"m0", "m1", "m2"}) {
		t.Fatalf("first 3: %q", got)
	}
	// Forward from the head reaches the end, then hands back its own token.
	var all []string
	page := head
	all = append(all, outputMessages(page.Events)...)
	for range 10 {
		next := e.getPage(logs.GetLogEventsInput{Limit: ptr(3), NextToken: page.NextForwardToken})
		if len(next.Events) == 0 {
			if next.NextForwardToken != page.NextForwardToken {
				t.Errorf("at the end: forward token %q, want the one passed in %q", next.NextForwardToken, page.NextForwardToken)
			}
			break
		}
		all = append(all, outputMessages(next.Events)...)
		page = next
	}
	want := []string{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"}
	if !slices.Equal(all, want) {
		t.Fatalf("forward walk: %q", all)
	}
	// Backward from the tail reaches the start the same way.
	all = outputMessages(tail.Events)
	page = tail
	for range 10 {
		prev := e.getPage(logs.GetLogEventsInput{Limit: ptr(3), NextToken: page.NextBackwardToken})
		if len(prev.Events) == 0 {
			if prev.NextBackwardToken != page.NextBackwardToken {
				t.Errorf("at the start: backward token %q, want %q", prev.NextBackwardToken, page.NextBackwardToken)
			}
			// ...and its forward token leads back to the first events.
			again := e.getPage(logs.GetLogEventsInput{Limit: ptr(2), NextToken: prev.NextForwardToken})
			if got := outputMessages(again.Events); !slices.Equal(got, []string{"m0", "m1"}) {
				t.Errorf("forward from the start: %q", got)
			}
			break
		}
		all = append(outputMessages(prev.Events), all...)
		page = prev
	}
	if !slices.Equal(all, want) {
		t.Fatalf("backward walk: %q", all)
	}
	// A forward token kept at the end sees events written later (tail -f).
	atEnd := e.getPage(logs.GetLogEventsInput{NextToken: tail.NextForwardToken})
	e.clock.Advance(time.Second)
	e.mustPut(scopeA(), "g", "s", logs.InputEvent{Timestamp: e.now(), Message: "later"})
	if got := outputMessages(e.getPage(logs.GetLogEventsInput{NextToken: atEnd.NextForwardToken}).Events); !slices.Equal(got, []string{"later"}) {
		t.Errorf("after new events: %q", got)
	}
	// So does the forward token of the empty stream's first page.
	if got := outputMessages(e.getPage(logs.GetLogEventsInput{NextToken: empty.NextForwardToken}).Events); len(got) != 11 {
		t.Errorf("from the empty stream's token: %d events", len(got))
	}
	// Ingestion times are reported.
	if ev := tail.Events[0]; ev.IngestionTime != epoch().UnixMilli() || ev.Timestamp != epoch().UnixMilli()-2 {
		t.Errorf("event %+v", ev)
	}

	for _, token := range []string{"x", "f/123/s", "b/" + strings.Repeat("9", 56) + "/s", "f/" + strings.Repeat("0", 56), "q/" + strings.Repeat("0", 56) + "/s"} {
		_, err := e.svc.GetLogEvents(e.ctx, scopeA(), logs.GetLogEventsInput{Group: "g", Stream: "s", NextToken: token})
		wantErr(t, err, logs.CodeInvalidParameter, "The specified nextToken is invalid.")
	}
}

func TestGetLogEventsRangeAndLimits(t *testing.T) {
	e := newEnv(t)
	e.mustCreateGroup(scopeA(), "g")
	e.mustCreateStream(scopeA(), "g", "s")
	now := e.now()
	e.mustPut(scopeA(), "g", "s", e.at(-40, -30, -20, -10)...)
	// startTime is included, endTime excluded.
	page := e.getPage(logs.GetLogEventsInput{StartTime: ptr(now - 30), EndTime: ptr(now - 10), StartFromHead: true})
	if got := outputMessages(page.Events); !slices.Equal(got, []string{"m1", "m2"}) {
		t.Errorf("range [-30, -10): %q", got)
	}
	// A token keeps to the request's range.
	next := e.getPage(logs.GetLogEventsInput{StartTime: ptr(now - 30), EndTime: ptr(now - 10), NextToken: page.NextForwardToken})
	if len(next.Events) != 0 {
		t.Errorf("past endTime: %q", outputMessages(next.Events))
	}
	if got := e.getPage(logs.GetLogEventsInput{StartTime: ptr(now), EndTime: ptr(now - 100)}); len(got.Events) != 0 {
		t.Errorf("an empty range: %+v", got)
	}

	// A page holds at most 1 MB, counted as PutLogEvents counts.
	e.mustCreateStream(scopeA(), "g", "big")
	big := strings.Repeat("b", 300_000)
	for range 4 {
		e.mustPut(scopeA(), "g", "big", logs.InputEvent{Timestamp: now, Message: big})
	}
	out, err := e.svc.GetLogEvents(e.ctx, scopeA(), logs.GetLogEventsInput{Group: "g", Stream: "big", StartFromHead: true})
	if err != nil || len(out.Events) != 3 {
		t.Errorf("1 MB page: %d events, %v", len(out.Events), err)
	}

	for _, tc := range []struct {
		name string
		in   logs.GetLogEventsInput
		code logs.ErrorCode
		msg  string
	}{
		{"limit 0", logs.GetLogEventsInput{Group: "g", Stream: "s", Limit: ptr(0)}, logs.CodeInvalidParameter,
			"1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"limit 10001", logs.GetLogEventsInput{Group: "g", Stream: "s", Limit: ptr(10001)}, logs.CodeInvalidParameter,
			"1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000"},
		{"negative start", logs.GetLogEventsInput{Group: "g", Stream: "s", StartTime: ptr(int64(-1))}, logs.CodeInvalidParameter,
			"1 validation error detected: Value at 'startTime' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"missing stream", logs.GetLogEventsInput{Group: "g", Stream: "nope"}, logs.CodeResourceNotFound, "The specified log stream does not exist."},
		{"missing group", logs.GetLogEventsInput{Group: "nope", Stream: "s"}, logs.CodeResourceNotFound, "The specified log group does not exist."},
		{"no group", logs.GetLogEventsInput{Stream: "s"}, logs.CodeInvalidParameter, "You must include either logGroupIdentifier or logGroupName, but not both."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.GetLogEvents(e.ctx, scopeA(), tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	byARN, err := e.svc.GetLogEvents(e.ctx, scopeA(), logs.GetLogEventsInput{GroupIdentifier: "arn:aws:logs:us-east-1:111111111111:log-group:g", Stream: "s"})
	if err != nil || len(byARN.Events) != 4 {
		t.Errorf("by logGroupArn: %+v, %v", byARN, err)
	}
}

func TestFilterLogEvents(t *testing.T) {
	e := newEnv(t)
	e.mustCreateGroup(scopeA(), "g")
	now := e.now()
	// Three streams whose events interleave in time.
	lines := map[string][]logs.InputEvent{
		"app/1": {{now - 50, "START a"}, {now - 20, "ERROR boom"}, {now - 5, "END a"}},
		"app/2": {{now - 40, "INFO fine"}, {now - 20, "ERROR bang"}, {now - 1, `{"level":"ERROR","latency":700}`}},
		"web/1": {{now - 30, "GET / 200"}, {now - 10, "GET /x 500 ERROR"}},
	}
	for _, name := range slices.Sorted(maps.Keys(lines)) { // arrival order breaks timestamp ties
		e.mustCreateStream(scopeA(), "g", name)
		e.mustPut(scopeA(), "g", name, lines[name]...)
	}
	e.mustCreateStream(scopeA(), "g", "app/empty")

	all := e.filterAll(scopeA(), logs.FilterLogEventsInput{Group: "g"})
	want := []string{"START a", "INFO fine", "GET / 200", "ERROR boom", "ERROR bang", "GET /x 500 ERROR", "END a", `{"level":"ERROR","latency":700}`}
	if got := filteredMessages(all); !slices.Equal(got, want) {
		t.Fatalf("all events in time order: %q", got)
	}
	ids := map[string]bool{}
	for _, ev := range all {
		if ids[ev.EventID] || len(ev.EventID) != 56 {
			t.Errorf("event ID %q repeated or not 56 digits", ev.EventID)
		}
		ids[ev.EventID] = true
		if !slices.ContainsFunc(lines[ev.StreamName], func(in logs.InputEvent) bool { return in.Message == ev.Message && in.Timestamp == ev.Timestamp }) {
			t.Errorf("event %+v reported from the wrong stream", ev)
		}
		if ev.IngestionTime != now {
			t.Errorf("ingestion time %d, want %d", ev.IngestionTime, now)
		}
	}

	for _, tc := range []struct {
		name string
		in   logs.FilterLogEventsInput
		want []string
	}{
		{"pattern", logs.FilterLogEventsInput{FilterPattern: "ERROR"}, []string{"ERROR boom", "ERROR bang", "GET /x 500 ERROR", `{"level":"ERROR","latency":700}`}},
		{"json pattern", logs.FilterLogEventsInput{FilterPattern: `{ $.latency > 500 }`}, []string{`{"level":"ERROR","latency":700}`}},
		{"delimited pattern", logs.FilterLogEventsInput{FilterPattern: `[verb = GET, path, status >= 500, ...]`}, []string{"GET /x 500 ERROR"}},
		{"stream names", logs.FilterLogEventsInput{StreamNames: []string{"web/1", "app/2", "nope"}}, []string{"INFO fine", "GET / 200", "ERROR bang", "GET /x 500 ERROR", `{"level":"ERROR","latency":700}`}},
		{"stream prefix", logs.FilterLogEventsInput{StreamNamePrefix: "app/", FilterPattern: "?START ?END"}, []string{"START a", "END a"}},
		{"time range, both ends included", logs.FilterLogEventsInput{StartTime: ptr(now - 40), EndTime: ptr(now - 20)},
			[]string{"INFO fine", "GET / 200", "ERROR boom", "ERROR bang"}},
		{"nothing", logs.FilterLogEventsInput{FilterPattern: "nomatch"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, limit := range []int{1, 2, 3, 10000} {
				in := tc.in
				in.Group, in.Limit = "g", ptr(limit)
				if got := filteredMessages(e.filterAll(scopeA(), in)); !slices.Equal(got, tc.want) {
					t.Errorf("limit %d: %q, want %q", limit, got, tc.want)
				}
			}
		})
	}
	// A page stops at the limit and says where to go on.
	out, err := e.svc.FilterLogEvents(e.ctx, scopeA(), logs.FilterLogEventsInput{Group: "g", Limit: ptr(3)})
	if err != nil || len(out.Events) != 3 || out.NextToken == "" {
		t.Errorf("first page of 3: %d events, token %q, %v", len(out.Events), out.NextToken, err)
	}
	out, err = e.svc.FilterLogEvents(e.ctx, scopeA(), logs.FilterLogEventsInput{Group: "g", Limit: ptr(3), FilterPattern: "END"})
	if err != nil || len(out.Events) != 1 || out.NextToken != "" {
		t.Errorf("a complete search: %+v, %v", out, err)
	}

	for _, tc := range []struct {
		name string
		in   logs.FilterLogEventsInput
		code logs.ErrorCode
		msg  string
	}{
		{"names and prefix", logs.FilterLogEventsInput{Group: "g", StreamNames: []string{"a"}, StreamNamePrefix: "a"}, logs.CodeInvalidParameter,
			"logStreamNames and logStreamNamePrefix are mutually exclusive. Only one of these parameters can be passed."},
		{"empty names", logs.FilterLogEventsInput{Group: "g", StreamNames: []string{}}, logs.CodeInvalidParameter,
			"1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"bad pattern", logs.FilterLogEventsInput{Group: "g", FilterPattern: "{ $.a = }"}, logs.CodeInvalidParameter, "Invalid filter pattern"},
		{"long pattern", logs.FilterLogEventsInput{Group: "g", FilterPattern: strings.Repeat("a", 1025)}, logs.CodeInvalidParameter,
			"1 validation error detected: Value at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024"},
		{"bad token", logs.FilterLogEventsInput{Group: "g", NextToken: "abc"}, logs.CodeInvalidParameter, "The specified nextToken is invalid."},
		{"missing group", logs.FilterLogEventsInput{Group: "h"}, logs.CodeResourceNotFound, "The specified log group does not exist."},
		{"other account", logs.FilterLogEventsInput{GroupIdentifier: "arn:aws:logs:us-east-1:222222222222:log-group:g"}, logs.CodeResourceNotFound,
			"The specified log group does not exist."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.FilterLogEvents(e.ctx, scopeA(), tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
}

// TestFilterLogEventsPagesVisitEachEventOnce: many streams, many events on
// the same timestamps, small pages: the concatenated pages are every event
// exactly once, in (timestamp, arrival) order.
func TestFilterLogEventsPagesVisitEachEventOnce(t *testing.T) {
	e := newEnv(t)
	e.mustCreateGroup(scopeA(), "g")
	now := e.now()
	total := 0
	for s := range 7 {
		name := fmt.Sprintf("s%d", s)
		e.mustCreateStream(scopeA(), "g", name)
		for round := range 3 {
			var evs []logs.InputEvent
			for i := range 20 {
				evs = append(evs, logs.InputEvent{Timestamp: now - 100 + int64(i/4), Message: fmt.Sprintf("%s r%d i%d", name, round, i)})
			}
			e.mustPut(scopeA(), "g", name, evs...)
			total += len(evs)
		}
	}
	for _, limit := range []int{1, 7, 50, 10000} {
		got := e.filterAll(scopeA(), logs.FilterLogEventsInput{Group: "g", Limit: ptr(limit)})
		if len(got) != total {
			t.Fatalf("limit %d: %d events, want %d", limit, len(got), total)
		}
		seen := map[string]bool{}
		for i, ev := range got {
			if seen[ev.EventID] {
				t.Fatalf("limit %d: event %s twice", limit, ev.EventID)
			}
			seen[ev.EventID] = true
			if i > 0 && got[i-1].EventID >= ev.EventID {
				t.Fatalf("limit %d: event IDs out of order at %d", limit, i)
			}
		}
	}
}
