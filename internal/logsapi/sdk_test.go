package logsapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

const (
	account = "123456789012"
	region  = "eu-west-1"
)

func newClient(t *testing.T) (*cwl.Client, *reservoirtest.Server) {
	t.Helper()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	return cwl.NewFromConfig(srv.AWSConfigFor(account, region)), srv
}

// wantAPIError checks err is the AWS error code with the message.
func wantAPIError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: %v, want %s", what, err, code)
		return
	}
	if ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Errorf("%s: %s %q, want %s %q", what, ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

// must(call)(t) returns call's value, or fails t with its error (a call of
// the arrange steps, which the test does not expect to fail).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func TestSDKGroupsStreamsEventsTags(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	group := "/aws/lambda/orders"
	groupARN := "arn:aws:logs:" + region + ":" + account + ":log-group:" + group

	must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(group), Tags: map[string]string{"team": "core"}}))(t)
	_, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(group)})
	wantAPIError(t, "CreateLogGroup again", err, "ResourceAlreadyExistsException", "The specified log group already exists")
	var exists *types.ResourceAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("CreateLogGroup again: %T, want the modelled exception", err)
	}

	must(c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String(group), RetentionInDays: aws.Int32(14)}))(t)
	groups := must(c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/")}))(t)
	if len(groups.LogGroups) != 1 {
		t.Fatalf("DescribeLogGroups = %+v", groups.LogGroups)
	}
	g := groups.LogGroups[0]
	if aws.ToString(g.LogGroupName) != group || aws.ToString(g.Arn) != groupARN+":*" || aws.ToString(g.LogGroupArn) != groupARN ||
		aws.ToInt32(g.RetentionInDays) != 14 || g.LogGroupClass != types.LogGroupClassStandard || aws.ToInt64(g.CreationTime) <= 0 ||
		g.StoredBytes == nil || aws.ToInt32(g.MetricFilterCount) != 0 {
		t.Errorf("group = %+v", g)
	}
	must(c.DeleteRetentionPolicy(ctx, &cwl.DeleteRetentionPolicyInput{LogGroupName: aws.String(group)}))(t)
	groups = must(c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{}))(t)
	if g := groups.LogGroups[0]; g.RetentionInDays != nil {
		t.Errorf("retention after DeleteRetentionPolicy = %d", *g.RetentionInDays)
	}

	// Streams.
	stream := "2026/12/05/[$LATEST]0123456789abcdef0123456789abcdef"
	must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}))(t)
	_, err = c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
	wantAPIError(t, "CreateLogStream again", err, "ResourceAlreadyExistsException", "The specified log stream already exists")
	_, err = c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("/missing"), LogStreamName: aws.String("s")})
	wantAPIError(t, "CreateLogStream in a missing group", err, "ResourceNotFoundException", "The specified log group does not exist.")

	// Events.
	now := time.Now().UnixMilli()
	put := must(c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
		LogEvents: []types.InputLogEvent{
			{Timestamp: aws.Int64(now - 2000), Message: aws.String("first line")},
			{Timestamp: aws.Int64(now - 1000), Message: aws.String(`{"level":"ERROR","msg":"boom"}`)},
			{Timestamp: aws.Int64(now), Message: aws.String("last line")},
		}}))(t)
	if put.RejectedLogEventsInfo != nil || aws.ToString(put.NextSequenceToken) == "" {
		t.Errorf("PutLogEvents = %+v", put)
	}
	_, err = c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("missing"),
		LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(now), Message: aws.String("x")}}})
	wantAPIError(t, "PutLogEvents to a missing stream", err, "ResourceNotFoundException", "The specified log stream does not exist.")
	tooOld := must(c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
		LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(now - 15*24*3600*1000), Message: aws.String("ancient")}}}))(t)
	if tooOld.RejectedLogEventsInfo == nil || aws.ToInt32(tooOld.RejectedLogEventsInfo.TooOldLogEventEndIndex) != 0 {
		t.Errorf("an event 15 days old: %+v", tooOld.RejectedLogEventsInfo)
	}

	events := must(c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true)}))(t)
	if got := messages(events.Events); !slices.Equal(got, []string{"first line", `{"level":"ERROR","msg":"boom"}`, "last line"}) {
		t.Errorf("GetLogEvents = %q", got)
	}
	if e := events.Events[0]; aws.ToInt64(e.Timestamp) != now-2000 || aws.ToInt64(e.IngestionTime) < now-2000 {
		t.Errorf("first event = %+v", e)
	}
	_, err = c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("/missing"), LogStreamName: aws.String(stream)})
	wantAPIError(t, "GetLogEvents of a missing group", err, "ResourceNotFoundException", "The specified log group does not exist.")
	_, err = c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("missing")})
	wantAPIError(t, "GetLogEvents of a missing stream", err, "ResourceNotFoundException", "The specified log stream does not exist.")

	filtered := must(c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String(group), FilterPattern: aws.String(`{ $.level = "ERROR" }`)}))(t)
	if len(filtered.Events) != 1 || aws.ToString(filtered.Events[0].Message) != `{"level":"ERROR","msg":"boom"}` ||
		aws.ToString(filtered.Events[0].LogStreamName) != stream || aws.ToString(filtered.Events[0].EventId) == "" {
		t.Errorf("FilterLogEvents JSON = %+v", filtered.Events)
	}
	filtered = must(c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String(group), FilterPattern: aws.String("line")}))(t)
	if got := filteredMessages(filtered.Events); !slices.Equal(got, []string{"first line", "last line"}) {
		t.Errorf("FilterLogEvents term = %q", got)
	}
	_, err = c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String(group), FilterPattern: aws.String(`{ $.level = `)})
	wantAPIError(t, "a broken filter pattern", err, "InvalidParameterException", "")

	streams := must(c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String(group)}))(t)
	if len(streams.LogStreams) != 1 {
		t.Fatalf("DescribeLogStreams = %+v", streams.LogStreams)
	}
	if s := streams.LogStreams[0]; aws.ToString(s.LogStreamName) != stream || aws.ToString(s.Arn) != groupARN+":log-stream:"+stream ||
		aws.ToInt64(s.FirstEventTimestamp) != now-2000 || aws.ToInt64(s.LastEventTimestamp) != now || aws.ToInt64(s.LastIngestionTime) == 0 {
		t.Errorf("stream = %+v", s)
	}

	// Tags, both APIs.
	must(c.TagResource(ctx, &cwl.TagResourceInput{ResourceArn: aws.String(groupARN), Tags: map[string]string{"env": "dev"}}))(t)
	tags := must(c.ListTagsForResource(ctx, &cwl.ListTagsForResourceInput{ResourceArn: aws.String(groupARN)}))(t)
	if fmt.Sprint(tags.Tags) != "map[env:dev team:core]" {
		t.Errorf("ListTagsForResource = %v", tags.Tags)
	}
	must(c.UntagResource(ctx, &cwl.UntagResourceInput{ResourceArn: aws.String(groupARN), TagKeys: []string{"team"}}))(t)
	must(c.TagLogGroup(ctx, &cwl.TagLogGroupInput{LogGroupName: aws.String(group), Tags: map[string]string{"legacy": "yes"}}))(t)
	legacy := must(c.ListTagsLogGroup(ctx, &cwl.ListTagsLogGroupInput{LogGroupName: aws.String(group)}))(t)
	if fmt.Sprint(legacy.Tags) != "map[env:dev legacy:yes]" {
		t.Errorf("ListTagsLogGroup = %v", legacy.Tags)
	}
	must(c.UntagLogGroup(ctx, &cwl.UntagLogGroupInput{LogGroupName: aws.String(group), Tags: []string{"env", "legacy"}}))(t)
	tags = must(c.ListTagsForResource(ctx, &cwl.ListTagsForResourceInput{ResourceArn: aws.String(groupARN)}))(t)
	if tags.Tags == nil || len(tags.Tags) != 0 {
		t.Errorf("tags after untagging all = %v", tags.Tags)
	}
	_, err = c.ListTagsForResource(ctx, &cwl.ListTagsForResourceInput{ResourceArn: aws.String(groupARN + ":*")})
	wantAPIError(t, "ListTagsForResource with ':*'", err, "ValidationException", "Invalid resourceArn")
	_, err = c.ListTagsForResource(ctx, &cwl.ListTagsForResourceInput{ResourceArn: aws.String(groupARN + "-missing")})
	wantAPIError(t, "ListTagsForResource of a missing group", err, "ResourceNotFoundException", "The specified log group does not exist.")
	many := map[string]string{}
	for i := range 50 {
		many[fmt.Sprintf("k%02d", i)] = "v"
	}
	must(c.TagResource(ctx, &cwl.TagResourceInput{ResourceArn: aws.String(groupARN), Tags: many}))(t)
	_, err = c.TagResource(ctx, &cwl.TagResourceInput{ResourceArn: aws.String(groupARN), Tags: map[string]string{"one": "more"}})
	wantAPIError(t, "a 51st tag", err, "TooManyTagsException", "A resource can have no more than 50 tags.")
	var tooMany *types.TooManyTagsException
	if !errors.As(err, &tooMany) || aws.ToString(tooMany.ResourceName) != groupARN {
		t.Errorf("TooManyTagsException %+v, want resourceName %s", tooMany, groupARN)
	}

	// Deletes.
	must(c.DeleteLogStream(ctx, &cwl.DeleteLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}))(t)
	_, err = c.DeleteLogStream(ctx, &cwl.DeleteLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
	wantAPIError(t, "DeleteLogStream again", err, "ResourceNotFoundException", "The specified log stream does not exist.")
	must(c.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String(group)}))(t)
	_, err = c.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String(group)})
	wantAPIError(t, "DeleteLogGroup again", err, "ResourceNotFoundException", "The specified log group does not exist.")
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("DeleteLogGroup again: %T, want the modelled exception", err)
	}
}

