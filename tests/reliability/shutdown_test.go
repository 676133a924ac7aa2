package reliability

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/internal/testutil"
)

// TestGracefulShutdown sends SIGTERM to the real binary while an invocation
// runs: the invocation completes and its caller gets the 200, the process
// exits 0, and no function process or environment directory is left.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	ctx := context.Background()
	dataDir := t.TempDir()
	// Two idle provisioned environments as well: they must stop too.
	srv, c, mark := startProvisioned(t, dataDir, "slow")
	if !waitFor(20*time.Second, func() bool {
		pc, err := c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("slow"), Qualifier: aws.String("1")})
		return err == nil && pc.Status == types.ProvisionedConcurrencyStatusEnumReady
	}) {
		t.Fatalf("provisioned config not READY:\n%s", srv.log())
	}

	const hold = 2500 * time.Millisecond
	type answer struct {
		out *lambda.InvokeOutput
		err error
		at  time.Time
	}
	done := make(chan answer, 1)
	go func() {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("slow"), Payload: []byte(`{"hold_ms": 2500}`)})
		done <- answer{out, err, time.Now()}
	}()
	if !waitFor(10*time.Second, func() bool { return countPrefix(mark, "run-") == 1 }) {
		t.Fatalf("the invocation did not start:\n%s", srv.log())
	}
	kids := childrenOf(t, srv.cmd.Process.Pid)
	if len(kids) != 3 {
		t.Errorf("%d function processes before SIGTERM, want 3 (2 provisioned, 1 on demand): %v", len(kids), kids)
	}
	pids := markerPIDs(mark)

	sent := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused soon after the signal.
	if !waitFor(5*time.Second, func() bool {
		_, err := c.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
		return err != nil
	}) {
		t.Errorf("the server still accepts requests 5 s after SIGTERM")
	}

	a := <-done
	if a.err != nil {
		t.Fatalf("the in-flight invocation failed: %v\n%s", a.err, srv.log())
	}
	var res struct {
		PID int `json:"pid"`
	}
	if a.out.StatusCode != 200 || a.out.FunctionError != nil || json.Unmarshal(a.out.Payload, &res) != nil || res.PID == 0 {
		t.Fatalf("the in-flight invocation answered %d %s %s", a.out.StatusCode, aws.ToString(a.out.FunctionError), a.out.Payload)
	}
	select {
	case <-srv.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the server did not exit within 20 s of SIGTERM:\n%s", srv.log())
	}
	var ee *exec.ExitError
	code := 0
	if errors.As(srv.err, &ee) {
		code = ee.ExitCode()
	} else if srv.err != nil {
		t.Fatal(srv.err)
	}
	if code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0:\n%s", code, srv.log())
	}
	exited := time.Since(sent)
	for _, pid := range pids {
		if pidAlive(pid) {
			t.Errorf("function process %d still alive after the server exited", pid)
		}
	}
	if left := childrenOf(t, srv.cmd.Process.Pid); len(left) != 0 {
		t.Errorf("processes left: %v", left)
	}
	if envs, _ := filepath.Glob(filepath.Join(dataDir, "environments", "*")); len(envs) != 0 {
		t.Errorf("environment directories left after a graceful stop: %v", envs)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "reservoir.db")); err != nil {
		t.Errorf("store file: %v", err)
	}
	t.Logf("RESULT shutdown: in-flight invocation answered 200 %.2fs after SIGTERM (held %v), exit 0 after %.2fs, %d function processes stopped, 0 left",
		a.at.Sub(sent).Seconds(), hold, exited.Seconds(), len(pids))
}

// TestKill9LeavesNoOrphans kills the real binary with SIGKILL while it runs
// provisioned environments and an invocation: no function process outlives
// it, and a restart on the same data dir warms the config again and serves.
func TestKill9LeavesNoOrphans(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	ctx := context.Background()
	dataDir := t.TempDir()
	srv, c, mark := startProvisioned(t, dataDir, "victim")
	ready := func(c *lambda.Client) bool {
		pc, err := c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("victim"), Qualifier: aws.String("1")})
		return err == nil && pc.Status == types.ProvisionedConcurrencyStatusEnumReady && aws.ToInt32(pc.AvailableProvisionedConcurrentExecutions) == 2
	}
	if !waitFor(20*time.Second, func() bool { return ready(c) }) {
		t.Fatalf("provisioned config not READY:\n%s", srv.log())
	}
	go func() {
		_, _ = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("victim"), Payload: []byte(`{"hold_ms": 10000}`)})
	}()
	if !waitFor(10*time.Second, func() bool { return countPrefix(mark, "run-") == 1 }) {
		t.Fatalf("the invocation did not start:\n%s", srv.log())
	}
	pids := markerPIDs(mark)
	if len(pids) != 3 {
		t.Fatalf("%d function processes, want 3", len(pids))
	}
	srv.kill9()
	for _, pid := range pids {
		if !waitFor(5*time.Second, func() bool { return !pidAlive(pid) }) {
			t.Errorf("ORPHAN: function process %d outlived the SIGKILLed server", pid)
		}
	}

	srv = startServer(t, dataDir, "process", "--share-dir", mark)
	c = sdkClient(srv.URL, 60*time.Second)
	if !waitFor(20*time.Second, func() bool { return ready(c) }) {
		t.Fatalf("provisioned config not READY after the restart:\n%s", srv.log())
	}
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("victim"), Qualifier: aws.String("1"), Payload: []byte(`{}`)})
	var res struct {
		InitType string `json:"init_type"`
	}
	if err != nil || out.FunctionError != nil || json.Unmarshal(out.Payload, &res) != nil || res.InitType != "provisioned-concurrency" {
		t.Fatalf("invoke after the restart: %v %+v", err, out)
	}
	t.Logf("RESULT kill -9 with the process executor: %d function processes gone with the server, config READY again after restart, served by a provisioned environment", len(pids))
}

