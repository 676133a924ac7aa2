package app

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/reservoir-dev/reservoir/internal/autoscaling"
	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

// loadModel is a Lambda whose provisioned concurrency serves a steady load
// (concurrent executions): its utilization is min(load / capacity, 1), as
// Lambda's ProvisionedConcurrencyUtilization is (the rest spills over to
// on-demand). It records every capacity it is set to.
type loadModel struct {
	mu       sync.Mutex
	capacity int
	load     float64
	set      []int
	refuse   string // when set, SetProvisioned fails with it
}

func (l *loadModel) CheckTarget(ctx context.Context, sc autoscaling.Scope, fn, q string) error {
	return nil
}

func (l *loadModel) Provisioned(ctx context.Context, sc autoscaling.Scope, fn, q string) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.capacity, nil
}

func (l *loadModel) SetProvisioned(ctx context.Context, sc autoscaling.Scope, fn, q string, n int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.refuse != "" {
		return fmt.Errorf("%s", l.refuse)
	}
	l.capacity = n
	l.set = append(l.set, n)
	return nil
}

func (l *loadModel) utilization() (float64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.capacity == 0 {
		return 0, false
	}
	return math.Min(l.load/float64(l.capacity), 1), true
}

type engine struct {
	t     *testing.T
	clock *clockwork.FakeClock
	cw    *cloudwatch.Service
	as    *autoscaling.Service
	st    *boltstore.Store
	fn    *loadModel
	sc    autoscaling.Scope
}

func startEngine(t *testing.T, dir string, fn *loadModel, clock *clockwork.FakeClock) *engine {
	t.Helper()
	return startEngineWith(t, dir, fn, fn, clock)
}

