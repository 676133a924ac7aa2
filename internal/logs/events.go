package logs

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Event time limits of PutLogEvents.
const (
	maxFuture   = 2 * time.Hour
	maxPast     = 14 * 24 * time.Hour
	maxSpan     = 24 * time.Hour
	maxPageSize = 1 << 20 // GetLogEvents and FilterLogEvents pages: 1 MB of EventSize
	// maxScan bounds the events one FilterLogEvents call reads; the page
	// then ends early with a nextToken, as AWS's pages may.
	maxScan = 1 << 21
)

// PutLogEventsInput is PutLogEvents' request. Its sequence token is ignored,
// as AWS ignores it today.
type PutLogEventsInput struct {
	Group  string
	Stream string
	Events []InputEvent
}

// RejectedInfo says which events of a batch were not stored: those at
// TooNewStart and after, at TooOldEnd and before, at ExpiredEnd and before.
// nil members are absent.
type RejectedInfo struct {
	TooNewStart *int
	TooOldEnd   *int
	ExpiredEnd  *int
}

// PutLogEventsOutput is PutLogEvents' answer.
type PutLogEventsOutput struct {
	NextSequenceToken string
	Rejected          *RejectedInfo // nil: every event was stored
}

// PutLogEvents stores a batch of events in a stream. Events more than two
// hours in the future, older than 14 days, or older than the group's
// retention are rejected (and reported); the rest are stored.
func (s *Service) PutLogEvents(ctx context.Context, scope Scope, in PutLogEventsInput) (PutLogEventsOutput, error) {
	var v violations
	v.checkGroupName("logGroupName", in.Group)
	v.checkStreamName("logStreamName", in.Stream)
	if len(in.Events) < 1 {
		v.add("logEvents", cMinLen, 1)
	} else if len(in.Events) > maxBatchEvents {
		v.add("logEvents", cMaxLen, maxBatchEvents)
	}
	for i, ev := range in.Events {
		if ev.Message == "" {
			v.add("logEvents."+strconv.Itoa(i+1)+".member.message", cMinLen, 1)
		}
		if ev.Timestamp < 0 {
			v.add("logEvents."+strconv.Itoa(i+1)+".member.timestamp", cMinValue, 0)
		}
	}
	if err := v.err(); err != nil {
		return PutLogEventsOutput{}, err
	}
	var total int64
	for i, ev := range in.Events {
		if i > 0 && ev.Timestamp < in.Events[i-1].Timestamp {
			return PutLogEventsOutput{}, errInvalid(msgChronological)
		}
		size := EventSize(ev.Message)
		if size > maxEventBytes {
			// chosen: the wording of AWS's former 256 KB message, with the
			// present limit.
			return PutLogEventsOutput{}, errInvalid(fmt.Sprintf("Log event too large: %d bytes exceeds limit of %d", size, maxEventBytes))
		}
		total += size
	}
	if total > maxBatchBytes {
		return PutLogEventsOutput{}, errInvalid(fmt.Sprintf("Upload too large: %d bytes exceeds limit of %d", total, maxBatchBytes))
	}

	w, err := s.lockWrites(ctx)
	if err != nil {
		return PutLogEventsOutput{}, err
	}
	defer w.unlock()
	g, err := s.group(scope, in.Group)
	if err != nil {
		return PutLogEventsOutput{}, err
	}
	if _, streamOK := s.streamExists(scope, in.Group, in.Stream); !streamOK {
		return PutLogEventsOutput{}, errStreamNotFound()
	}

	now := s.clock.Now()
	valid, rejected := admit(in.Events, now, g.RetentionDays)
	if len(valid) > 0 && valid[len(valid)-1].Timestamp-valid[0].Timestamp > maxSpan.Milliseconds() {
		return PutLogEventsOutput{}, errInvalid(msgSpan24h)
	}
	st, err := w.append(ctx, []Append{{Scope: scope, Group: in.Group, Stream: in.Stream, IngestionTime: Millis(now), Events: valid}})
	if err != nil {
		return PutLogEventsOutput{}, err
	}
	return PutLogEventsOutput{NextSequenceToken: sequenceToken(st[0]), Rejected: rejected}, nil
}

