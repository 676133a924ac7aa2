// Package logsapi is the CloudWatch Logs wire layer: the JSON 1.1 protocol
// (X-Amz-Target: Logs_20140328.<Op>, signing name "logs") translated into
// calls of the logs domain. It declares the operation table, the wire shapes
// with botocore's member names, the check of required members, and the one
// table that maps domain errors to AWS's; it decides nothing itself.
package logsapi

import (
	"context"
	"slices"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/logs"
)

// The protocol constants of botocore's logs model.
const (
	SigningName  = "logs"
	TargetPrefix = "Logs_20140328"
)

// Domain is what the wire layer calls: *logs.Service.
type Domain interface {
	CreateLogGroup(ctx context.Context, scope logs.Scope, in logs.CreateLogGroupInput) error
	DeleteLogGroup(ctx context.Context, scope logs.Scope, name string) error
	DescribeLogGroups(ctx context.Context, scope logs.Scope, in logs.DescribeLogGroupsInput) (logs.DescribeLogGroupsOutput, error)
	PutRetentionPolicy(ctx context.Context, scope logs.Scope, name string, days int) error
	DeleteRetentionPolicy(ctx context.Context, scope logs.Scope, name string) error
	CreateLogStream(ctx context.Context, scope logs.Scope, group, stream string) error
	DescribeLogStreams(ctx context.Context, scope logs.Scope, in logs.DescribeLogStreamsInput) (logs.DescribeLogStreamsOutput, error)
	DeleteLogStream(ctx context.Context, scope logs.Scope, group, stream string) error
	PutLogEvents(ctx context.Context, scope logs.Scope, in logs.PutLogEventsInput) (logs.PutLogEventsOutput, error)
	GetLogEvents(ctx context.Context, scope logs.Scope, in logs.GetLogEventsInput) (logs.GetLogEventsOutput, error)
	FilterLogEvents(ctx context.Context, scope logs.Scope, in logs.FilterLogEventsInput) (logs.FilterLogEventsOutput, error)
	TagResource(ctx context.Context, scope logs.Scope, arn string, tags map[string]string) error
	UntagResource(ctx context.Context, scope logs.Scope, arn string, keys []string) error
	ListTagsForResource(ctx context.Context, scope logs.Scope, arn string) (map[string]string, error)
	TagLogGroup(ctx context.Context, scope logs.Scope, name string, tags map[string]string) error
	UntagLogGroup(ctx context.Context, scope logs.Scope, name string, keys []string) error
	ListTagsLogGroup(ctx context.Context, scope logs.Scope, name string) (map[string]string, error)
}

// api binds the handlers to the domain.
type api struct{ d Domain }

// Service returns the CloudWatch Logs RPC service for Router.RegisterRPC.
func Service(d Domain) awsproto.RPCService {
	a := api{d}
	return awsproto.RPCService{
		SigningName:  SigningName,
		TargetPrefix: TargetPrefix,
		JSONVersion:  awsproto.JSON11,
		// PutLogEvents takes up to 1 MiB of events, as JSON with escapes.
		MaxBodyBytes: 4 << 20,
		Operations: map[string]awsproto.Operation{
			"CreateLogGroup":        awsproto.Op(a.createLogGroup),
			"DeleteLogGroup":        awsproto.Op(a.deleteLogGroup),
			"DescribeLogGroups":     awsproto.Op(a.describeLogGroups),
			"PutRetentionPolicy":    awsproto.Op(a.putRetentionPolicy),
			"DeleteRetentionPolicy": awsproto.Op(a.deleteRetentionPolicy),
			"CreateLogStream":       awsproto.Op(a.createLogStream),
			"DescribeLogStreams":    awsproto.Op(a.describeLogStreams),
			"DeleteLogStream":       awsproto.Op(a.deleteLogStream),
			"PutLogEvents":          awsproto.Op(a.putLogEvents),
			"GetLogEvents":          awsproto.Op(a.getLogEvents),
			"FilterLogEvents":       awsproto.Op(a.filterLogEvents),
			"TagResource":           awsproto.Op(a.tagResource),
			"UntagResource":         awsproto.Op(a.untagResource),
			"ListTagsForResource":   awsproto.Op(a.listTagsForResource),
			"TagLogGroup":           awsproto.Op(a.tagLogGroup),
			"UntagLogGroup":         awsproto.Op(a.untagLogGroup),
			"ListTagsLogGroup":      awsproto.Op(a.listTagsLogGroup),
		},
		Errors: wireError,
	}
}

// Operations lists the operations served, sorted (README's list is checked
// against it).
func Operations() []string {
	ops := Service(nil).Operations
	names := make([]string, 0, len(ops))
	for n := range ops {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// scope is the caller's account in the region its signature names.
func scope(ctx context.Context) logs.Scope {
	c := awsproto.CallerOf(ctx)
	return logs.Scope{Account: c.Account, Region: c.Region}
}
