package reliability

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/internal/testutil"
)

// holdingFunction creates function name of testdata/faultfn.py, which drops
// its markers in mark (a directory the server shares with its functions).
func holdingFunction(t *testing.T, c *lambda.Client, name, mark string) {
	t.Helper()
	if _, err := c.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String(role), Code: &types.FunctionCode{ZipFile: faultfnZip(t)}, Timeout: aws.Int32(120),
		Environment: &types.Environment{Variables: map[string]string{"MARK_DIR": mark}},
	}); err != nil {
		t.Fatal(err)
	}
}

// exitStatus is the status the server exited with (-1 if it died of a
// signal), once it has.
func (p *serverProc) exitStatus(t *testing.T) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(p.err)
	return 0
}

// checkCleanStop fails the test unless the log of a stopped server ends
// with "reservoir stopped" and holds no error.
func checkCleanStop(t *testing.T, log string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(log), "\n")
	if !strings.Contains(lines[len(lines)-1], `msg="reservoir stopped"`) {
		t.Errorf("the log does not end with reservoir stopped:\n%s", log)
	}
	for _, l := range lines {
		if strings.Contains(l, "level=ERROR") || strings.Contains(l, "deadline exceeded") {
			t.Errorf("an error in the log of a clean stop: %s", l)
		}
	}
}

// TestCtrlCTwiceStopsAtOnce: the first SIGINT starts the graceful stop and
// says so on the terminal with the invocations running; the second stops at
// once, though a synchronous invocation and an event would run for a minute:
// every function process is gone, the process exits 0 with a clean log, and
// what was acknowledged stands after a restart on the same data directory
// (the reservation, the functions, and the event, which runs again).
func TestCtrlCTwiceStopsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	ctx := context.Background()
	dataDir := t.TempDir()
	syncMark, eventMark := testutil.SharedDir(t), testutil.SharedDir(t)
	share := syncMark + "," + eventMark
	srv := startServer(t, dataDir, "process", "--share-dir", share)
	c := sdkClient(srv.URL, 60*time.Second)
	holdingFunction(t, c, "sync", syncMark)
	holdingFunction(t, c, "event", eventMark)
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("sync"),
		ReservedConcurrentExecutions: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("event"), InvocationType: types.InvocationTypeEvent,
		Payload: []byte(`{"hold_ms": 60000}`)})
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("event: %v %v", out, err)
	}
	answered := make(chan error, 1)
	go func() {
		_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sync"), Payload: []byte(`{"hold_ms": 60000}`)})
		answered <- err
	}()
	if !waitFor(20*time.Second, func() bool { return countPrefix(syncMark, "run-") == 1 && countPrefix(eventMark, "run-") == 1 }) {
		t.Fatalf("the invocations did not start:\n%s", srv.log())
	}
	pids := append(markerPIDs(syncMark), markerPIDs(eventMark)...)

	if err := srv.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	const said = "stopping: waiting up to 10 s for 2 running invocations; press Ctrl-C again to stop now\n"
	if !waitFor(10*time.Second, func() bool { return strings.Contains(srv.log(), said) }) {
		t.Fatalf("the first Ctrl-C did not say %q:\n%s", said, srv.log())
	}
	sent := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.done:
	case <-time.After(8 * time.Second): // the graceful stop would take 10 s
		t.Fatalf("the server did not stop at once on the second Ctrl-C:\n%s", srv.log())
	}
	exited := time.Since(sent)
	if code := srv.exitStatus(t); code != 0 {
		t.Errorf("exit status %d after two Ctrl-C, want 0:\n%s", code, srv.log())
	}
	checkCleanStop(t, srv.log())
	for _, pid := range pids {
		if pidAlive(pid) {
			t.Errorf("function process %d outlived the server", pid)
		}
	}
	select {
	case err := <-answered:
		if err == nil {
			t.Error("the cut invocation answered as if it had run")
		}
	case <-time.After(10 * time.Second):
		t.Error("the caller of the cut invocation is still waiting")
	}

	srv = startServer(t, dataDir, "process", "--share-dir", share)
	c = sdkClient(srv.URL, 60*time.Second)
	conc, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("sync")})
	if err != nil || aws.ToInt32(conc.ReservedConcurrentExecutions) != 5 {
		t.Errorf("the reservation after the restart: %v %v", conc, err)
	}
	again := func() bool {
		return slices.ContainsFunc(markerPIDs(eventMark), func(pid int) bool { return !slices.Contains(pids, pid) })
	}
	if !waitFor(20*time.Second, again) {
		t.Errorf("the acknowledged event did not run again after the restart:\n%s", srv.log())
	}
	t.Logf("RESULT Ctrl-C twice: exit 0 %.2fs after the second, 2 invocations of a minute cut, %d function processes gone; reservation and event kept",
		exited.Seconds(), len(pids))
}

// TestCtrlCOnceEndsWithinTheBound: one SIGINT while an invocation would
// run for a minute and a client is stuck sending its request: the stop
// waits its 10 s, cuts both, and is a clean one (exit 0, no "context
// deadline exceeded" after "reservoir stopped"); the invocation's caller
// gets 503 ServiceException.
func TestCtrlCOnceEndsWithinTheBound(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	ctx := context.Background()
	mark := testutil.SharedDir(t)
	srv := startServer(t, t.TempDir(), "process", "--share-dir", mark)
	c := sdkClient(srv.URL, 60*time.Second)
	holdingFunction(t, c, "long", mark)
	answered := make(chan error, 1)
	go func() {
		_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("long"), Payload: []byte(`{"hold_ms": 60000}`)})
		answered <- err
	}()
	if !waitFor(20*time.Second, func() bool { return countPrefix(mark, "run-") == 1 }) {
		t.Fatalf("the invocation did not start:\n%s", srv.log())
	}
	// A client that sent half its request and went quiet.
	stuck, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	if _, err := stuck.Write([]byte("POST /2015-03-31/functions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"Fun")); err != nil {
		t.Fatal(err)
	}

	sent := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the server did not stop within 20 s of Ctrl-C:\n%s", srv.log())
	}
	exited := time.Since(sent)
	if code := srv.exitStatus(t); code != 0 {
		t.Errorf("exit status %d, want 0:\n%s", code, srv.log())
	}
	if !strings.Contains(srv.log(), "stopping: waiting up to 10 s for 1 running invocation; press Ctrl-C again to stop now\n") {
		t.Errorf("Ctrl-C did not say what it waits for:\n%s", srv.log())
	}
	checkCleanStop(t, srv.log())
	var se *types.ServiceException
	if err := <-answered; !errors.As(err, &se) {
		t.Errorf("the caller of the cut invocation got %v, want 503 ServiceException", err)
	}
	t.Logf("RESULT Ctrl-C once: exit 0 %.2fs after it, an invocation of a minute and a stuck upload cut", exited.Seconds())
}