// admit splits a chronological batch into the events PutLogEvents stores
// and the report of those it rejects. An event both too old and past the
// retention counts as too old.
func admit(events []InputEvent, now time.Time, retentionDays int) ([]InputEvent, *RejectedInfo) {
	newest := Millis(now.Add(maxFuture))
	oldest := Millis(now.Add(-maxPast))
	expired := int64(math.MinInt64)
	if retentionDays > 0 {
		expired = Millis(now.Add(-time.Duration(retentionDays) * 24 * time.Hour))
	}
	var r RejectedInfo
	var valid []InputEvent
	for i, ev := range events {
		switch {
		case ev.Timestamp > newest:
			if r.TooNewStart == nil {
				r.TooNewStart = &i
			}
		case ev.Timestamp < oldest:
			r.TooOldEnd = &i
		case ev.Timestamp < expired:
			r.ExpiredEnd = &i
		default:
			valid = append(valid, ev)
		}
	}
	if r == (RejectedInfo{}) {
		return valid, nil
	}
	return valid, &r
}

// append stores batches of events in existing streams and commits the
// streams' new figures.
func (w *writer) append(ctx context.Context, batches []Append) ([]Stream, error) {
	s := w.s
	streams, err := s.store.AppendLogEvents(ctx, batches)
	if err != nil {
		return nil, fmt.Errorf("logs: append events: %w", err)
	}
	for i, b := range batches {
		w.putStream(b.Scope, b.Group, streams[i])
	}
	if s.maxBytes > 0 && s.StoredBytes() > s.maxBytes {
		s.kickSweeper()
	}
	return streams, nil
}

// GetLogEventsInput is GetLogEvents' request; exactly one of Group and
// GroupIdentifier names the group. nil and "" members are absent.
type GetLogEventsInput struct {
	Group           string
	GroupIdentifier string
	Stream          string
	StartTime       *int64 // included
	EndTime         *int64 // excluded
	Limit           *int
	NextToken       string
	StartFromHead   bool
}

// OutputEvent is an event as GetLogEvents returns it.
type OutputEvent struct {
	Timestamp     int64
	Message       string
	IngestionTime int64
}

// GetLogEventsOutput is one page of a stream's events, oldest first, and the
// tokens that move from it: forward to later events, backward to earlier
// ones. At either end the token of that direction is the one passed in.
type GetLogEventsOutput struct {
	Events            []OutputEvent
	NextForwardToken  string
	NextBackwardToken string
}

// GetLogEvents reads a page of one stream's events.
//
// Without a token it returns the latest events of the time range (the
// earliest with StartFromHead). A forward token "f/<key>/s" resumes at the
// event with that key or the first after it; a backward token "b/<key>/s"
// returns the events just before that key.
func (s *Service) GetLogEvents(ctx context.Context, scope Scope, in GetLogEventsInput) (GetLogEventsOutput, error) {
	var v violations
	v.checkGroupRef(in.Group, in.GroupIdentifier)
	v.checkStreamName("logStreamName", in.Stream)
	v.checkTimestamp("startTime", in.StartTime)
	v.checkTimestamp("endTime", in.EndTime)
	v.checkLimit("limit", in.Limit, maxEventsLimit)
	if err := v.err(); err != nil {
		return GetLogEventsOutput{}, err
	}
	group, err := resolveGroup(scope, in.Group, in.GroupIdentifier)
	if err != nil {
		return GetLogEventsOutput{}, err
	}
	var tok streamToken
	if in.NextToken != "" {
		if tok, err = parseStreamToken(in.NextToken); err != nil {
			return GetLogEventsOutput{}, err
		}
	}
	switch groupOK, streamOK := s.streamExists(scope, group, in.Stream); {
	case !groupOK:
		return GetLogEventsOutput{}, errGroupNotFound()
	case !streamOK:
		return GetLogEventsOutput{}, errStreamNotFound()
	}

	r := KeyRange{From: EventKey{}, To: EventKey{Timestamp: math.MaxInt64, Seq: math.MaxUint64}}
	if in.StartTime != nil {
		r.From = EventKey{Timestamp: *in.StartTime}
	}
	if in.EndTime != nil {
		r.To = EventKey{Timestamp: *in.EndTime}.prev()
	}
	limit := maxEventsLimit
	if in.Limit != nil {
		limit = *in.Limit
	}

	forward := in.StartFromHead
	scan := r
	if in.NextToken != "" {
		forward = tok.forward
		if forward {
			scan.From = maxKey(scan.From, tok.key)
		} else {
			scan.To = minKey(scan.To, tok.key.prev())
		}
	}
	var events []OutputEvent
	var first, last EventKey
	size := 0
	err = s.store.ScanLogStream(ctx, scope, group, in.Stream, scan, !forward, func(ev StoredEvent) bool {
		n := len(ev.Message) + eventOverhead
		if len(events) > 0 && size+n > maxPageSize {
			return false
		}
		size += n
		events = append(events, OutputEvent{Timestamp: ev.Key.Timestamp, Message: string(ev.Message), IngestionTime: ev.IngestionTime})
		if len(events) == 1 {
			first, last = ev.Key, ev.Key
		}
		if forward {
			last = ev.Key
		} else {
			first = ev.Key
		}
		return len(events) < limit
	})
	if err != nil {
		return GetLogEventsOutput{}, fmt.Errorf("logs: read stream %s of %s: %w", in.Stream, group, err)
	}
	if !forward {
		slices.Reverse(events)
	}

	out := GetLogEventsOutput{Events: events}
	switch {
	case len(events) > 0:
		out.NextForwardToken = streamToken{forward: true, key: last.next()}.String()
		out.NextBackwardToken = streamToken{key: first}.String()
	case in.NextToken != "":
		// At the end in the token's direction: the same token back, and
		// the other direction from the same place.
		out.NextForwardToken = streamToken{forward: true, key: tok.key}.String()
		out.NextBackwardToken = streamToken{key: tok.key}.String()
	default:
		out.NextForwardToken = streamToken{forward: true, key: r.From}.String()
		out.NextBackwardToken = streamToken{key: r.From}.String()
	}
	if out.Events == nil {
		out.Events = []OutputEvent{}
	}
	return out, nil
}