func TestSDKBadParameters(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	_, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("bad name!")})
	wantAPIError(t, "a group name with a space", err, "InvalidParameterException",
		"1 validation error detected: Value at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+")
	_, err = c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("aws/mine")})
	wantAPIError(t, "a reserved prefix", err, "InvalidParameterException", "Log groups starting with AWS/ are reserved for AWS.")
	must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("g")}))(t)
	_, err = c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("g"), RetentionInDays: aws.Int32(2)})
	wantAPIError(t, "2 days of retention", err, "InvalidParameterException", "")
	if err != nil && !strings.Contains(err.Error(), "Value at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14") {
		t.Errorf("retention 2: %v", err)
	}
	_, err = c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("missing"), RetentionInDays: aws.Int32(1)})
	wantAPIError(t, "retention of a missing group", err, "ResourceNotFoundException", "The specified log group does not exist.")
	_, err = c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{Limit: aws.Int32(51)})
	wantAPIError(t, "limit 51", err, "InvalidParameterException",
		"1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50")
	_, err = c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("a"), LogGroupNamePattern: aws.String("b")})
	wantAPIError(t, "prefix and pattern", err, "InvalidParameterException", "")
	_, err = c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), NextToken: aws.String("garbage")})
	wantAPIError(t, "a garbage token", err, "InvalidParameterException", "")
	_, err = c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String("g"), LogStreamNamePrefix: aws.String("p"), OrderBy: types.OrderByLastEventTime})
	wantAPIError(t, "order by time with a prefix", err, "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.")
	must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}))(t)
	now := time.Now().UnixMilli()
	_, err = c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(now), Message: aws.String("b")}, {Timestamp: aws.Int64(now - 1), Message: aws.String("a")}}})
	wantAPIError(t, "events out of order", err, "InvalidParameterException", "Log events in a single PutLogEvents request must be in chronological order.")
}

