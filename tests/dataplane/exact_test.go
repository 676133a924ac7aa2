package dataplane

// Regressions of issue 9 (core exactness), through aws-sdk-go-v2 against an
// in-process server running real function processes. Each failed on the
// code before the fix; docs/RELIABILITY.md lists them.

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// createGoEnv creates a function of holdfn with extra environment variables.
func (f *fixture) createGoEnv(t *testing.T, name string, publish bool, env map[string]string) {
	t.Helper()
	vars := map[string]string{"MARK_DIR": f.mark}
	for k, v := range env {
		vars[k] = v
	}
	_, err := f.c.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::123456789012:role/r"), Code: &types.FunctionCode{ZipFile: goZip(t)},
		Publish: publish, Timeout: aws.Int32(10), Environment: &types.Environment{Variables: vars},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) reserve(t *testing.T, name string, n int32) {
	t.Helper()
	if _, err := f.c.PutFunctionConcurrency(context.Background(), &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String(name), ReservedConcurrentExecutions: aws.Int32(n)}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) provision(t *testing.T, name, q string, n int32) *lambda.PutProvisionedConcurrencyConfigOutput {
	t.Helper()
	out, err := f.c.PutProvisionedConcurrencyConfig(context.Background(), &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String(name), Qualifier: aws.String(q), ProvisionedConcurrentExecutions: aws.Int32(n)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) config(t *testing.T, name, q string) *lambda.GetProvisionedConcurrencyConfigOutput {
	t.Helper()
	pc, err := f.c.GetProvisionedConcurrencyConfig(context.Background(), &lambda.GetProvisionedConcurrencyConfigInput{
		FunctionName: aws.String(name), Qualifier: aws.String(q)})
	if err != nil {
		t.Fatal(err)
	}
	return pc
}

// abandon starts an invocation whose client gives up after 300 ms, while
// the function holds for hold; it returns once the client has given up.
func (f *fixture) abandon(t *testing.T, name, qualifier string, hold time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"hold_ms": ` + itoa(int(hold/time.Millisecond)) + `}`)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	if _, err := f.c.Invoke(ctx, in); err == nil {
		t.Fatal("the impatient call got an answer; it should have given up first")
	}
	// It may still be starting (a cold start on a busy machine): wait until
	// the function runs it.
	deadline := time.Now().Add(20 * time.Second)
	for f.count("run-") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the abandoned invocation never ran")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func isReservedThrottle(err error) bool {
	var tmr *types.TooManyRequestsException
	return errors.As(err, &tmr) && tmr.Reason == types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded
}

// TestAbandonedCallHoldsItsSlot: with reserved concurrency 1, a call whose
// client gave up still runs and holds the one slot until it ends (as on
// AWS); the next call is throttled and no second environment starts.
func TestAbandonedCallHoldsItsSlot(t *testing.T) {
	f := start(t)
	f.createGo(t, "patient", false, 10)
	f.reserve(t, "patient", 1)
	f.abandon(t, "patient", "", 3*time.Second)
	_, err := f.invoke("patient", "", `{}`)
	if !isReservedThrottle(err) {
		t.Fatalf("second call while the abandoned one runs: %v, want a reserved throttle", err)
	}
	if n := f.count("init-"); n != 1 {
		t.Fatalf("%d environments started, want 1", n)
	}
	// When it ends, its slot (and its warm environment) serve the next call.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := f.invoke("patient", "", `{}`)
		if err == nil {
			break
		}
		if !isReservedThrottle(err) || time.Now().After(deadline) {
			t.Fatalf("after the abandoned call ended: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := f.count("init-"); n != 1 {
		t.Fatalf("%d environments started, want the warm one reused", n)
	}
}

// TestAbandonedProvisionedCallKeepsItsEnvironment: the single provisioned
// environment stays busy with the abandoned call; with reserved 1 = the
// provisioned 1, the next call has nowhere to run and is throttled (it was
// served by a cold on-demand environment counted as provisioned before).
func TestAbandonedProvisionedCallKeepsItsEnvironment(t *testing.T) {
	f := start(t)
	f.createGo(t, "pc", true, 10)
	f.reserve(t, "pc", 1)
	f.provision(t, "pc", "1", 1)
	if pc := waitReady(t, f.c, "pc", "1"); pc.Status != types.ProvisionedConcurrencyStatusEnumReady {
		t.Fatalf("config %+v", pc)
	}
	f.abandon(t, "pc", "1", 3*time.Second)
	if _, err := f.invoke("pc", "1", `{}`); !isReservedThrottle(err) {
		t.Fatalf("second call on version 1: %v, want a reserved throttle", err)
	}
	if n := f.count("init-"); n != 1 {
		t.Fatalf("%d environments started, want only the provisioned one", n)
	}
}

// TestAbandonedProvisionedCallSpillsOver: without a reservation the next call
// spills over to on-demand, and is counted as spill-over.
func TestAbandonedProvisionedCallSpillsOver(t *testing.T) {
	f := start(t)
	f.createGo(t, "spill", true, 10)
	f.provision(t, "spill", "1", 1)
	waitReady(t, f.c, "spill", "1")
	f.abandon(t, "spill", "1", 3*time.Second)
	out, err := f.invoke("spill", "1", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	var r holdResult
	if json.Unmarshal(out.Payload, &r) != nil || r.InitType != "on-demand" {
		t.Fatalf("second call served by %s, want an on-demand environment", out.Payload)
	}
	series := `lambda_provisioned_concurrency_spillover_invocations_total{account="123456789012",function="spill",region="us-east-1"} 1`
	if body := scrape(t, f.srv.URL); !contains(body, series) {
		t.Fatalf("spill-over not counted:\n%s", grep(body, "spillover"))
	}
}

func contains(s, sub string) bool { return len(grep(s, sub)) > 0 }

// TestRaisingReadyConfigKeepsServing: raising a READY config from 2 to 4 with
// reserved 4 leaves no on-demand capacity, yet the two warm environments go
// on serving while the new ones initialize (IN_PROGRESS, Allocated 2).
func TestRaisingReadyConfigKeepsServing(t *testing.T) {
	f := start(t)
	f.createGoEnv(t, "grow", true, map[string]string{"INIT_HOLD_MS": "1500"})
	f.reserve(t, "grow", 4)
	f.provision(t, "grow", "1", 2)
	waitReady(t, f.c, "grow", "1")
	f.provision(t, "grow", "1", 4)
	pc := f.config(t, "grow", "1")
	if pc.Status != types.ProvisionedConcurrencyStatusEnumInProgress || aws.ToInt32(pc.AllocatedProvisionedConcurrentExecutions) != 2 ||
		aws.ToInt32(pc.AvailableProvisionedConcurrentExecutions) != 2 {
		t.Fatalf("during the scale-up: %s allocated %d available %d, want IN_PROGRESS 2 2", pc.Status,
			aws.ToInt32(pc.AllocatedProvisionedConcurrentExecutions), aws.ToInt32(pc.AvailableProvisionedConcurrentExecutions))
	}
	f.servedWarm(t, "grow", "1", "during the scale-up")
	f.readyWith(t, "grow", "1", 4)
}

// servedWarm invokes the qualifier and checks that a warm provisioned
// environment answered.
func (f *fixture) servedWarm(t *testing.T, name, q, when string) {
	t.Helper()
	out, err := f.invoke(name, q, `{}`)
	if err != nil {
		t.Fatalf("invoke %s: %v", when, err)
	}
	var r holdResult
	if json.Unmarshal(out.Payload, &r) != nil || r.InitType != "provisioned-concurrency" {
		t.Fatalf("%s: served by %s, want a warm provisioned environment", when, out.Payload)
	}
}

// readyWith waits for the config to be READY with n allocated.
func (f *fixture) readyWith(t *testing.T, name, q string, n int32) {
	t.Helper()
	if pc := waitReady(t, f.c, name, q); pc.Status != types.ProvisionedConcurrencyStatusEnumReady || aws.ToInt32(pc.AllocatedProvisionedConcurrentExecutions) != n {
		t.Fatalf("%s:%s: %s with %d allocated, want READY with %d", name, q, pc.Status, aws.ToInt32(pc.AllocatedProvisionedConcurrentExecutions), n)
	}
}

// TestLoweringReadyConfigKeepsServing: lowering a READY config serves from
// the environments that stay.
func TestLoweringReadyConfigKeepsServing(t *testing.T) {
	f := start(t)
	f.createGo(t, "shrink", true, 10)
	f.reserve(t, "shrink", 3)
	f.provision(t, "shrink", "1", 3)
	waitReady(t, f.c, "shrink", "1")
	f.provision(t, "shrink", "1", 1)
	f.servedWarm(t, "shrink", "1", "right after lowering")
	f.readyWith(t, "shrink", "1", 1)
}

// TestAliasMoveKeepsAllocation: as recorded on AWS
// (provisioned_concurrency_moves_with_alias), right after a provisioned alias
// moves to another version its config reads IN_PROGRESS with the old
// environment still allocated and available, until the new one is up; and
// the old environment serves the alias meanwhile (reserved 1 = provisioned
// 1 leaves no on-demand capacity: without it every call would be throttled).
func TestAliasMoveKeepsAllocation(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	f.createGoEnv(t, "mover", true, map[string]string{"INIT_HOLD_MS": "1000"})
	f.reserve(t, "mover", 1)
	if _, err := f.c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("mover"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	f.provision(t, "mover", "live", 1)
	waitReady(t, f.c, "mover", "live")
	if _, err := f.c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("mover"), Timeout: aws.Int32(9)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("mover")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("mover"), Name: aws.String("live"), FunctionVersion: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	// The new environment takes a second to initialize: sample the config
	// and invoke the alias meanwhile.
	sawInProgress, servedOld := false, false
	deadline := time.Now().Add(30 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatal("the config did not become READY within 30 s")
		}
		pc := f.config(t, "mover", "live")
		alloc, avail := aws.ToInt32(pc.AllocatedProvisionedConcurrentExecutions), aws.ToInt32(pc.AvailableProvisionedConcurrentExecutions)
		if pc.Status == types.ProvisionedConcurrencyStatusEnumReady {
			if alloc != 1 {
				t.Fatalf("READY with %d allocated", alloc)
			}
			break
		}
		if pc.Status != types.ProvisionedConcurrencyStatusEnumInProgress || alloc != 1 || avail != 1 {
			t.Fatalf("during the move: %s allocated %d available %d, want IN_PROGRESS 1 1", pc.Status, alloc, avail)
		}
		sawInProgress = true
		out, err := f.invoke("mover", "live", `{}`)
		if err != nil {
			t.Fatalf("alias during the move: %v", err)
		}
		if v := aws.ToString(out.ExecutedVersion); v == "1" {
			servedOld = true
		} else if v != "2" {
			t.Fatalf("alias during the move ran version %q", v)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !sawInProgress || !servedOld {
		t.Fatalf("the move never read IN_PROGRESS (%v) or was never served by the old environment (%v)", sawInProgress, servedOld)
	}
	out, err := f.invoke("mover", "live", `{}`)
	if err != nil || aws.ToString(out.ExecutedVersion) != "2" {
		t.Fatalf("alias after the move: %v %v", payloadOf(out), err)
	}
}

// TestFailedConfigRetriedBySamePut: putting the value a FAILED config
// requests again starts it over (IN_PROGRESS), instead of answering the
// failure unchanged.
func TestFailedConfigRetriedBySamePut(t *testing.T) {
	f := start(t)
	f.createGoEnv(t, "flaky", true, map[string]string{"FAIL_INIT_WHEN": "provisioned-concurrency"})
	f.provision(t, "flaky", "1", 1)
	if pc := waitReady(t, f.c, "flaky", "1"); pc.Status != types.ProvisionedConcurrencyStatusEnumFailed {
		t.Fatalf("config %+v, want FAILED", pc)
	}
	failed := f.count("initfail-")
	again := f.provision(t, "flaky", "1", 1)
	if again.Status != types.ProvisionedConcurrencyStatusEnumInProgress {
		t.Fatalf("the same Put on a FAILED config answered %s, want IN_PROGRESS", again.Status)
	}
	if pc := waitReady(t, f.c, "flaky", "1"); pc.Status != types.ProvisionedConcurrencyStatusEnumFailed {
		t.Fatalf("config %+v, want FAILED again", pc)
	}
	if n := f.count("initfail-"); n <= failed {
		t.Fatalf("no initialization was tried again (%d failures before, %d after)", failed, n)
	}
}
