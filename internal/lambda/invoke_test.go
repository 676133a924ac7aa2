package lambda_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

// gateExecutor holds every invocation until released, and counts what it
// ran. Its provisioned configs have as many environments as they request,
// initialized at once.
type gateExecutor struct {
	release chan struct{}

	mu          sync.Mutex
	inFlight    int
	peak        int
	provisioned int
	calls       int
	ids         []string       // request IDs, in call order
	fail        bool           // answer with a function error
	envs        map[string]int // provisioned environments by config key
	busy        map[string]int // of which busy
}

func (g *gateExecutor) Provision(t lambda.ProvisionTarget, n int, report func(lambda.ProvisionProgress)) {
	g.mu.Lock()
	if g.envs == nil {
		g.envs, g.busy = map[string]int{}, map[string]int{}
	}
	g.envs[t.Key()] = n
	g.mu.Unlock()
	if n > 0 {
		report(lambda.ProvisionProgress{Allocated: n, Ready: true})
	}
}

func (g *gateExecutor) Retire(lambda.RetireTarget) {}

type gateRun struct{ done chan lambda.InvocationResult }

func (r gateRun) Wait(ctx context.Context) (lambda.InvocationResult, error) {
	select {
	case res := <-r.done:
		r.done <- res
		return res, nil
	case <-ctx.Done():
		return lambda.InvocationResult{}, ctx.Err()
	}
}

func (g *gateExecutor) Start(t lambda.InvocationTarget, inv lambda.Invocation, admit lambda.Admit) (lambda.Execution, error) {
	g.mu.Lock()
	prov := t.ProvisionedKey != "" && g.busy[t.ProvisionedKey] < g.envs[t.ProvisionedKey]
	release, err := admit(prov)
	if err != nil {
		g.mu.Unlock()
		return nil, err
	}
	if prov {
		g.busy[t.ProvisionedKey]++
		g.provisioned++
	}
	g.calls++
	g.ids = append(g.ids, inv.RequestID)
	g.inFlight++
	g.peak = max(g.peak, g.inFlight)
	fail := g.fail
	g.mu.Unlock()
	run := gateRun{done: make(chan lambda.InvocationResult, 1)}
	go func() {
		if g.release != nil {
			<-g.release
		}
		g.mu.Lock()
		g.inFlight--
		if prov {
			g.busy[t.ProvisionedKey]--
		}
		release()
		g.mu.Unlock()
		if fail {
			run.done <- lambda.InvocationResult{Payload: []byte(`{"errorType":"Boom"}`), FunctionError: "Unhandled"}
			return
		}
		run.done <- lambda.InvocationResult{Payload: inv.Payload}
	}()
	return run, nil
}

func (g *gateExecutor) stats() (calls, peak, provisioned int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls, g.peak, g.provisioned
}

var sc = lambda.Scope{Account: "123456789012", Region: "us-east-1"}

func newService(t *testing.T, exec lambda.Executor, limit int, async lambda.AsyncOptions) *lambda.Service {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := lambda.NewService(context.Background(), lambda.Options{Store: st, Executor: exec, AccountConcurrency: limit, Async: async})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(); st.Close() })
	return svc
}

func mustCreate(t *testing.T, svc *lambda.Service, name string, publish bool) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("index.py")
	_, _ = w.Write([]byte("def handler(e, c): return e\n"))
	_ = zw.Close()
	rt, role := "python3.12", "arn:aws:iam::123456789012:role/r"
	if _, err := svc.CreateFunction(context.Background(), sc, lambda.FunctionInput{FunctionName: name, Runtime: &rt, Role: &role,
		HasCode: true, ZipFile: buf.Bytes(), Publish: publish}); err != nil {
		t.Fatal(err)
	}
}

func ptr(n int) *int { return &n }

