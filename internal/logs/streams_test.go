package logs_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/logs"
)

func (e *env) describeStreams(scope logs.Scope, in logs.DescribeLogStreamsInput) []string {
	e.t.Helper()
	var names []string
	for pages := 0; ; pages++ {
		out, err := e.svc.DescribeLogStreams(e.ctx, scope, in)
		if err != nil {
			e.t.Fatalf("DescribeLogStreams: %v", err)
		}
		for _, st := range out.Streams {
			names = append(names, st.Name)
		}
		if out.NextToken == "" {
			return names
		}
		if pages > 1000 {
			e.t.Fatal("DescribeLogStreams never ends")
		}
		in.NextToken = out.NextToken
	}
}

func TestLogStreams(t *testing.T) {
	e := newEnv(t)
	wantErr(t, e.svc.CreateLogStream(e.ctx, scopeA(), "g", "s"), logs.CodeResourceNotFound, "The specified log group does not exist.")
	e.mustCreateGroup(scopeA(), "g")
	created := e.now()
	e.mustCreateStream(scopeA(), "g", "2026/03/01/[$LATEST]0123456789abcdef0123456789abcdef")
	wantErr(t, e.svc.CreateLogStream(e.ctx, scopeA(), "g", "2026/03/01/[$LATEST]0123456789abcdef0123456789abcdef"),
		logs.CodeResourceAlreadyExists, "The specified log stream already exists")
	for _, tc := range []struct{ name, msg string }{
		{"a:b", `1 validation error detected: Value at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*`},
		{"a*", `1 validation error detected: Value at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*`},
		{"", `1 validation error detected: Value at 'logStreamName' failed to satisfy constraint: Member must have length greater than or equal to 1`},
		{strings.Repeat("s", 513), `1 validation error detected: Value at 'logStreamName' failed to satisfy constraint: Member must have length less than or equal to 512`},
	} {
		wantErr(t, e.svc.CreateLogStream(e.ctx, scopeA(), "g", tc.name), logs.CodeInvalidParameter, tc.msg)
	}

	out, err := e.svc.DescribeLogStreams(e.ctx, scopeA(), logs.DescribeLogStreamsInput{Group: "g"})
	if err != nil {
		t.Fatal(err)
	}
	want := logs.StreamDescription{
		Name:                "2026/03/01/[$LATEST]0123456789abcdef0123456789abcdef",
		ARN:                 "arn:aws:logs:us-east-1:111111111111:log-group:g:log-stream:2026/03/01/[$LATEST]0123456789abcdef0123456789abcdef",
		CreationTime:        created,
		UploadSequenceToken: strings.Repeat("0", 56),
	}
	if len(out.Streams) != 1 || out.Streams[0] != want {
		t.Fatalf("DescribeLogStreams = %+v, want %+v", out.Streams, want)
	}

	e.clock.Advance(time.Second)
	e.mustPut(scopeA(), "g", want.Name, e.at(-500, -100)...)
	out, _ = e.svc.DescribeLogStreams(e.ctx, scopeA(), logs.DescribeLogStreamsInput{GroupIdentifier: "arn:aws:logs:us-east-1:111111111111:log-group:g"})
	st := out.Streams[0]
	if st.FirstEventTimestamp == nil || *st.FirstEventTimestamp != e.now()-500 || *st.LastEventTimestamp != e.now()-100 ||
		*st.LastIngestionTime != e.now() || st.UploadSequenceToken != strings.Repeat("0", 55)+"2" {
		t.Errorf("figures after two events: %+v", st)
	}

	if err := e.svc.DeleteLogStream(e.ctx, scopeA(), "g", want.Name); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.svc.DeleteLogStream(e.ctx, scopeA(), "g", want.Name), logs.CodeResourceNotFound, "The specified log stream does not exist.")
	wantErr(t, e.svc.DeleteLogStream(e.ctx, scopeA(), "nope", want.Name), logs.CodeResourceNotFound, "The specified log group does not exist.")
	if names := e.describeStreams(scopeA(), logs.DescribeLogStreamsInput{Group: "g"}); len(names) != 0 {
		t.Errorf("after delete: %q", names)
	}
	// A stream made again under the same name is new and empty.
	e.mustCreateStream(scopeA(), "g", want.Name)
	got, err := e.svc.GetLogEvents(e.ctx, scopeA(), logs.GetLogEventsInput{Group: "g", Stream: want.Name})
	if err != nil || len(got.Events) != 0 {
		t.Errorf("recreated stream: %+v, %v", got, err)
	}
}

