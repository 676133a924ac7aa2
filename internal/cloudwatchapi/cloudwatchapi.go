// Package cloudwatchapi is the wire layer of Reservoir's CloudWatch (metrics
// and alarms, signing name "monitoring"): an awsproto.RPCService that serves
// the same operation table over the three protocols of CloudWatch's model
// (2010-08-01) — RPC v2 CBOR, JSON 1.0 and query — translating between the
// wire shapes and internal/cloudwatch, which decides everything.
//
// What the clients send, seen on the wire: aws-sdk-go-v2's
// service/cloudwatch v1.76.0 (schema-serde: no serializers.go; its client
// sets options.Protocol = rpcv2.NewCBOR) sends RPC v2 CBOR (POST
// /service/GraniteServiceVersion20100801/operation/<Op>, Content-Type
// application/cbor, Smithy-Protocol: rpc-v2-cbor, X-Amzn-Query-Mode: true);
// boto3/botocore 1.43 and the AWS CLI v1 (1.45.11) send JSON 1.0
// (X-Amz-Target: GraniteServiceVersion20100801.<Op>, Content-Type
// application/x-amz-json-1.0, x-amzn-query-mode: true); the Terraform
// provider hashicorp/aws 5.100.0 sends the query protocol
// (Action=<Op>&Version=2010-08-01, form-encoded). The SDKs gzip
// PutMetricData's body (Content-Encoding: gzip).
//
// Errors follow CloudWatch's awsQueryCompatible trait: JSON and CBOR carry
// the exception's shape name in __type and its query code in the
// x-amzn-query-error header, which the SDKs report as the error code; the
// query protocol carries the query code. A missing required member is
// MissingParameter ("The parameter X is required.", X as the query
// protocol names it).
package cloudwatchapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
)

// Names of the service on the wire.
const (
	SigningName  = "monitoring"
	TargetPrefix = "GraniteServiceVersion20100801" // also the CBOR service name
	Version      = "2010-08-01"
	Namespace    = "http://monitoring.amazonaws.com/doc/2010-08-01/"
)

// MaxBodyBytes caps a request body: PutMetricData's limit is 1 MB
// (inflated), the largest of the operations here.
const MaxBodyBytes = 1 << 20

// Domain is what the wire layer needs of internal/cloudwatch; its
// *Service implements it.
type Domain interface {
	PutMetricData(ctx context.Context, scope cloudwatch.Scope, in cloudwatch.PutMetricDataInput) (cloudwatch.PutMetricDataOutput, error)
	GetMetricStatistics(ctx context.Context, scope cloudwatch.Scope, in cloudwatch.GetMetricStatisticsInput) (cloudwatch.GetMetricStatisticsOutput, error)
	GetMetricData(ctx context.Context, scope cloudwatch.Scope, in cloudwatch.GetMetricDataInput) (cloudwatch.GetMetricDataOutput, error)
	ListMetrics(ctx context.Context, scope cloudwatch.Scope, in cloudwatch.ListMetricsInput) (cloudwatch.ListMetricsOutput, error)
	PutMetricAlarm(ctx context.Context, scope cloudwatch.Scope, in cloudwatch.PutMetricAlarmInput) (cloudwatch.PutMetricAlarmOutput, error)
	DescribeAlarms(ctx context.Context, scope cloudwatch.Scope, in cloudwatch.DescribeAlarmsInput) (cloudwatch.DescribeAlarmsOutput, error)
	DescribeAlarmsForMetric(ctx context.Context, scope cloudwatch.Scope, in cloudwatch.DescribeAlarmsForMetricInput) (cloudwatch.DescribeAlarmsForMetricOutput, error)
	DeleteAlarms(ctx context.Context, scope cloudwatch.Scope, in cloudwatch.DeleteAlarmsInput) (cloudwatch.DeleteAlarmsOutput, error)
	DescribeAlarmHistory(ctx context.Context, scope cloudwatch.Scope, in cloudwatch.DescribeAlarmHistoryInput) (cloudwatch.DescribeAlarmHistoryOutput, error)
	SetAlarmState(ctx context.Context, scope cloudwatch.Scope, in cloudwatch.SetAlarmStateInput) (cloudwatch.SetAlarmStateOutput, error)
	EnableAlarmActions(ctx context.Context, scope cloudwatch.Scope, in cloudwatch.EnableAlarmActionsInput) (cloudwatch.EnableAlarmActionsOutput, error)
	DisableAlarmActions(ctx context.Context, scope cloudwatch.Scope, in cloudwatch.DisableAlarmActionsInput) (cloudwatch.DisableAlarmActionsOutput, error)
	TagResource(ctx context.Context, scope cloudwatch.Scope, in cloudwatch.TagResourceInput) (cloudwatch.TagResourceOutput, error)
	UntagResource(ctx context.Context, scope cloudwatch.Scope, in cloudwatch.UntagResourceInput) (cloudwatch.UntagResourceOutput, error)
	ListTagsForResource(ctx context.Context, scope cloudwatch.Scope, in cloudwatch.ListTagsForResourceInput) (cloudwatch.ListTagsForResourceOutput, error)
}