// startProvisioned starts the real binary (process executor) on dataDir and
// creates a function of testdata/faultfn.py, published as version 1 with a
// provisioned config of 2 on it; the function leaves its markers in mark.
func startProvisioned(t *testing.T, dataDir, name string) (srv *serverProc, c *lambda.Client, mark string) {
	t.Helper()
	ctx := context.Background()
	mark = testutil.SharedDir(t)
	srv = startServer(t, dataDir, "process", "--share-dir", mark)
	c = sdkClient(srv.URL, 60*time.Second)
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String(role), Code: &types.FunctionCode{ZipFile: faultfnZip(t)}, Publish: true, Timeout: aws.Int32(30),
		Environment: &types.Environment{Variables: map[string]string{"MARK_DIR": mark}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String(name), Qualifier: aws.String("1"), ProvisionedConcurrentExecutions: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	return srv, c, mark
}

// TestShutdownStopsRunningEventsAndKeepsThem sends SIGTERM while an
// asynchronous event runs a function that would take a minute: the server
// exits within its shutdown bound (not when the function ends), and the
// event, stopped, stays stored and runs again after the restart.
func TestShutdownStopsRunningEventsAndKeepsThem(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	ctx := context.Background()
	dataDir := t.TempDir()
	mark := testutil.SharedDir(t)
	srv := startServer(t, dataDir, "process", "--share-dir", mark)
	c := sdkClient(srv.URL, 60*time.Second)
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("long"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String(role), Code: &types.FunctionCode{ZipFile: faultfnZip(t)}, Timeout: aws.Int32(120),
		Environment: &types.Environment{Variables: map[string]string{"MARK_DIR": mark}},
	}); err != nil {
		t.Fatal(err)
	}
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("long"), InvocationType: types.InvocationTypeEvent,
		Payload: []byte(`{"hold_ms": 60000}`)})
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("event: %v %v", out, err)
	}
	if !waitFor(20*time.Second, func() bool { return countPrefix(mark, "run-") == 1 }) {
		t.Fatalf("the event did not start:\n%s", srv.log())
	}
	first := markerPIDs(mark)

	sent := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the server did not exit within 20 s of SIGTERM (an event holds it for a minute):\n%s", srv.log())
	}
	exited := time.Since(sent)
	if srv.err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", srv.err, srv.log())
	}
	for _, pid := range first {
		if pidAlive(pid) {
			t.Errorf("function process %d outlived the server", pid)
		}
	}

	srv = startServer(t, dataDir, "process", "--share-dir", mark)
	again := func() bool {
		for _, pid := range markerPIDs(mark) {
			if !slices.Contains(first, pid) {
				return true
			}
		}
		return false
	}
	if !waitFor(20*time.Second, again) {
		t.Fatalf("the stopped event did not run again after the restart:\n%s", srv.log())
	}
	t.Logf("RESULT shutdown with a running event: exit %.2fs after SIGTERM, the event ran again after the restart", exited.Seconds())
}

// TestNoFunctionRunsWhenListenFails: a server that cannot bind its address
// fails at once, without warming provisioned configs or running stored
// events first.
func TestNoFunctionRunsWhenListenFails(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	ctx := context.Background()
	dataDir := t.TempDir()
	srv, c, mark := startProvisioned(t, dataDir, "warm")
	if !waitFor(20*time.Second, func() bool {
		pc, err := c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("warm"), Qualifier: aws.String("1")})
		return err == nil && pc.Status == types.ProvisionedConcurrencyStatusEnumReady
	}) {
		t.Fatalf("provisioned config not READY:\n%s", srv.log())
	}
	if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("warm"), InvocationType: types.InvocationTypeEvent,
		Payload: []byte(`{"hold_ms": 60000}`)}); err != nil {
		t.Fatal(err)
	}
	if !waitFor(20*time.Second, func() bool { return countPrefix(mark, "run-") == 1 }) {
		t.Fatalf("the event did not start:\n%s", srv.log())
	}
	srv.kill9() // the event stays stored, to run after the next start
	before := len(markerPIDs(mark))

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	runCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(runCtx, reservoirBinary(t), "serve", "--listen", busy.Addr().String(), "--data-dir", dataDir, "--share-dir", mark)
	began := time.Now()
	outb, err := cmd.CombinedOutput()
	if runCtx.Err() != nil {
		t.Fatalf("a server that could not listen was still running after 30 s (waiting for functions it started):\n%s", outb)
	}
	if err == nil {
		t.Fatalf("the server started on a busy address:\n%s", outb)
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("a server that could not listen took %v to give up", d)
	}
	// A function process that was started would have left its init marker
	// within this time.
	time.Sleep(time.Second)
	if after := len(markerPIDs(mark)); after != before {
		t.Fatalf("%d function processes started by a server that could not listen:\n%s", after-before, outb)
	}
}
