package reliability

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/internal/testutil"
)

// asyncPy holds each event for a moment, then appends a line to
// MARK_DIR/done-<request id>: one line per completed run.
const asyncPy = `import os, time

def handler(event, context):
    time.sleep(0.1)
    with open(os.path.join(os.environ["MARK_DIR"], "done-" + context.aws_request_id), "a") as f:
        f.write("x\n")
    return "ok"
`

// TestAsyncEventsSurviveKill9: Event invocations answered 202 are durable.
// The server is killed (-9) with most of them still queued (in the long
// form, 5 times); after the restarts every one of them runs to completion. At least once: one that
// was running at the kill may run twice, as AWS also allows.
func TestAsyncEventsSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	ctx := context.Background()
	dataDir, mark := t.TempDir(), testutil.SharedDir(t)
	srv := startServer(t, dataDir, "process", "--share-dir", mark)
	c := sdkClient(srv.URL, 30*time.Second)

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("app.py")
	_, _ = w.Write([]byte(asyncPy))
	_ = zw.Close()
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("queued"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String(role), Code: &types.FunctionCode{ZipFile: buf.Bytes()}, Timeout: aws.Int32(30),
		Environment: &types.Environment{Variables: map[string]string{"MARK_DIR": mark}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("queued"), ReservedConcurrentExecutions: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}

	// Short form: 60 events, one kill. Long form: 300 events, 5 kills.
	n, kills := 60, 1
	if long() {
		n, kills = 300, 5
	}
	var ids []string
	for range n {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("queued"),
			InvocationType: types.InvocationTypeEvent, Payload: []byte(`{}`)})
		if err != nil || out.StatusCode != 202 {
			t.Fatalf("Event invoke: %v %+v", err, out)
		}
		id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
		if !ok || id == "" {
			t.Fatal("202 without a request ID")
		}
		ids = append(ids, id)
	}
	runs := func() (done, total int) {
		for _, id := range ids {
			b, err := os.ReadFile(filepath.Join(mark, "done-"+id))
			if err == nil {
				done++
				total += strings.Count(string(b), "x")
			}
		}
		return done, total
	}
	var beforeKills []int
	for k := range kills {
		// Kill once a further share of the events is done.
		want := (k + 1) * n / (kills + 1) / 4
		if !waitFor(60*time.Second, func() bool { d, _ := runs(); return d >= max(want, 5*(k+1)) }) {
			t.Fatalf("events are not running:\n%s", srv.log())
		}
		srv.kill9()
		before, _ := runs()
		if before == n {
			t.Fatalf("every event ran before kill %d: nothing was left to survive it", k+1)
		}
		beforeKills = append(beforeKills, before)
		srv = startServer(t, dataDir, "process", "--share-dir", mark)
	}
	if !waitFor(time.Duration(n)*time.Second, func() bool { d, _ := runs(); return d == n }) {
		done, _ := runs()
		t.Fatalf("%d of %d acknowledged events ran after the restarts (done before each kill: %v):\n%s", done, n, beforeKills, srv.log())
	}
	time.Sleep(300 * time.Millisecond)
	done, total := runs()
	t.Logf("RESULT async events across kill -9: %d acknowledged, %d kills (done before each: %v), all %d done after the restarts, %d ran twice",
		n, kills, beforeKills, done, total-done)
	// At the reservation of 2, at most 2 events run at each kill.
	if total-done > 2*kills {
		t.Errorf("%d events ran twice; only the %d running at the kills may", total-done, 2*kills)
	}
}