// startEngineWith starts the engine on lam, whose load model is fn.
func startEngineWith(t *testing.T, dir string, lam autoscaling.Lambda, fn *loadModel, clock *clockwork.FakeClock) *engine {
	t.Helper()
	ctx := context.Background()
	st, err := boltstore.Open(filepath.Join(dir, "reservoir.db"))
	if err != nil {
		t.Fatal(err)
	}
	e := &engine{t: t, clock: clock, st: st, fn: fn, sc: autoscaling.Scope{Account: "123456789012", Region: "eu-west-1"}}
	var as *autoscaling.Service
	e.cw, err = cloudwatch.NewService(ctx, cloudwatch.Options{Store: st, Clock: clock, EvaluationInterval: -1,
		Actions: func(ctx context.Context, a cloudwatch.AlarmAction) error {
			return as.HandleAlarmAction(ctx, autoscaling.Scope(a.Scope), a.AlarmName, a.ActionARN, a.State == cloudwatch.StateAlarm, a.Timestamp)
		}})
	if err != nil {
		t.Fatal(err)
	}
	as, err = autoscaling.NewService(ctx, autoscaling.Options{Store: st, Lambda: lam, Alarms: scalingAlarms{e.cw}, Clock: clock, TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	e.as = as
	t.Cleanup(e.close)
	return e
}

func (e *engine) close() {
	if e.as == nil {
		return
	}
	e.as.Close()
	_ = e.cw.Close(context.Background())
	_ = e.st.Close()
	e.as = nil
}

// minute publishes the minute's utilization, lets the minute end, and runs
// what runs then: the alarm evaluation (EvaluationDelay after the minute)
// and the engine's tick.
func (e *engine) minute() {
	e.t.Helper()
	ctx := context.Background()
	if u, ok := e.fn.utilization(); ok {
		e.cw.Publish(cloudwatch.Scope(e.sc), []cloudwatch.Datum{{Namespace: "AWS/Lambda", MetricName: "ProvisionedConcurrencyUtilization",
			Dimensions: []cloudwatch.Dimension{{Name: "FunctionName", Value: "orders"}, {Name: "Resource", Value: "orders:live"}},
			Timestamp:  e.clock.Now(), Values: []float64{u}, Counts: []float64{1}}})
	}
	e.clock.Advance(time.Minute)
	if err := e.cw.EvaluateAlarms(ctx); err != nil {
		e.t.Fatal(err)
	}
	if err := e.as.Tick(ctx); err != nil {
		e.t.Fatal(err)
	}
}

func (e *engine) capacity() int {
	c, _ := e.fn.Provisioned(context.Background(), e.sc, "", "")
	return c
}

// warm runs three minutes at the current load before a policy exists, as
// a provisioned alias has a utilization history by the time one is added
// (with none, CloudWatch may alarm on fewer datapoints than it asks for).
func (e *engine) warm() {
	for range 3 {
		e.minute()
	}
}

func (e *engine) setLoad(v float64) {
	e.fn.mu.Lock()
	e.fn.load = v
	e.fn.mu.Unlock()
}

const resource = "function:orders:live"

func (e *engine) register(lo, hi int) {
	e.t.Helper()
	if _, err := e.as.RegisterScalableTarget(context.Background(), e.sc, autoscaling.RegisterInput{Namespace: "lambda",
		Dimension: autoscaling.DimensionLambdaPC, ResourceID: resource, Min: &lo, Max: &hi}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *engine) policy(tt autoscaling.TargetTracking) autoscaling.Policy {
	e.t.Helper()
	p, err := e.as.PutScalingPolicy(context.Background(), e.sc, autoscaling.PutPolicyInput{Namespace: "lambda",
		Dimension: autoscaling.DimensionLambdaPC, ResourceID: resource, Name: "util", TargetTracking: &tt})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *engine) activities() []autoscaling.Activity {
	acts, _, err := e.as.DescribeScalingActivities(context.Background(), e.sc, autoscaling.DescribeActivitiesInput{Namespace: "lambda"})
	if err != nil {
		e.t.Fatal(err)
	}
	return acts
}

func alignedClock() *clockwork.FakeClock {
	return clockwork.NewFakeClockAt(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC))
}

// A steady load of 1.9 concurrent executions on an alias whose target is
// 0.7: capacity goes 1 → 2 → 3 on AWS's timing (the scale-out alarm needs
// three minutes above the target; while it stays in ALARM its action
// repeats every minute), then, once the load falls to 0.2, the scale-in
// alarm needs fifteen minutes below 0.63 and capacity comes back to 1.
func TestEngineTargetTrackingScalesOutThenIn(t *testing.T) {
	fn := &loadModel{load: 0.5}
	e := startEngine(t, t.TempDir(), fn, alignedClock())
	e.register(1, 10)
	if got := e.capacity(); got != 1 {
		t.Fatalf("after registering min 1: capacity %d, want 1", got)
	}
	e.warm()
	p := e.policy(autoscaling.TargetTracking{TargetValue: 0.7, Predefined: autoscaling.PredefinedLambdaPCUtil})
	e.setLoad(1.9)

	// Alarms as AWS configures them.
	out, err := e.cw.DescribeAlarms(context.Background(), cloudwatch.Scope(e.sc), cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: "TargetTracking-" + resource})
	if err != nil || len(out.MetricAlarms) != 2 {
		t.Fatalf("alarms = %+v, %v", out.MetricAlarms, err)
	}
	for _, a := range out.MetricAlarms {
		high := strings.Contains(a.AlarmName, "-AlarmHigh-")
		wantN, wantTh, wantOp := int32(15), 0.63, cloudwatch.LessThanThreshold
		if high {
			wantN, wantTh, wantOp = 3, 0.7, cloudwatch.GreaterThanThreshold
		}
		if a.EvaluationPeriods != wantN || a.DatapointsToAlarm != wantN || a.Period != 60 || a.Statistic != cloudwatch.StatAverage ||
			math.Abs(*a.Threshold-wantTh) > 1e-9 || a.ComparisonOperator != wantOp || len(a.AlarmActions) != 1 || a.AlarmActions[0] != p.ARN() ||
			a.MetricName != "ProvisionedConcurrencyUtilization" || a.Namespace != "AWS/Lambda" || !strings.HasSuffix(a.AlarmName, p.ID) {
			t.Errorf("alarm %+v", a)
		}
	}

	var capacities []int
	for range 3 {
		e.minute()
		capacities = append(capacities, e.capacity())
	}
	// Two minutes above the target are not enough; the third is.
	if capacities[0] != 1 || capacities[1] != 1 || capacities[2] != 2 {
		t.Fatalf("capacity over the first three minutes = %v, want [1 1 2]", capacities)
	}
	e.minute() // utilization 0.95 with 2: the repeated action asks ceil(2×0.95/0.7) = 3
	if got := e.capacity(); got != 3 {
		t.Fatalf("after the fourth minute: capacity %d, want 3", got)
	}
	for range 5 { // 1.9/3 = 0.633: between the two thresholds, nothing moves
		e.minute()
	}
	if got := e.capacity(); got != 3 {
		t.Fatalf("at 0.633 utilization: capacity %d, want 3", got)
	}

	e.setLoad(0.2)
	minutes := 0
	for e.capacity() == 3 && minutes < 30 {
		e.minute()
		minutes++
	}
	if minutes != 15 || e.capacity() != 1 {
		t.Fatalf("scale-in after %d minutes of low load to %d, want after 15 to ceil(3×0.067/0.7) = 1", minutes, e.capacity())
	}
	if want := []int{1, 2, 3, 1}; fmt.Sprint(fn.set) != fmt.Sprint(want) {
		t.Errorf("capacities set = %v, want %v", fn.set, want)
	}

	acts := e.activities()
	if len(acts) != 4 {
		t.Fatalf("activities = %+v", acts)
	}
	// Newest first.
	in := acts[0]
	if in.Description != "Setting desired concurrency to 1." || in.Status != autoscaling.StatusSuccessful ||
		in.Cause != "monitor alarm "+p.Alarms[1].Name+" in state ALARM triggered policy util" {
		t.Errorf("scale-in activity = %+v", in)
	}
	if o := acts[2]; o.Description != "Setting desired concurrency to 2." || o.Cause != "monitor alarm "+p.Alarms[0].Name+" in state ALARM triggered policy util" {
		t.Errorf("first scale-out activity = %+v", o)
	}
}

// ScaleOutCooldown holds the second scale-out; DisableScaleIn keeps the
// capacity when the load is gone; a refusal by Lambda is a Failed activity
// with Lambda's message, and changes nothing.
func TestEngineCooldownDisableScaleInAndRefusal(t *testing.T) {
	fn := &loadModel{load: 0.5}
	e := startEngine(t, t.TempDir(), fn, alignedClock())
	e.register(1, 10)
	e.warm()
	cool := 300
	e.policy(autoscaling.TargetTracking{TargetValue: 0.7, Predefined: autoscaling.PredefinedLambdaPCUtil, ScaleOutCooldown: &cool, DisableScaleIn: true})
	e.setLoad(1.9)
	for range 3 {
		e.minute()
	}
	if got := e.capacity(); got != 2 {
		t.Fatalf("after three minutes: capacity %d, want 2", got)
	}
	for range 4 { // within the five-minute cooldown
		e.minute()
	}
	if got := e.capacity(); got != 2 {
		t.Fatalf("within the scale-out cooldown: capacity %d, want 2", got)
	}
	e.minute() // five minutes after the scale-out
	if got := e.capacity(); got != 3 {
		t.Fatalf("after the cooldown: capacity %d, want 3", got)
	}
	e.setLoad(0)
	for range 20 {
		e.minute()
	}
	if got := e.capacity(); got != 3 {
		t.Fatalf("with DisableScaleIn: capacity %d, want 3", got)
	}

	// Lambda refuses the next scale-out.
	fn.mu.Lock()
	fn.load, fn.refuse = 3, "Specified ConcurrentExecutions for function is greater than the reserved concurrency"
	fn.mu.Unlock()
	for range 3 {
		e.minute()
	}
	if got := e.capacity(); got != 3 {
		t.Fatalf("after a refused scale-out: capacity %d", got)
	}
	last := e.activities()[0]
	if last.Status != autoscaling.StatusFailed || !strings.Contains(last.Message, fn.refuse) || last.Description != "Setting desired concurrency to 5." {
		t.Errorf("refused activity = %+v", last)
	}
}

// A cron scheduled action raises the bounds when due, the capacity follows
// within the same tick, and a restart (a new engine on the same store) does
// not run it again for the same due time.
func TestEngineScheduledActionRunsOnceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	clock := alignedClock()
	fn := &loadModel{}
	e := startEngine(t, dir, fn, clock)
	e.register(1, 10)
	lo, hi := 5, 20
	sch, tz := "cron(3 12 * * ? *)", "Europe/Paris" // 12:03 in Paris is 10:03 UTC in June
	if err := e.as.PutScheduledAction(context.Background(), e.sc, autoscaling.PutScheduledInput{Namespace: "lambda", Dimension: autoscaling.DimensionLambdaPC,
		ResourceID: resource, Name: "peak", Schedule: &sch, Timezone: &tz, Min: &lo, Max: &hi, HasTargetAction: true}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		e.minute()
	}
	if got := e.capacity(); got != 1 {
		t.Fatalf("before 12:03 Paris: capacity %d", got)
	}
	e.minute() // now 10:03 UTC
	if got := e.capacity(); got != 5 {
		t.Fatalf("at 12:03 Paris: capacity %d, want the new min 5", got)
	}
	ts, _, _ := e.as.DescribeScalableTargets(context.Background(), e.sc, autoscaling.DescribeTargetsInput{Namespace: "lambda"})
	if len(ts) != 1 || ts[0].Min != 5 || ts[0].Max != 20 {
		t.Fatalf("target after the action = %+v", ts)
	}
	n := len(e.activities())
	e.close()

	// Restart in the same minute: nothing runs twice.
	e2 := startEngine(t, dir, fn, clock)
	if err := e2.as.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(e2.activities()); got != n {
		t.Errorf("activities after a restart in the same minute: %d, want %d (the action ran again)", got, n)
	}
	// Lower the min by hand; the action is not due again until tomorrow.
	one := 1
	if _, err := e2.as.RegisterScalableTarget(context.Background(), e2.sc, autoscaling.RegisterInput{Namespace: "lambda",
		Dimension: autoscaling.DimensionLambdaPC, ResourceID: resource, Min: &one}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		e2.minute()
	}
	ts, _, _ = e2.as.DescribeScalableTargets(context.Background(), e2.sc, autoscaling.DescribeTargetsInput{Namespace: "lambda"})
	if ts[0].Min != 1 {
		t.Errorf("min after the restart = %d: the action ran twice", ts[0].Min)
	}
}