func TestDescribeLogStreamsOrderAndPaging(t *testing.T) {
	e := newEnv(t)
	e.mustCreateGroup(scopeA(), "g")
	// Names in one order, last event times in another; "empty" has none.
	lastEvent := map[string]int64{"a": -30, "b": -10, "c": -50, "d": -20, "e": -40}
	for _, name := range []string{"e", "c", "a", "d", "b", "empty"} {
		e.mustCreateStream(scopeA(), "g", name)
		if off, ok := lastEvent[name]; ok {
			e.mustPut(scopeA(), "g", name, e.at(off-1, off)...)
		}
	}
	for _, tc := range []struct {
		name string
		in   logs.DescribeLogStreamsInput
		want []string
	}{
		{"by name", logs.DescribeLogStreamsInput{}, []string{"a", "b", "c", "d", "e", "empty"}},
		{"by name descending", logs.DescribeLogStreamsInput{Descending: true}, []string{"empty", "e", "d", "c", "b", "a"}},
		{"prefix", logs.DescribeLogStreamsInput{Prefix: "e"}, []string{"e", "empty"}},
		{"by last event time", logs.DescribeLogStreamsInput{OrderBy: logs.OrderByLastEventTime}, []string{"empty", "c", "e", "a", "d", "b"}},
		{"by last event time descending", logs.DescribeLogStreamsInput{OrderBy: logs.OrderByLastEventTime, Descending: true},
			[]string{"b", "d", "a", "e", "c", "empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, limit := range []int{1, 2, 4, 50} {
				in := tc.in
				in.Group, in.Limit = "g", ptr(limit)
				if got := e.describeStreams(scopeA(), in); !slices.Equal(got, tc.want) {
					t.Errorf("limit %d: %q, want %q", limit, got, tc.want)
				}
			}
		})
	}

	for _, tc := range []struct {
		name string
		in   logs.DescribeLogStreamsInput
		code logs.ErrorCode
		msg  string
	}{
		{"prefix with LastEventTime", logs.DescribeLogStreamsInput{Group: "g", Prefix: "a", OrderBy: logs.OrderByLastEventTime},
			logs.CodeInvalidParameter, "Cannot order by LastEventTime with a logStreamNamePrefix."},
		{"order", logs.DescribeLogStreamsInput{Group: "g", OrderBy: "Size"}, logs.CodeInvalidParameter,
			"1 validation error detected: Value at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]"},
		{"limit", logs.DescribeLogStreamsInput{Group: "g", Limit: ptr(51)}, logs.CodeInvalidParameter,
			"1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50"},
		{"name and identifier", logs.DescribeLogStreamsInput{Group: "g", GroupIdentifier: "g"}, logs.CodeInvalidParameter,
			"You must include either logGroupIdentifier or logGroupName, but not both."},
		{"neither", logs.DescribeLogStreamsInput{}, logs.CodeInvalidParameter,
			"You must include either logGroupIdentifier or logGroupName, but not both."},
		{"identifier with :*", logs.DescribeLogStreamsInput{GroupIdentifier: "arn:aws:logs:us-east-1:111111111111:log-group:g:*"}, logs.CodeInvalidParameter,
			`1 validation error detected: Value at 'logGroupIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w#+=/:,.@-]*`},
		{"identifier of another account", logs.DescribeLogStreamsInput{GroupIdentifier: "arn:aws:logs:us-east-1:222222222222:log-group:g"},
			logs.CodeResourceNotFound, "The specified log group does not exist."},
		{"missing group", logs.DescribeLogStreamsInput{Group: "h"}, logs.CodeResourceNotFound, "The specified log group does not exist."},
		{"bad token", logs.DescribeLogStreamsInput{Group: "g", OrderBy: logs.OrderByLastEventTime, NextToken: "YWJj"},
			logs.CodeInvalidParameter, "The specified nextToken is invalid."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.DescribeLogStreams(e.ctx, scopeA(), tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	// The group named by plain name through logGroupIdentifier.
	if got := e.describeStreams(scopeA(), logs.DescribeLogStreamsInput{GroupIdentifier: "g", Prefix: "d"}); !slices.Equal(got, []string{"d"}) {
		t.Errorf("by identifier: %q", got)
	}
}
