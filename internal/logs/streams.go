package logs

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// CreateLogStream creates a stream in an existing group.
func (s *Service) CreateLogStream(ctx context.Context, scope Scope, group, stream string) error {
	var v violations
	v.checkGroupName("logGroupName", group)
	v.checkStreamName("logStreamName", stream)
	if err := v.err(); err != nil {
		return err
	}
	w, err := s.lockWrites(ctx)
	if err != nil {
		return err
	}
	defer w.unlock()
	return w.createStream(ctx, scope, group, stream)
}

// createStream stores and commits a new, empty stream.
func (w *writer) createStream(ctx context.Context, scope Scope, group, stream string) error {
	s := w.s
	groupOK, streamOK := s.streamExists(scope, group, stream)
	if !groupOK {
		return errGroupNotFound()
	}
	if streamOK {
		return newError(CodeResourceAlreadyExists, msgStreamExists)
	}
	st := Stream{Name: stream, CreationTime: s.nowMillis()}
	if err := s.store.CreateLogStream(ctx, scope, group, st); err != nil {
		return fmt.Errorf("logs: create stream %s in %s: %w", stream, group, err)
	}
	w.putStream(scope, group, st)
	return nil
}

// DeleteLogStream deletes a stream and its events.
func (s *Service) DeleteLogStream(ctx context.Context, scope Scope, group, stream string) error {
	var v violations
	v.checkGroupName("logGroupName", group)
	v.checkStreamName("logStreamName", stream)
	if err := v.err(); err != nil {
		return err
	}
	w, err := s.lockWrites(ctx)
	if err != nil {
		return err
	}
	defer w.unlock()
	groupOK, streamOK := s.streamExists(scope, group, stream)
	switch {
	case !groupOK:
		return errGroupNotFound()
	case !streamOK:
		return errStreamNotFound()
	}
	if err := s.store.DeleteLogStream(ctx, scope, group, stream); err != nil {
		return fmt.Errorf("logs: delete stream %s in %s: %w", stream, group, err)
	}
	w.removeStream(scope, group, stream)
	return nil
}

// OrderBy is DescribeLogStreams' sort order.
type OrderBy string

// The orders of botocore's OrderBy enum.
const (
	OrderByLogStreamName OrderBy = "LogStreamName"
	OrderByLastEventTime OrderBy = "LastEventTime"
)

// DescribeLogStreamsInput is DescribeLogStreams' request; exactly one of
// Group and GroupIdentifier names the group.
type DescribeLogStreamsInput struct {
	Group           string
	GroupIdentifier string
	Prefix          string
	OrderBy         OrderBy // "": LogStreamName
	Descending      bool
	Limit           *int
	NextToken       string
}

// StreamDescription is one stream as DescribeLogStreams reports it.
// The event times are nil while the stream has no events. (AWS reports
// storedBytes of streams as 0 since 2019; it has no field here.)
type StreamDescription struct {
	Name                string
	ARN                 string
	CreationTime        int64
	FirstEventTimestamp *int64
	LastEventTimestamp  *int64
	LastIngestionTime   *int64
	UploadSequenceToken string
}

// DescribeLogStreamsOutput is one page of streams.
type DescribeLogStreamsOutput struct {
	Streams   []StreamDescription
	NextToken string
}

