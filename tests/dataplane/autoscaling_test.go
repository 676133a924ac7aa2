package dataplane

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/jonboulle/clockwork"

	"github.com/reservoir-dev/reservoir/internal/testutil"
	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// clockLoops is how many loops of the server wait on the injected clock: the
// AWS/Lambda metric recorder, CloudWatch's publisher and alarm evaluator,
// and Application Auto Scaling's tick. Each re-arms its timer after its
// work, so once the clock again has this many waiters after an Advance,
// everything that advance was due to run has run.
const clockLoops = 4

// minuteDriver moves the injected clock through AWS's minute as the server
// sees it: the minute ends (metrics are published), 2 s later the
// autoscaling tick, 5 s later the alarm evaluation and its actions.
type minuteDriver struct {
	t     *testing.T
	clock *clockwork.FakeClock
}

func (d minuteDriver) advance(by time.Duration) {
	d.t.Helper()
	d.clock.Advance(by)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.clock.BlockUntilContext(ctx, clockLoops); err != nil {
		d.t.Fatalf("the server's clock loops did not re-arm after advancing %v: %v", by, err)
	}
}

// minute runs one minute: from 7 s past a minute to 7 s past the next.
func (d minuteDriver) minute() {
	d.t.Helper()
	d.advance(53 * time.Second) // the minute ends: AWS/Lambda's metrics
	d.advance(2 * time.Second)  // the autoscaling tick
	d.advance(3 * time.Second)  // the alarm evaluation and its actions
	d.advance(2 * time.Second)
}