// Service is CloudWatch as an RPC service of d, for Router.RegisterRPC.
func Service(d Domain) awsproto.RPCService {
	return awsproto.RPCService{
		SigningName: SigningName, TargetPrefix: TargetPrefix, JSONVersion: awsproto.JSON10,
		CBORService: TargetPrefix, QueryVersion: Version, QueryNamespace: Namespace,
		MaxBodyBytes: MaxBodyBytes,
		Operations:   operations(d),
		Errors:       wireError,
	}
}

// op makes an operation of its three steps: in checks the wire input and
// translates it, call is the domain's method, out translates its output.
func op[In, Out, DIn, DOut any](in func(*In) (DIn, error), call func(context.Context, cloudwatch.Scope, DIn) (DOut, error), out func(DOut) *Out) awsproto.Operation {
	return awsproto.Op(func(ctx context.Context, w *In) (*Out, error) {
		din, err := in(w)
		if err != nil {
			return nil, err
		}
		c := awsproto.CallerOf(ctx)
		dout, err := call(ctx, cloudwatch.Scope{Account: c.Account, Region: c.Region}, din)
		if err != nil {
			return nil, err
		}
		return out(dout), nil
	})
}

// none is the output translation of the operations without output.
func none[T any](T) *empty { return nil }

// wireError is the one error table: each domain code's exception (the
// JSON/CBOR __type), query code and HTTP status, as the model's error
// shapes give them.
func wireError(err error) (*awsproto.RPCError, bool) {
	var de *cloudwatch.Error
	if !errors.As(err, &de) {
		return nil, false
	}
	shape, status := "", http.StatusBadRequest
	switch de.Code {
	case cloudwatch.CodeInvalidParameterValue:
		shape = "InvalidParameterValueException"
	case cloudwatch.CodeMissingParameter:
		shape = "MissingRequiredParameterException"
	case cloudwatch.CodeInvalidParameterCombination:
		shape = "InvalidParameterCombinationException"
	case cloudwatch.CodeInvalidNextToken:
		shape = "InvalidNextToken"
	case cloudwatch.CodeLimitExceeded:
		shape = "LimitExceededFault"
	case cloudwatch.CodeInvalidFormat:
		shape = "InvalidFormatFault"
	case cloudwatch.CodeResourceNotFound:
		shape, status = "ResourceNotFound", http.StatusNotFound
	case cloudwatch.CodeResourceNotFoundException:
		shape, status = "ResourceNotFoundException", http.StatusNotFound
	default:
		return nil, false
	}
	e := &awsproto.RPCError{Status: status, Code: shape, QueryCode: string(de.Code), Message: de.Message}
	if de.ResourceType != "" || de.ResourceID != "" {
		e.Fields = map[string]string{"ResourceType": de.ResourceType, "ResourceId": de.ResourceID}
	}
	return e, true
}