// RegisterScalableTarget on an existing target changes only the
// SuspendedState members it is given: many concurrent registrations, each
// setting one member, all take effect (the merge happens under the
// service's lock, not from a read before the call).
func TestRegisterMergesSuspendedStateConcurrently(t *testing.T) {
	e := startEngine(t, t.TempDir(), &loadModel{}, alignedClock())
	e.register(1, 10)
	yes := true
	updates := []autoscaling.SuspendedUpdate{{DynamicScalingIn: &yes}, {DynamicScalingOut: &yes}, {Scheduled: &yes}}
	for round := range 20 {
		no := false
		if _, err := e.as.RegisterScalableTarget(context.Background(), e.sc, autoscaling.RegisterInput{Namespace: "lambda",
			Dimension: autoscaling.DimensionLambdaPC, ResourceID: resource,
			Suspended: autoscaling.SuspendedUpdate{DynamicScalingIn: &no, DynamicScalingOut: &no, Scheduled: &no}}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, u := range updates {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.as.RegisterScalableTarget(context.Background(), e.sc, autoscaling.RegisterInput{Namespace: "lambda",
					Dimension: autoscaling.DimensionLambdaPC, ResourceID: resource, Suspended: u}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		ts, _, err := e.as.DescribeScalableTargets(context.Background(), e.sc, autoscaling.DescribeTargetsInput{Namespace: "lambda"})
		if err != nil || len(ts) != 1 {
			t.Fatalf("DescribeScalableTargets: %+v, %v", ts, err)
		}
		if want := (autoscaling.Suspended{DynamicScalingIn: true, DynamicScalingOut: true, Scheduled: true}); ts[0].Suspended != want ||
			ts[0].Min != 1 || ts[0].Max != 10 {
			t.Fatalf("round %d: target after three concurrent partial updates = %+v, want all suspended and bounds kept", round, ts[0])
		}
	}
}

// blockingLambda is a loadModel whose SetProvisioned, once armed, signals
// entered and waits for release.
type blockingLambda struct {
	loadModel
	armed   chan struct{} // closed: the next SetProvisioned blocks
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingLambda) SetProvisioned(ctx context.Context, sc autoscaling.Scope, fn, q string, n int) error {
	select {
	case <-b.armed:
		b.once.Do(func() { close(b.entered); <-b.release })
	default:
	}
	return b.loadModel.SetProvisioned(ctx, sc, fn, q, n)
}

// DeregisterScalableTarget waits for a change of capacity in progress and
// none follows it: after it returns, the engine never touches the config
// again (Terraform's destroy deletes the config right after it).
func TestDeregisterWaitsForScalingInProgress(t *testing.T) {
	fn := &blockingLambda{armed: make(chan struct{}), entered: make(chan struct{}), release: make(chan struct{})}
	e := startEngineWith(t, t.TempDir(), fn, &fn.loadModel, alignedClock())
	e.register(2, 10)
	// The config is deleted by hand; the next tick brings it back to 2,
	// and blocks inside Lambda.
	fn.mu.Lock()
	fn.capacity = 0
	fn.mu.Unlock()
	close(fn.armed)
	ticked := make(chan error, 1)
	go func() { ticked <- e.as.Tick(context.Background()) }()
	<-fn.entered
	deregistered := make(chan error, 1)
	go func() {
		deregistered <- e.as.DeregisterScalableTarget(context.Background(), e.sc, "lambda", autoscaling.DimensionLambdaPC, resource)
	}()
	select {
	case err := <-deregistered:
		t.Fatalf("DeregisterScalableTarget returned (%v) while a change of capacity was in progress", err)
	case <-time.After(200 * time.Millisecond): // it may only show a bug, never fail a correct engine
	}
	close(fn.release)
	if err := <-ticked; err != nil {
		t.Fatal(err)
	}
	if err := <-deregistered; err != nil {
		t.Fatal(err)
	}
	n := len(fn.set)
	fn.mu.Lock()
	fn.capacity = 0
	fn.mu.Unlock()
	for range 3 {
		e.minute()
	}
	if len(fn.set) != n {
		t.Errorf("capacities set after deregistering: %v", fn.set[n:])
	}
}