// TestWireMissingRequiredMembers: a request without a required member (the
// SDKs refuse to send one, so these are raw) gets AWS's null validation
// error, every missing member named.
func TestWireMissingRequiredMembers(t *testing.T) {
	_, srv := newClient(t)
	for _, tc := range []struct{ op, body, msg string }{
		{"CreateLogGroup", `{}`, "1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null"},
		{"PutRetentionPolicy", `{"logGroupName":"g"}`, "1 validation error detected: Value null at 'retentionInDays' failed to satisfy constraint: Member must not be null"},
		{"CreateLogStream", ``, "2 validation errors detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null; Value null at 'logStreamName' failed to satisfy constraint: Member must not be null"},
		{"PutLogEvents", `{"logGroupName":"g","logStreamName":"s","logEvents":[{"message":"m"}]}`,
			"1 validation error detected: Value null at 'logEvents.1.member.timestamp' failed to satisfy constraint: Member must not be null"},
		{"TagResource", `{"resourceArn":"arn:aws:logs:us-east-1:123456789012:log-group:g"}`, "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"},
		{"GetLogEvents", `{"logGroupName":"g"}`, "1 validation error detected: Value null at 'logStreamName' failed to satisfy constraint: Member must not be null"},
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(tc.body))
		req.Header.Set("X-Amz-Target", "Logs_20140328."+tc.op)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+account+"/20260101/"+region+"/logs/aws4_request, SignedHeaders=host, Signature=00")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var got struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(b, &got); err != nil || resp.StatusCode != 400 || got.Type != "InvalidParameterException" || got.Message != tc.msg {
			t.Errorf("%s %s: %d %s, want 400 InvalidParameterException %q", tc.op, tc.body, resp.StatusCode, bytes.TrimSpace(b), tc.msg)
		}
	}
}

