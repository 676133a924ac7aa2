package app

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/reservoir-dev/reservoir/internal/autoscaling"
	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
	"github.com/reservoir-dev/reservoir/internal/iam"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// scalingLambda lets Application Auto Scaling read and change provisioned
// concurrency through the same calls a user makes.
type scalingLambda struct{ svc *lambda.Service }

func lscope(sc autoscaling.Scope) lambda.Scope {
	return lambda.Scope{Account: sc.Account, Region: sc.Region}
}

func (l scalingLambda) CheckTarget(ctx context.Context, sc autoscaling.Scope, fn, q string) error {
	_, err := l.svc.GetProvisionedConcurrencyConfig(ctx, lscope(sc), fn, q)
	var le *lambda.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &le) && le.Kind == lambda.KindProvisionedConfigNotFound:
		return nil
	case errors.As(err, &le):
		return &autoscaling.Error{Code: autoscaling.CodeValidation, Message: le.Message}
	}
	return err
}

func (l scalingLambda) Provisioned(ctx context.Context, sc autoscaling.Scope, fn, q string) (int, error) {
	v, err := l.svc.GetProvisionedConcurrencyConfig(ctx, lscope(sc), fn, q)
	var le *lambda.Error
	if errors.As(err, &le) && le.Kind == lambda.KindProvisionedConfigNotFound {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return v.Requested, nil
}

func (l scalingLambda) SetProvisioned(ctx context.Context, sc autoscaling.Scope, fn, q string, n int) error {
	if n == 0 {
		return l.svc.DeleteProvisionedConcurrencyConfig(ctx, lscope(sc), fn, q)
	}
	_, err := l.svc.PutProvisionedConcurrencyConfig(ctx, lscope(sc), fn, q, &n)
	return err
}

// scalingAlarms lets Application Auto Scaling manage its policies' alarms
// and read their metrics in CloudWatch.
type scalingAlarms struct{ cw *cloudwatch.Service }

func cwscope(sc autoscaling.Scope) cloudwatch.Scope {
	return cloudwatch.Scope{Account: sc.Account, Region: sc.Region}
}

func cwDims(ds []autoscaling.MetricDimension) []cloudwatch.Dimension {
	out := make([]cloudwatch.Dimension, len(ds))
	for i, d := range ds {
		out[i] = cloudwatch.Dimension{Name: d.Name, Value: d.Value}
	}
	return out
}

func (a scalingAlarms) PutAlarm(ctx context.Context, sc autoscaling.Scope, s autoscaling.AlarmSpec) (string, error) {
	th := s.Threshold
	_, err := a.cw.PutMetricAlarm(ctx, cwscope(sc), cloudwatch.PutMetricAlarmInput{
		AlarmName: s.Name, AlarmDescription: s.Description, AlarmActions: s.AlarmActions, MetricName: s.MetricName,
		Namespace: s.Namespace, Statistic: cloudwatch.Statistic(s.Statistic), Dimensions: cwDims(s.Dimensions), Period: s.Period,
		Unit: cloudwatch.Unit(s.Unit), EvaluationPeriods: s.EvaluationPeriods, DatapointsToAlarm: s.DatapointsToAlarm,
		Threshold: &th, ComparisonOperator: cloudwatch.ComparisonOperator(s.ComparisonOperator),
	})
	if err != nil {
		return "", err
	}
	return cwscope(sc).AlarmARN(s.Name), nil
}

func (a scalingAlarms) DeleteAlarms(ctx context.Context, sc autoscaling.Scope, names []string) error {
	_, err := a.cw.DeleteAlarms(ctx, cwscope(sc), cloudwatch.DeleteAlarmsInput{AlarmNames: names})
	return err
}

func (a scalingAlarms) Latest(ctx context.Context, sc autoscaling.Scope, s autoscaling.AlarmSpec, at time.Time) (float64, bool, error) {
	end := at.Truncate(time.Minute)
	out, err := a.cw.GetMetricStatistics(ctx, cwscope(sc), cloudwatch.GetMetricStatisticsInput{
		Namespace: s.Namespace, MetricName: s.MetricName, Dimensions: cwDims(s.Dimensions), StartTime: end.Add(-5 * time.Minute),
		EndTime: end, Period: s.Period, Statistics: []cloudwatch.Statistic{cloudwatch.Statistic(s.Statistic)}, Unit: cloudwatch.Unit(s.Unit),
	})
	if err != nil || len(out.Datapoints) == 0 {
		return 0, false, err
	}
	last := slices.MaxFunc(out.Datapoints, func(x, y cloudwatch.Datapoint) int { return x.Timestamp.Compare(y.Timestamp) })
	var v *float64
	switch cloudwatch.Statistic(s.Statistic) {
	case cloudwatch.StatAverage:
		v = last.Average
	case cloudwatch.StatMaximum:
		v = last.Maximum
	case cloudwatch.StatMinimum:
		v = last.Minimum
	case cloudwatch.StatSum:
		v = last.Sum
	case cloudwatch.StatSampleCount:
		v = last.SampleCount
	}
	if v == nil {
		return 0, false, nil
	}
	return *v, true, nil
}

// ensureScalingRole creates the service-linked role a Lambda scalable
// target reports, so that IAM's GetRole shows it (as AWS creates it on the
// first registration).
func ensureScalingRole(svc *iam.Service) func(ctx context.Context, sc autoscaling.Scope) error {
	return func(ctx context.Context, sc autoscaling.Scope) error {
		if _, err := svc.GetRole(ctx, sc.Account, autoscaling.ServiceLinkedRoleName); err == nil {
			return nil
		}
		_, err := svc.CreateRole(ctx, sc.Account, iam.CreateRoleInput{
			Name: autoscaling.ServiceLinkedRoleName, Path: autoscaling.ServiceLinkedRolePath,
			AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.application-autoscaling.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		})
		if _, gerr := svc.GetRole(ctx, sc.Account, autoscaling.ServiceLinkedRoleName); gerr == nil {
			return nil // created now, or by a concurrent registration
		}
		return err
	}
}