// invokeMany starts n synchronous invocations at once and returns how many
// ran and the throttle reasons of the others, after releasing them.
func invokeMany(t *testing.T, svc *lambda.Service, g *gateExecutor, name, qualifier string, n int) (ok int, reasons map[string]int) {
	t.Helper()
	reasons = map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var started atomic.Int32
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.Invoke(context.Background(), sc, lambda.InvokeInput{FunctionName: name, Qualifier: qualifier, Payload: []byte(`{}`)})
			mu.Lock()
			defer mu.Unlock()
			var de *lambda.Error
			switch {
			case err == nil:
				ok++
			case errors.As(err, &de) && de.Kind == lambda.KindTooManyRequests:
				reasons[de.Reason]++
			default:
				t.Errorf("invoke: %v", err)
			}
		}()
		started.Add(1)
	}
	// Every call has either been admitted (and waits on the gate) or throttled.
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		throttled := 0
		for _, c := range reasons {
			throttled += c
		}
		mu.Unlock()
		g.mu.Lock()
		running := g.inFlight
		g.mu.Unlock()
		if running+throttled == n || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(g.release)
	wg.Wait()
	return ok, reasons
}

func TestInvokeReservedCap(t *testing.T) {
	g := &gateExecutor{release: make(chan struct{})}
	svc := newService(t, g, 1000, lambda.AsyncOptions{})
	mustCreate(t, svc, "f", false)
	if _, err := svc.PutFunctionConcurrency(context.Background(), sc, "f", ptr(5)); err != nil {
		t.Fatal(err)
	}
	ok, reasons := invokeMany(t, svc, g, "f", "", 50)
	_, peak, _ := g.stats()
	if ok != 5 || peak != 5 || reasons["ReservedFunctionConcurrentInvocationLimitExceeded"] != 45 {
		t.Fatalf("ran %d (peak %d), throttled %v; want 5, 5, 45 reserved throttles", ok, peak, reasons)
	}
}

func TestInvokeAccountPool(t *testing.T) {
	g := &gateExecutor{release: make(chan struct{})}
	svc := newService(t, g, 10, lambda.AsyncOptions{})
	mustCreate(t, svc, "f", false)
	ok, reasons := invokeMany(t, svc, g, "f", "", 25)
	if ok != 10 || reasons["ConcurrentInvocationLimitExceeded"] != 15 {
		t.Fatalf("ran %d, throttled %v; want 10 and 15 account throttles", ok, reasons)
	}
}

