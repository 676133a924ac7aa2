package logsapi

import (
	"context"

	"github.com/reservoir-dev/reservoir/internal/logs"
)

type logStreamInput struct {
	LogGroupName  *string `json:"logGroupName"`
	LogStreamName *string `json:"logStreamName"`
}

func (in *logStreamInput) check() error {
	var r required
	r.need("logGroupName", in.LogGroupName == nil)
	r.need("logStreamName", in.LogStreamName == nil)
	return r.err()
}

func (a api) createLogStream(ctx context.Context, in *logStreamInput) (*struct{}, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	return nil, a.d.CreateLogStream(ctx, scope(ctx), *in.LogGroupName, *in.LogStreamName)
}

func (a api) deleteLogStream(ctx context.Context, in *logStreamInput) (*struct{}, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	return nil, a.d.DeleteLogStream(ctx, scope(ctx), *in.LogGroupName, *in.LogStreamName)
}

type describeLogStreamsInput struct {
	LogGroupName        string `json:"logGroupName"`
	LogGroupIdentifier  string `json:"logGroupIdentifier"`
	LogStreamNamePrefix string `json:"logStreamNamePrefix"`
	OrderBy             string `json:"orderBy"`
	Descending          bool   `json:"descending"`
	NextToken           string `json:"nextToken"`
	Limit               *int   `json:"limit"`
}

type logStream struct {
	LogStreamName       string `json:"logStreamName"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp *int64 `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  *int64 `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   *int64 `json:"lastIngestionTime,omitempty"`
	UploadSequenceToken string `json:"uploadSequenceToken,omitempty"`
	Arn                 string `json:"arn"`
	// StoredBytes is deprecated: AWS has answered 0 since June 2019.
	StoredBytes int64 `json:"storedBytes"`
}

type describeLogStreamsOutput struct {
	LogStreams []logStream `json:"logStreams"`
	NextToken  string      `json:"nextToken,omitempty"`
}

func (a api) describeLogStreams(ctx context.Context, in *describeLogStreamsInput) (*describeLogStreamsOutput, error) {
	res, err := a.d.DescribeLogStreams(ctx, scope(ctx), logs.DescribeLogStreamsInput{
		Group: in.LogGroupName, GroupIdentifier: in.LogGroupIdentifier, Prefix: in.LogStreamNamePrefix,
		OrderBy: logs.OrderBy(in.OrderBy), Descending: in.Descending, Limit: in.Limit, NextToken: in.NextToken,
	})
	if err != nil {
		return nil, err
	}
	out := &describeLogStreamsOutput{LogStreams: make([]logStream, len(res.Streams)), NextToken: res.NextToken}
	for i, s := range res.Streams {
		out.LogStreams[i] = logStream{
			LogStreamName: s.Name, CreationTime: s.CreationTime, FirstEventTimestamp: s.FirstEventTimestamp,
			LastEventTimestamp: s.LastEventTimestamp, LastIngestionTime: s.LastIngestionTime,
			UploadSequenceToken: s.UploadSequenceToken, Arn: s.ARN,
		}
	}
	return out, nil
}