// TestAutoscalingTargetTrackingUnderLoad: real invocations of a real
// function through aws-sdk-go-v2 against the server, whose metrics, alarms
// and scaling run on an injected clock. An alias with two provisioned
// environments, one of them busy each minute (utilization 0.5), gets a
// target-tracking policy at 0.6; then clients keep both busy, and after
// three minutes of AWS/Lambda ProvisionedConcurrencyUtilization above the
// target the policy's high alarm goes to ALARM and raises the alias's
// provisioned concurrency through Lambda to ceil(2 × 1 / 0.6) = 4 (the
// config reads IN_PROGRESS with the new count, then READY once the new
// environments have initialized), a Successful activity. With one call a
// minute again (utilization 0.25), after fifteen minutes below 90 % of the
// target it comes back to ceil(4 × 0.25 / 0.6) = 2. AWS's timing, to the
// minute; the test takes about 25 s of real time.
func TestAutoscalingTargetTrackingUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test with real function processes; skipped with -short")
	}
	mark := testutil.SharedDir(t)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 6, 1, 10, 0, 7, 0, time.UTC))
	srv := reservoirtest.StartWith(t, reservoirtest.Options{ShareDirs: []string{mark}, Clock: clock})
	cfg := srv.AWSConfig(t)
	f := &fixture{srv: srv, c: lambda.NewFromConfig(cfg), mark: mark}
	ac, cw := aas.NewFromConfig(cfg), cloudwatch.NewFromConfig(cfg)
	ctx := context.Background()
	d := minuteDriver{t: t, clock: clock}
	d.advance(0) // every loop is waiting on the clock

	// Initialization takes a second, so a scale-out is seen IN_PROGRESS.
	f.createGoEnv(t, "scaled", true, map[string]string{"INIT_HOLD_MS": "1000"})
	if _, err := f.c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("scaled"), Name: aws.String("live"),
		FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	rid := "function:scaled:live"
	if _, err := ac.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceLambda,
		ResourceId: aws.String(rid), ScalableDimension: aastypes.ScalableDimensionLambdaFunctionProvisionedConcurrency,
		MinCapacity: aws.Int32(2), MaxCapacity: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}
	f.readyWith(t, "scaled", "live", 2) // registering with min 2 created the config
	light := func() {
		t.Helper()
		if _, err := f.invoke("scaled", "live", `{}`); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 { // a utilization history, as an alias in use has
		light()
		d.minute()
	}
	pol, err := ac.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{ServiceNamespace: aastypes.ServiceNamespaceLambda,
		ResourceId: aws.String(rid), ScalableDimension: aastypes.ScalableDimensionLambdaFunctionProvisionedConcurrency,
		PolicyName: aws.String("util"), PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(0.6),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{
				PredefinedMetricType: aastypes.MetricTypeLambdaProvisionedConcurrencyUtilization}}})
	if err != nil {
		t.Fatal(err)
	}
	var high string
	for _, a := range pol.Alarms {
		if strings.Contains(aws.ToString(a.AlarmName), "-AlarmHigh-") {
			high = aws.ToString(a.AlarmName)
		}
	}

	// The load: three clients invoking the alias back to back, so both
	// provisioned environments are busy (the third call spills over). They
	// stop between calls, so that once they are gone nothing of theirs is
	// still running (an abandoned call would hold its environment).
	var stopped atomic.Bool
	var wg sync.WaitGroup
	var done atomic.Int64
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stopped.Load() {
				if _, err := f.c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("scaled"), Qualifier: aws.String("live"),
					Payload: []byte(`{"hold_ms": 100}`)}); err == nil {
					done.Add(1)
				}
			}
		}()
	}
	stopLoad := func() { stopped.Store(true); wg.Wait() }
	defer stopLoad()
	// busy waits until the clients have completed n more calls in this
	// (injected) minute: the minute's peak is what the metric reports.
	busy := func(n int64) {
		t.Helper()
		want := done.Load() + n
		deadline := time.Now().Add(30 * time.Second)
		for done.Load() < want {
			if time.Now().After(deadline) {
				t.Fatal("the load's calls do not complete")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	var raised *lambda.GetProvisionedConcurrencyConfigOutput
	minutes := 0
	for minutes < 10 && raised == nil {
		busy(6)
		d.minute()
		minutes++
		if pc := f.config(t, "scaled", "live"); aws.ToInt32(pc.RequestedProvisionedConcurrentExecutions) != 2 {
			raised = pc
		}
	}
	if raised == nil {
		t.Fatalf("provisioned concurrency not raised after %d minutes of full utilization", minutes)
	}
	if minutes != 3 || aws.ToInt32(raised.RequestedProvisionedConcurrentExecutions) != 4 {
		t.Errorf("raised to %d after %d minutes, want to 4 after the high alarm's three datapoints",
			aws.ToInt32(raised.RequestedProvisionedConcurrentExecutions), minutes)
	}
	if raised.Status != types.ProvisionedConcurrencyStatusEnumInProgress {
		t.Errorf("right after the scale-out the config is %s, want IN_PROGRESS while the new environments initialize", raised.Status)
	}
	f.readyWith(t, "scaled", "live", 4)
	alarms, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{high}})
	if err != nil || len(alarms.MetricAlarms) != 1 || alarms.MetricAlarms[0].StateValue != cwtypes.StateValueAlarm {
		t.Errorf("the policy's high alarm = %+v, %v; want it in ALARM", alarms, err)
	}

	stopLoad()
	for minutes = 0; minutes < 25; minutes++ {
		light()
		d.minute()
		if pc := f.config(t, "scaled", "live"); aws.ToInt32(pc.RequestedProvisionedConcurrentExecutions) != 4 {
			break
		}
	}
	// The first of these minutes still saw the load's last calls.
	if minutes+1 != 16 {
		t.Fatalf("scale-in after %d light minutes, want after the load's last minute and the low alarm's 15", minutes+1)
	}
	f.readyWith(t, "scaled", "live", 2)

	acts, err := ac.DescribeScalingActivities(ctx, &aas.DescribeScalingActivitiesInput{ServiceNamespace: aastypes.ServiceNamespaceLambda,
		ResourceId: aws.String(rid)})
	if err != nil {
		t.Fatal(err)
	}
	var descs []string
	for _, a := range acts.ScalingActivities {
		if a.StatusCode != aastypes.ScalingActivityStatusCodeSuccessful {
			t.Errorf("activity %s: %s %s", aws.ToString(a.Description), a.StatusCode, aws.ToString(a.StatusMessage))
		}
		descs = append(descs, aws.ToString(a.Description))
	}
	if len(descs) < 2 || descs[0] != "Setting desired concurrency to 2." || descs[1] != "Setting desired concurrency to 4." {
		t.Errorf("activities, newest first = %q; want the scale-in to 2 after the scale-out to 4", descs)
	}
}