func TestInvokeProvisionedFirstThenSpillover(t *testing.T) {
	g := &gateExecutor{release: make(chan struct{})}
	svc := newService(t, g, 1000, lambda.AsyncOptions{})
	mustCreate(t, svc, "f", true)
	ctx := context.Background()
	if _, err := svc.PutFunctionConcurrency(ctx, sc, "f", ptr(6)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PutProvisionedConcurrencyConfig(ctx, sc, "f", "1", ptr(2)); err != nil {
		t.Fatal(err)
	}
	ok, reasons := invokeMany(t, svc, g, "f", "1", 10)
	_, peak, provisioned := g.stats()
	// 2 provisioned environments serve first, 4 on-demand slots take the spill-over.
	if ok != 6 || peak != 6 || provisioned != 2 || reasons["ReservedFunctionConcurrentInvocationLimitExceeded"] != 4 {
		t.Fatalf("ran %d (peak %d, provisioned %d), throttled %v", ok, peak, provisioned, reasons)
	}
}

func TestInvokeLatestBlockedWhenReservationIsProvisioned(t *testing.T) {
	// Recorded on AWS: reserved 1 and provisioned 1 on version 1 throttle $LATEST, version 1 runs.
	g := &gateExecutor{}
	svc := newService(t, g, 1000, lambda.AsyncOptions{})
	mustCreate(t, svc, "f", true)
	ctx := context.Background()
	if _, err := svc.PutFunctionConcurrency(ctx, sc, "f", ptr(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Invoke(ctx, sc, lambda.InvokeInput{FunctionName: "f", Qualifier: "$LATEST"}); err != nil {
		t.Fatalf("before provisioning: %v", err)
	}
	if _, err := svc.PutProvisionedConcurrencyConfig(ctx, sc, "f", "1", ptr(1)); err != nil {
		t.Fatal(err)
	}
	_, err := svc.Invoke(ctx, sc, lambda.InvokeInput{FunctionName: "f", Qualifier: "$LATEST"})
	var de *lambda.Error
	if !errors.As(err, &de) || de.Reason != "ReservedFunctionConcurrentInvocationLimitExceeded" {
		t.Fatalf("$LATEST: %v, want reserved throttle", err)
	}
	out, err := svc.Invoke(ctx, sc, lambda.InvokeInput{FunctionName: "f", Qualifier: "1", Payload: []byte(`{"hello":"world"}`)})
	if err != nil || out.ExecutedVersion != "1" || string(out.Payload) != `{"hello":"world"}` {
		t.Fatalf("version 1: %+v %v", out, err)
	}
}

func TestInvokeEventRunsEventuallyDespiteThrottles(t *testing.T) {
	g := &gateExecutor{release: make(chan struct{})}
	svc := newService(t, g, 1000, lambda.AsyncOptions{ThrottleBackoff: time.Millisecond})
	mustCreate(t, svc, "f", false)
	if _, err := svc.PutFunctionConcurrency(context.Background(), sc, "f", ptr(2)); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		out, err := svc.Invoke(context.Background(), sc, lambda.InvokeInput{FunctionName: "f", InvocationType: "Event"})
		if err != nil || out.StatusCode != 202 {
			t.Fatalf("event: %+v %v", out, err)
		}
	}
	close(g.release)
	deadline := time.Now().Add(10 * time.Second)
	for {
		calls, peak, _ := g.stats()
		if peak > 2 {
			t.Fatalf("peak %d over the reservation of 2", peak)
		}
		if calls == 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 20 events ran", calls)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestInvokeEventRetriesFunctionErrorsTwice(t *testing.T) {
	g := &gateExecutor{fail: true}
	svc := newService(t, g, 1000, lambda.AsyncOptions{RetryDelay: 10 * time.Millisecond})
	mustCreate(t, svc, "f", false)
	if _, err := svc.Invoke(context.Background(), sc, lambda.InvokeInput{FunctionName: "f", InvocationType: "Event"}); err != nil {
		t.Fatal(err)
	}
	// Poll for the third attempt (a busy machine may take long), then give
	// a fourth the time of many retry delays to show up.
	waitFor(t, func() bool { calls, _, _ := g.stats(); return calls >= 3 })
	time.Sleep(200 * time.Millisecond)
	if calls, _, _ := g.stats(); calls != 3 {
		t.Fatalf("%d attempts, want 3 (1 + 2 retries)", calls)
	}
}

func TestInvokeDryRunAndErrors(t *testing.T) {
	g := &gateExecutor{}
	svc := newService(t, g, 1000, lambda.AsyncOptions{})
	mustCreate(t, svc, "f", false)
	ctx := context.Background()
	out, err := svc.Invoke(ctx, sc, lambda.InvokeInput{FunctionName: "f", InvocationType: "DryRun"})
	if err != nil || out.StatusCode != 204 {
		t.Fatalf("dry run: %+v %v", out, err)
	}
	if calls, _, _ := g.stats(); calls != 0 {
		t.Fatal("dry run invoked the function")
	}
	_, err = svc.Invoke(ctx, sc, lambda.InvokeInput{FunctionName: "f", Payload: make([]byte, lambda.MaxSyncPayload+1)})
	var de *lambda.Error
	if !errors.As(err, &de) || de.Kind != lambda.KindRequestTooLarge {
		t.Fatalf("oversized payload: %v", err)
	}
	_, err = svc.Invoke(ctx, sc, lambda.InvokeInput{FunctionName: "f", Qualifier: "9"})
	if !errors.As(err, &de) || de.Kind != lambda.KindResourceNotFound {
		t.Fatalf("missing version: %v", err)
	}
}
