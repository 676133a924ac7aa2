package cloudwatchapi_test

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// TestSDKAlarmsAndMetricsInEveryProtocol: aws-sdk-go-v2's CloudWatch client
// against the real server, in its own RPC v2 CBOR and made to speak JSON
// 1.0 and query: an alarm's lifecycle (put with tags, describe, state,
// history, actions off, delete), metric data in and statistics and the
// metric list out, the model's errors, and scopes kept apart by region.
func TestSDKAlarmsAndMetricsInEveryProtocol(t *testing.T) {
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		protocol smithyhttp.ClientProtocol
	}{
		{"cbor", nil},
		{"json", awsjson.New10(schemas.GraniteServiceVersion20100801)},
		{"query", awsquery.New(schemas.GraniteServiceVersion20100801)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := func(region string) *cloudwatch.Client {
				return cloudwatch.NewFromConfig(srv.AWSConfigFor("123456789012", region), func(o *cloudwatch.Options) {
					if tc.protocol != nil {
						o.Protocol = tc.protocol
					}
				})
			}
			cw := client("eu-west-1")
			name := "throttles-" + tc.name
			_, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
				AlarmName: aws.String(name), AlarmDescription: aws.String("too many throttles"),
				Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Throttles"),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("fn")}},
				Statistic:  cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(2), DatapointsToAlarm: aws.Int32(1),
				Threshold: aws.Float64(0.5), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
				TreatMissingData: aws.String("notBreaching"),
				Tags:             []cwtypes.Tag{{Key: aws.String("team"), Value: aws.String("core")}},
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.MetricAlarms) != 1 {
				t.Fatalf("DescribeAlarms = %+v", got.MetricAlarms)
			}
			a := got.MetricAlarms[0]
			arn := "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:" + name
			if aws.ToString(a.AlarmArn) != arn || aws.ToString(a.AlarmDescription) != "too many throttles" ||
				aws.ToFloat64(a.Threshold) != 0.5 || aws.ToInt32(a.Period) != 60 || aws.ToInt32(a.EvaluationPeriods) != 2 ||
				aws.ToInt32(a.DatapointsToAlarm) != 1 || a.Statistic != cwtypes.StatisticSum || !aws.ToBool(a.ActionsEnabled) ||
				len(a.Dimensions) != 1 || aws.ToString(a.Dimensions[0].Value) != "fn" || aws.ToString(a.TreatMissingData) != "notBreaching" ||
				a.StateValue == "" || a.AlarmConfigurationUpdatedTimestamp == nil {
				t.Errorf("alarm = %+v", a)
			}
			tags, err := cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
			if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" {
				t.Errorf("ListTagsForResource = %+v, %v", tags, err)
			}
			if other, err := client("us-east-1").DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}}); err != nil || len(other.MetricAlarms) != 0 {
				t.Errorf("another region sees %+v, %v", other, err)
			}

			if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(name),
				StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("testing")}); err != nil {
				t.Fatal(err)
			}
			hist, err := cw.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String(name),
				HistoryItemType: cwtypes.HistoryItemTypeStateUpdate})
			if err != nil || len(hist.AlarmHistoryItems) == 0 || hist.AlarmHistoryItems[0].Timestamp == nil {
				t.Errorf("DescribeAlarmHistory = %+v, %v", hist, err)
			}
			if _, err := cw.DisableAlarmActions(ctx, &cloudwatch.DisableAlarmActionsInput{AlarmNames: []string{name}}); err != nil {
				t.Fatal(err)
			}
			got, err = cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
			if err != nil || len(got.MetricAlarms) != 1 || aws.ToBool(got.MetricAlarms[0].ActionsEnabled) || got.MetricAlarms[0].StateValue != cwtypes.StateValueAlarm {
				t.Errorf("after SetAlarmState and DisableAlarmActions: %+v, %v", got, err)
			}
			if _, err := cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{name}}); err != nil {
				t.Fatal(err)
			}
			_, err = cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(name),
				StateValue: cwtypes.StateValueOk, StateReason: aws.String("gone")})
			if code := errorCode(err); code != "ResourceNotFound" {
				t.Errorf("SetAlarmState of a deleted alarm: %v", err)
			}

			ns := "Custom/" + tc.name
			at := time.Now().UTC().Truncate(time.Minute).Add(-2 * time.Minute)
			if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(ns), MetricData: []cwtypes.MetricDatum{
				{MetricName: aws.String("Hits"), Timestamp: aws.Time(at), Value: aws.Float64(2), Unit: cwtypes.StandardUnitCount},
				{MetricName: aws.String("Hits"), Timestamp: aws.Time(at.Add(10 * time.Second)), Values: []float64{1, 5}, Counts: []float64{1, 2}, Unit: cwtypes.StandardUnitCount},
			}}); err != nil {
				t.Fatal(err)
			}
			stats, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String(ns), MetricName: aws.String("Hits"),
				StartTime: aws.Time(at.Add(-time.Minute)), EndTime: aws.Time(at.Add(time.Minute)), Period: aws.Int32(60),
				Statistics: []cwtypes.Statistic{cwtypes.StatisticSum, cwtypes.StatisticSampleCount, cwtypes.StatisticMaximum}})
			if err != nil {
				t.Fatal(err)
			}
			if len(stats.Datapoints) != 1 || aws.ToFloat64(stats.Datapoints[0].Sum) != 13 || aws.ToFloat64(stats.Datapoints[0].SampleCount) != 4 ||
				aws.ToFloat64(stats.Datapoints[0].Maximum) != 5 || !aws.ToTime(stats.Datapoints[0].Timestamp).Equal(at) || stats.Datapoints[0].Average != nil {
				t.Errorf("GetMetricStatistics = %+v", stats.Datapoints)
			}
			list, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String(ns)})
			if err != nil || len(list.Metrics) != 1 || aws.ToString(list.Metrics[0].MetricName) != "Hits" {
				t.Errorf("ListMetrics = %+v, %v", list, err)
			}

			_, err = cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("bad-" + tc.name), Namespace: aws.String("AWS/Lambda"),
				MetricName: aws.String("Errors"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
				Threshold: aws.Float64(1), ComparisonOperator: "Sideways"})
			var ipv *cwtypes.InvalidParameterValueException
			if !errors.As(err, &ipv) {
				t.Errorf("a bad comparison operator: %v", err)
			}
		})
	}
}

// TestMissingRequiredMember: a required member the SDKs would not let out
// (they check before sending) is MissingParameter, named as the query
// protocol names it, and nothing is stored.
func TestMissingRequiredMember(t *testing.T) {
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	form := "Action=PutMetricData&Version=2010-08-01&Namespace=N&MetricData.member.1.MetricName=m&MetricData.member.1.Value=1" +
		"&MetricData.member.1.Dimensions.member.1.Name=D"
	resp, err := http.Post(srv.URL, "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Code    string `xml:"Error>Code"`
		Message string `xml:"Error>Message"`
	}
	if err := xml.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 400 || e.Code != "MissingParameter" || e.Message != "The parameter MetricData.member.1.Dimensions.member.1.Value is required." {
		t.Errorf("%d %+v", resp.StatusCode, e)
	}
	list, err := cloudwatch.NewFromConfig(srv.AWSConfig(t)).ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{Namespace: aws.String("N")})
	if err != nil || len(list.Metrics) != 0 {
		t.Errorf("ListMetrics = %+v, %v", list, err)
	}
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