func TestSDKPaging(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("/page/g%d", i)
		want = append(want, name)
		must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(name)}))(t)
	}
	var got []string
	pages := 0
	for p := cwl.NewDescribeLogGroupsPaginator(c, &cwl.DescribeLogGroupsInput{Limit: aws.Int32(3)}); p.HasMorePages(); {
		out := must(p.NextPage(ctx))(t)
		pages++
		for _, g := range out.LogGroups {
			got = append(got, aws.ToString(g.LogGroupName))
		}
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Errorf("DescribeLogGroups pages: %d pages of %q, want 3 of %q", pages, got, want)
	}

	must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("/page/g0"), LogStreamName: aws.String("s")}))(t)
	base := time.Now().Add(-time.Hour).UnixMilli()
	var sent []string
	batch := make([]types.InputLogEvent, 25)
	for i := range batch {
		msg := fmt.Sprintf("event %02d", i)
		sent = append(sent, msg)
		batch[i] = types.InputLogEvent{Timestamp: aws.Int64(base + int64(i)), Message: aws.String(msg)}
	}
	must(c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("/page/g0"), LogStreamName: aws.String("s"), LogEvents: batch}))(t)

	// GetLogEvents forward from the head: pages of 10, then the same token at the end.
	var read []string
	token := ""
	for range 10 {
		in := &cwl.GetLogEventsInput{LogGroupName: aws.String("/page/g0"), LogStreamName: aws.String("s"), Limit: aws.Int32(10), StartFromHead: aws.Bool(true)}
		if token != "" {
			in.NextToken = aws.String(token)
		}
		out := must(c.GetLogEvents(ctx, in))(t)
		read = append(read, messages(out.Events)...)
		if aws.ToString(out.NextForwardToken) == token {
			break
		}
		token = aws.ToString(out.NextForwardToken)
	}
	if !slices.Equal(read, sent) {
		t.Errorf("GetLogEvents forward pages read %q", read)
	}
	// Backward from the tail: the latest 10, then the 10 before.
	last := must(c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("/page/g0"), LogStreamName: aws.String("s"), Limit: aws.Int32(10)}))(t)
	if got := messages(last.Events); !slices.Equal(got, sent[15:]) {
		t.Errorf("latest page = %q", got)
	}
	before := must(c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("/page/g0"), LogStreamName: aws.String("s"), Limit: aws.Int32(10), NextToken: last.NextBackwardToken}))(t)
	if got := messages(before.Events); !slices.Equal(got, sent[5:15]) {
		t.Errorf("page before = %q", got)
	}

	// FilterLogEvents with the SDK's paginator.
	var found []string
	for p := cwl.NewFilterLogEventsPaginator(c, &cwl.FilterLogEventsInput{LogGroupName: aws.String("/page/g0"), Limit: aws.Int32(4), FilterPattern: aws.String("event")}); p.HasMorePages(); {
		out := must(p.NextPage(ctx))(t)
		found = append(found, filteredMessages(out.Events)...)
	}
	if !slices.Equal(found, sent) {
		t.Errorf("FilterLogEvents pages found %q", found)
	}
}

func messages(evs []types.OutputLogEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, aws.ToString(e.Message))
	}
	return out
}

func filteredMessages(evs []types.FilteredLogEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, aws.ToString(e.Message))
	}
	return out
}

// TestWireUnknownOperation: a Logs operation the domain does not have is
// AWS's 400 UnknownOperationException, not a 5xx.
func TestWireUnknownOperation(t *testing.T) {
	_, srv := newClient(t)
	for _, op := range []string{"PutMetricFilter", "StartQuery", "GetDataProtectionPolicy"} {
		req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(`{"logGroupName":"g"}`))
		req.Header.Set("X-Amz-Target", "Logs_20140328."+op)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+account+"/20260101/"+region+"/logs/aws4_request, SignedHeaders=host, Signature=00")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var got struct {
			Type string `json:"__type"`
		}
		if json.Unmarshal(b, &got) != nil || resp.StatusCode != 400 || got.Type != "UnknownOperationException" {
			t.Errorf("%s: %d %s, want 400 UnknownOperationException", op, resp.StatusCode, b)
		}
	}
}