// DescribeLogStreams lists a group's streams.
func (s *Service) DescribeLogStreams(ctx context.Context, scope Scope, in DescribeLogStreamsInput) (DescribeLogStreamsOutput, error) {
	var v violations
	v.checkGroupRef(in.Group, in.GroupIdentifier)
	if in.Prefix != "" {
		v.checkStreamName("logStreamNamePrefix", in.Prefix)
	}
	if in.OrderBy != "" && in.OrderBy != OrderByLogStreamName && in.OrderBy != OrderByLastEventTime {
		v.add("orderBy", cEnum, "LogStreamName, LastEventTime")
	}
	v.checkLimit("limit", in.Limit, maxDescribeLimit)
	if err := v.err(); err != nil {
		return DescribeLogStreamsOutput{}, err
	}
	group, err := resolveGroup(scope, in.Group, in.GroupIdentifier)
	if err != nil {
		return DescribeLogStreamsOutput{}, err
	}
	byTime := in.OrderBy == OrderByLastEventTime
	if byTime && in.Prefix != "" {
		return DescribeLogStreamsOutput{}, errInvalid(msgOrderByPrefix)
	}
	var after streamSortKey
	if in.NextToken != "" {
		if after, err = decodeStreamToken(in.NextToken, byTime); err != nil {
			return DescribeLogStreamsOutput{}, err
		}
	}
	limit := defaultDescribeLn
	if in.Limit != nil {
		limit = *in.Limit
	}

	type item struct {
		key streamSortKey
		st  Stream
	}
	s.mu.RLock()
	gs, ok := s.scopes[scope][group]
	var items []item
	if ok {
		for name, st := range gs.streams {
			if !strings.HasPrefix(name, in.Prefix) {
				continue
			}
			items = append(items, item{key: sortKeyOf(st, byTime), st: *st})
		}
	}
	s.mu.RUnlock()
	if !ok {
		return DescribeLogStreamsOutput{}, errGroupNotFound()
	}

	order := func(a, b streamSortKey) int {
		c := a.compare(b)
		if in.Descending {
			c = -c
		}
		return c
	}
	slices.SortFunc(items, func(a, b item) int { return order(a.key, b.key) })
	if in.NextToken != "" {
		i, _ := slices.BinarySearchFunc(items, after, func(it item, k streamSortKey) int { return order(it.key, k) })
		for i < len(items) && order(items[i].key, after) <= 0 {
			i++
		}
		items = items[i:]
	}
	out := DescribeLogStreamsOutput{Streams: []StreamDescription{}}
	if len(items) > limit {
		out.NextToken = encodeStreamToken(items[limit-1].key, byTime)
		items = items[:limit]
	}
	for _, it := range items {
		out.Streams = append(out.Streams, describeStream(scope, group, it.st))
	}
	return out, nil
}

func describeStream(scope Scope, group string, st Stream) StreamDescription {
	d := StreamDescription{
		Name:                st.Name,
		ARN:                 scope.StreamARN(group, st.Name),
		CreationTime:        st.CreationTime,
		UploadSequenceToken: sequenceToken(st),
	}
	if st.Events > 0 {
		first, last, ingested := st.FirstEventTimestamp, st.LastEventTimestamp, st.LastIngestionTime
		d.FirstEventTimestamp, d.LastEventTimestamp, d.LastIngestionTime = &first, &last, &ingested
	}
	return d
}

// sequenceToken is the (ignored) sequence token AWS still reports: 56
// digits, here the count of events the stream holds.
func sequenceToken(st Stream) string { return fmt.Sprintf("%056d", st.Events) }

// streamSortKey orders streams by name, or by last event time then name.
type streamSortKey struct {
	time int64 // LastEventTime order only; a stream without events sorts as 0
	name string
}

func sortKeyOf(st *Stream, byTime bool) streamSortKey {
	k := streamSortKey{name: st.Name}
	if byTime && st.Events > 0 {
		k.time = st.LastEventTimestamp
	}
	return k
}

func (a streamSortKey) compare(b streamSortKey) int {
	if c := cmp.Compare(a.time, b.time); c != 0 {
		return c
	}
	return strings.Compare(a.name, b.name)
}

// A stream page token is the base64 of the last stream's sort key: its name,
// or "<last event time>:<name>" in LastEventTime order.
func encodeStreamToken(k streamSortKey, byTime bool) string {
	raw := k.name
	if byTime {
		raw = strconv.FormatInt(k.time, 10) + ":" + k.name
	}
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeStreamToken(token string, byTime bool) (streamSortKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) == 0 {
		return streamSortKey{}, errInvalid(msgInvalidToken)
	}
	raw := string(b)
	if !byTime {
		return streamSortKey{name: raw}, nil
	}
	ts, name, ok := strings.Cut(raw, ":")
	t, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil {
		return streamSortKey{}, errInvalid(msgInvalidToken)
	}
	return streamSortKey{time: t, name: name}, nil
}