func maxKey(a, b EventKey) EventKey {
	if a.Less(b) {
		return b
	}
	return a
}

func minKey(a, b EventKey) EventKey {
	if a.Less(b) {
		return a
	}
	return b
}

// streamToken is a position in a stream: a forward token reads the events
// at key and after, a backward token those before key.
type streamToken struct {
	forward bool
	key     EventKey
}

// String writes the token as AWS shapes its tokens: "f/" or "b/", the
// 56-digit event ID of the key, "/s".
func (t streamToken) String() string {
	dir := "b/"
	if t.forward {
		dir = "f/"
	}
	return dir + eventID(t.key) + "/s"
}

func parseStreamToken(s string) (streamToken, error) {
	var t streamToken
	switch {
	case strings.HasPrefix(s, "f/"):
		t.forward = true
	case strings.HasPrefix(s, "b/"):
	default:
		return t, errInvalid(msgInvalidToken)
	}
	id, ok := strings.CutSuffix(s[2:], "/s")
	key, okID := parseEventID(id)
	if !ok || !okID {
		return t, errInvalid(msgInvalidToken)
	}
	t.key = key
	return t, nil
}

// eventID is an event's ID as FilterLogEvents reports it: 56 digits, the
// 20-digit timestamp then the 36-digit sequence number, so IDs sort as keys.
func eventID(k EventKey) string {
	var b [56]byte
	putDigits(b[:20], uint64(k.Timestamp))
	putDigits(b[20:], k.Seq)
	return string(b[:])
}

// putDigits writes v in decimal, zero-padded to fill b.
func putDigits(b []byte, v uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}

func parseEventID(id string) (EventKey, bool) {
	if len(id) != 56 || !allBytes(id, func(c byte) bool { return c >= '0' && c <= '9' }) {
		return EventKey{}, false
	}
	ts, err1 := strconv.ParseUint(id[:20], 10, 64)
	seq, err2 := strconv.ParseUint(id[20:], 10, 64)
	if err1 != nil || err2 != nil || ts > math.MaxInt64 {
		return EventKey{}, false
	}
	return EventKey{Timestamp: int64(ts), Seq: seq}, true
}

// FilterLogEventsInput is FilterLogEvents' request; exactly one of Group and
// GroupIdentifier names the group. nil and "" members are absent.
type FilterLogEventsInput struct {
	Group            string
	GroupIdentifier  string
	StreamNames      []string
	StreamNamePrefix string
	StartTime        *int64 // included
	EndTime          *int64 // included
	FilterPattern    string
	Limit            *int
	NextToken        string
}

// FilteredEvent is an event as FilterLogEvents returns it.
type FilteredEvent struct {
	StreamName    string
	Timestamp     int64
	Message       string
	IngestionTime int64
	EventID       string
}

// FilterLogEventsOutput is one page of matching events, in (timestamp,
// arrival) order across the group's streams. NextToken is "" when the search
// is complete; a page may hold fewer events than the limit, even none, and
// still have a NextToken.
type FilterLogEventsOutput struct {
	Events    []FilteredEvent
	NextToken string
}

