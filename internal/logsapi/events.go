package logsapi

import (
	"context"
	"strconv"

	"github.com/reservoir-dev/reservoir/internal/logs"
)

type inputLogEvent struct {
	Timestamp *int64  `json:"timestamp"`
	Message   *string `json:"message"`
}

type putLogEventsInput struct {
	LogGroupName  *string         `json:"logGroupName"`
	LogStreamName *string         `json:"logStreamName"`
	LogEvents     []inputLogEvent `json:"logEvents"`
	// SequenceToken is ignored, as AWS ignores it today.
	SequenceToken string `json:"sequenceToken"`
}

type rejectedLogEventsInfo struct {
	TooNewLogEventStartIndex *int `json:"tooNewLogEventStartIndex,omitempty"`
	TooOldLogEventEndIndex   *int `json:"tooOldLogEventEndIndex,omitempty"`
	ExpiredLogEventEndIndex  *int `json:"expiredLogEventEndIndex,omitempty"`
}

type putLogEventsOutput struct {
	NextSequenceToken     string                 `json:"nextSequenceToken,omitempty"`
	RejectedLogEventsInfo *rejectedLogEventsInfo `json:"rejectedLogEventsInfo,omitempty"`
}

func (a api) putLogEvents(ctx context.Context, in *putLogEventsInput) (*putLogEventsOutput, error) {
	var r required
	r.need("logGroupName", in.LogGroupName == nil)
	r.need("logStreamName", in.LogStreamName == nil)
	r.need("logEvents", in.LogEvents == nil)
	for i, ev := range in.LogEvents {
		member := "logEvents." + strconv.Itoa(i+1) + ".member."
		r.need(member+"timestamp", ev.Timestamp == nil)
		r.need(member+"message", ev.Message == nil)
	}
	if err := r.err(); err != nil {
		return nil, err
	}
	events := make([]logs.InputEvent, len(in.LogEvents))
	for i, ev := range in.LogEvents {
		events[i] = logs.InputEvent{Timestamp: *ev.Timestamp, Message: *ev.Message}
	}
	res, err := a.d.PutLogEvents(ctx, scope(ctx), logs.PutLogEventsInput{Group: *in.LogGroupName, Stream: *in.LogStreamName, Events: events})
	if err != nil {
		return nil, err
	}
	out := &putLogEventsOutput{NextSequenceToken: res.NextSequenceToken}
	if rj := res.Rejected; rj != nil {
		out.RejectedLogEventsInfo = &rejectedLogEventsInfo{
			TooNewLogEventStartIndex: rj.TooNewStart, TooOldLogEventEndIndex: rj.TooOldEnd, ExpiredLogEventEndIndex: rj.ExpiredEnd,
		}
	}
	return out, nil
}

type getLogEventsInput struct {
	LogGroupName       string  `json:"logGroupName"`
	LogGroupIdentifier string  `json:"logGroupIdentifier"`
	LogStreamName      *string `json:"logStreamName"`
	StartTime          *int64  `json:"startTime"`
	EndTime            *int64  `json:"endTime"`
	NextToken          string  `json:"nextToken"`
	Limit              *int    `json:"limit"`
	StartFromHead      bool    `json:"startFromHead"`
	// Unmask needs data protection policies, which do not exist here:
	// nothing is ever masked.
	Unmask bool `json:"unmask"`
}

type outputLogEvent struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
}

type getLogEventsOutput struct {
	Events            []outputLogEvent `json:"events"`
	NextForwardToken  string           `json:"nextForwardToken,omitempty"`
	NextBackwardToken string           `json:"nextBackwardToken,omitempty"`
}

func (a api) getLogEvents(ctx context.Context, in *getLogEventsInput) (*getLogEventsOutput, error) {
	var r required
	r.need("logStreamName", in.LogStreamName == nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	res, err := a.d.GetLogEvents(ctx, scope(ctx), logs.GetLogEventsInput{
		Group: in.LogGroupName, GroupIdentifier: in.LogGroupIdentifier, Stream: *in.LogStreamName,
		StartTime: in.StartTime, EndTime: in.EndTime, Limit: in.Limit, NextToken: in.NextToken, StartFromHead: in.StartFromHead,
	})
	if err != nil {
		return nil, err
	}
	out := &getLogEventsOutput{Events: make([]outputLogEvent, len(res.Events)),
		NextForwardToken: res.NextForwardToken, NextBackwardToken: res.NextBackwardToken}
	for i, ev := range res.Events {
		out.Events[i] = outputLogEvent{Timestamp: ev.Timestamp, Message: ev.Message, IngestionTime: ev.IngestionTime}
	}
	return out, nil
}

type filterLogEventsInput struct {
	LogGroupName        string   `json:"logGroupName"`
	LogGroupIdentifier  string   `json:"logGroupIdentifier"`
	LogStreamNames      []string `json:"logStreamNames"`
	LogStreamNamePrefix string   `json:"logStreamNamePrefix"`
	StartTime           *int64   `json:"startTime"`
	EndTime             *int64   `json:"endTime"`
	FilterPattern       string   `json:"filterPattern"`
	NextToken           string   `json:"nextToken"`
	Limit               *int     `json:"limit"`
	// Interleaved is deprecated and ignored (AWS always interleaves now);
	// Unmask as GetLogEvents'.
	Interleaved bool `json:"interleaved"`
	Unmask      bool `json:"unmask"`
}

type filteredLogEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

type filterLogEventsOutput struct {
	Events    []filteredLogEvent `json:"events"`
	NextToken string             `json:"nextToken,omitempty"`
}

func (a api) filterLogEvents(ctx context.Context, in *filterLogEventsInput) (*filterLogEventsOutput, error) {
	res, err := a.d.FilterLogEvents(ctx, scope(ctx), logs.FilterLogEventsInput{
		Group: in.LogGroupName, GroupIdentifier: in.LogGroupIdentifier, StreamNames: in.LogStreamNames,
		StreamNamePrefix: in.LogStreamNamePrefix, StartTime: in.StartTime, EndTime: in.EndTime,
		FilterPattern: in.FilterPattern, Limit: in.Limit, NextToken: in.NextToken,
	})
	if err != nil {
		return nil, err
	}
	out := &filterLogEventsOutput{Events: make([]filteredLogEvent, len(res.Events)), NextToken: res.NextToken}
	for i, ev := range res.Events {
		out.Events[i] = filteredLogEvent{LogStreamName: ev.StreamName, Timestamp: ev.Timestamp, Message: ev.Message,
			IngestionTime: ev.IngestionTime, EventID: ev.EventID}
	}
	return out, nil
}
