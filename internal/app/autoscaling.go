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
	vs, err := a.Recent(ctx, sc, s, at, 1)
	if err != nil || len(vs) == 0 {
		return 0, false, err
	}
	return vs[0], true, nil
}

func (a scalingAlarms) Recent(ctx context.Context, sc autoscaling.Scope, s autoscaling.AlarmSpec, at time.Time, n int) ([]float64, error) {
	period := time.Duration(max(s.Period, 60)) * time.Second
	end := at.Truncate(time.Minute)
	out, err := a.cw.GetMetricStatistics(ctx, cwscope(sc), cloudwatch.GetMetricStatisticsInput{
		Namespace: s.Namespace, MetricName: s.MetricName, Dimensions: cwDims(s.Dimensions),
		StartTime: end.Add(-time.Duration(n+4) * period), EndTime: end, Period: int32(period / time.Second),
		Statistics: []cloudwatch.Statistic{cloudwatch.Statistic(s.Statistic)}, Unit: cloudwatch.Unit(s.Unit),
	})
	if err != nil {
		return nil, err
	}
	dps := slices.SortedFunc(slices.Values(out.Datapoints), func(x, y cloudwatch.Datapoint) int { return x.Timestamp.Compare(y.Timestamp) })
	var vs []float64
	for _, dp := range dps[max(len(dps)-n, 0):] {
		var v *float64
		switch cloudwatch.Statistic(s.Statistic) {
		case cloudwatch.StatAverage:
			v = dp.Average
		case cloudwatch.StatMaximum:
			v = dp.Maximum
		case cloudwatch.StatMinimum:
			v = dp.Minimum
		case cloudwatch.StatSum:
			v = dp.Sum
		case cloudwatch.StatSampleCount:
			v = dp.SampleCount
		}
		if v != nil {
			vs = append(vs, *v)
		}
	}
	return vs, nil
}

func (a scalingAlarms) Alarm(ctx context.Context, sc autoscaling.Scope, name string) (autoscaling.AlarmSpec, bool, error) {
	out, err := a.cw.DescribeAlarms(ctx, cwscope(sc), cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil || len(out.MetricAlarms) != 1 {
		return autoscaling.AlarmSpec{}, false, err
	}
	m := out.MetricAlarms[0]
	if m.MetricName == "" || m.Threshold == nil || m.Statistic == "" {
		return autoscaling.AlarmSpec{}, false, nil // metric math, a percentile, or a threshold from a band
	}
	spec := autoscaling.AlarmSpec{Name: m.AlarmName, Namespace: m.Namespace, MetricName: m.MetricName, Statistic: string(m.Statistic),
		Unit: string(m.Unit), Period: m.Period, EvaluationPeriods: m.EvaluationPeriods, DatapointsToAlarm: m.DatapointsToAlarm,
		Threshold: *m.Threshold, ComparisonOperator: string(m.ComparisonOperator)}
	for _, d := range m.Dimensions {
		spec.Dimensions = append(spec.Dimensions, autoscaling.MetricDimension{Name: d.Name, Value: d.Value})
	}
	return spec, true, nil
}

func (a scalingAlarms) Naming(ctx context.Context, sc autoscaling.Scope, arn string) ([]autoscaling.AlarmRef, error) {
	var refs []autoscaling.AlarmRef
	in := cloudwatch.DescribeAlarmsInput{ActionPrefix: arn, MaxRecords: 100}
	for {
		out, err := a.cw.DescribeAlarms(ctx, cwscope(sc), in)
		if err != nil {
			return nil, err
		}
		for _, m := range out.MetricAlarms {
			if slices.Contains(m.AlarmActions, arn) {
				refs = append(refs, autoscaling.AlarmRef{Name: m.AlarmName, ARN: m.AlarmArn})
			}
		}
		if out.NextToken == "" {
			return refs, nil
		}
		in.NextToken = out.NextToken
	}
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