// FilterLogEvents searches a group's events with a filter pattern.
func (s *Service) FilterLogEvents(ctx context.Context, scope Scope, in FilterLogEventsInput) (FilterLogEventsOutput, error) {
	var v violations
	v.checkGroupRef(in.Group, in.GroupIdentifier)
	if in.StreamNames != nil {
		if len(in.StreamNames) < 1 {
			v.add("logStreamNames", cMinLen, 1)
		} else if len(in.StreamNames) > maxStreamNames {
			v.add("logStreamNames", cMaxLen, maxStreamNames)
		}
		for i, name := range in.StreamNames {
			v.checkStreamName("logStreamNames."+strconv.Itoa(i+1)+".member", name)
		}
	}
	if in.StreamNamePrefix != "" {
		v.checkStreamName("logStreamNamePrefix", in.StreamNamePrefix)
	}
	v.checkTimestamp("startTime", in.StartTime)
	v.checkTimestamp("endTime", in.EndTime)
	if length(in.FilterPattern) > maxPatternLen {
		v.add("filterPattern", cMaxLen, maxPatternLen)
	}
	v.checkLimit("limit", in.Limit, maxEventsLimit)
	if err := v.err(); err != nil {
		return FilterLogEventsOutput{}, err
	}
	group, err := resolveGroup(scope, in.Group, in.GroupIdentifier)
	if err != nil {
		return FilterLogEventsOutput{}, err
	}
	if in.StreamNames != nil && in.StreamNamePrefix != "" {
		return FilterLogEventsOutput{}, errInvalid(msgNamesAndPrefix)
	}
	pattern, err := ParsePattern(in.FilterPattern)
	if err != nil {
		return FilterLogEventsOutput{}, err
	}
	r := timeRange(0, math.MaxInt64)
	if in.StartTime != nil {
		r.From.Timestamp = *in.StartTime
	}
	if in.EndTime != nil {
		r.To.Timestamp = *in.EndTime
	}
	if in.NextToken != "" {
		after, err := decodeFilterToken(in.NextToken)
		if err != nil {
			return FilterLogEventsOutput{}, err
		}
		r.From = maxKey(r.From, after.next())
	}
	limit := maxEventsLimit
	if in.Limit != nil {
		limit = *in.Limit
	}
	streams, ok := s.streamsToSearch(scope, group, in.StreamNames, in.StreamNamePrefix, r)
	if !ok {
		return FilterLogEventsOutput{}, errGroupNotFound()
	}
	out := FilterLogEventsOutput{Events: []FilteredEvent{}}
	if len(streams) == 0 || r.Empty() {
		return out, nil
	}

	size, scanned := 0, 0
	var lastScanned EventKey
	more := false
	err = s.store.ScanLogGroup(ctx, scope, group, streams, r, func(stream string, ev StoredEvent) bool {
		if scanned == maxScan || len(out.Events) == limit {
			more = true
			return false
		}
		if pattern.Match(ev.Message) {
			n := len(ev.Message) + eventOverhead
			if len(out.Events) > 0 && size+n > maxPageSize {
				more = true
				return false
			}
			size += n
			out.Events = append(out.Events, FilteredEvent{
				StreamName: stream, Timestamp: ev.Key.Timestamp, Message: string(ev.Message),
				IngestionTime: ev.IngestionTime, EventID: eventID(ev.Key),
			})
		}
		scanned++
		lastScanned = ev.Key
		return true
	})
	if err != nil {
		return FilterLogEventsOutput{}, fmt.Errorf("logs: search group %s: %w", group, err)
	}
	if more {
		out.NextToken = encodeFilterToken(lastScanned)
	}
	return out, nil
}

// streamsToSearch returns the names of the group's streams a search reads:
// those named (or all, or those with the prefix) that hold events in r's
// time span. ok is false when the group does not exist.
func (s *Service) streamsToSearch(scope Scope, group string, names []string, prefix string, r KeyRange) (streams []string, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	gs, ok := s.scopes[scope][group]
	if !ok {
		return nil, false
	}
	keep := func(st *Stream) bool {
		return st.Events > 0 && st.LastEventTimestamp >= r.From.Timestamp && st.FirstEventTimestamp <= r.To.Timestamp
	}
	if names != nil {
		for _, name := range names {
			if st, ok := gs.streams[name]; ok && keep(st) && !slices.Contains(streams, name) {
				streams = append(streams, name)
			}
		}
		return streams, true
	}
	for name, st := range gs.streams {
		if strings.HasPrefix(name, prefix) && keep(st) {
			streams = append(streams, name)
		}
	}
	slices.Sort(streams)
	return streams, true
}

// A FilterLogEvents token is the base64 of the event ID of the last event
// the call read: the next call resumes after it.
func encodeFilterToken(k EventKey) string {
	return base64.RawURLEncoding.EncodeToString([]byte(eventID(k)))
}

func decodeFilterToken(token string) (EventKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return EventKey{}, errInvalid(msgInvalidToken)
	}
	k, ok := parseEventID(string(b))
	if !ok {
		return EventKey{}, errInvalid(msgInvalidToken)
	}
	return k, nil
}
