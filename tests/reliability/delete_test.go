package reliability

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// TestDeleteFunctionStopsItsEnvironments: once a function is deleted its
// on-demand environments can never serve again, so their processes must go.
//
// Regression test for a bug this suite found (fixed): lambda.Service.DeleteFunction releases
// the function's provisioned configs but nothing tells the executor about
// its on-demand environments; sandbox.Manager keeps them idle in their
// on-demand pool until the idle reaper stops them (IdleTimeout, 10 minutes
// by default). A test suite that creates and deletes functions piles up one
// process per environment for 10 minutes. (Environments of a superseded
// $LATEST after UpdateFunctionCode/UpdateFunctionConfiguration linger the
// same way.)
func TestDeleteFunctionStopsItsEnvironments(t *testing.T) {
	if testing.Short() {
		t.Skip("runs function processes")
	}
	f := newFaultFixture(t, reservoirtest.Options{})
	f.createPy("doomed", 10, false, nil)
	pid := f.ok("doomed", "", `{}`).PID
	if _, err := f.c.DeleteFunction(context.Background(), &lambda.DeleteFunctionInput{FunctionName: aws.String("doomed")}); err != nil {
		t.Fatal(err)
	}
	if !waitFor(5*time.Second, func() bool { return !pidAlive(pid) }) {
		t.Errorf("regression: the environment process %d of the deleted function is still running 5 s after DeleteFunction", pid)
	}
}

// TestInvokeRacingDeleteIsNever500 (long form only: the race is narrow)
// deletes functions while invocations that need a cold start are admitted.
// Each must run or answer 404 ResourceNotFoundException, never 500.
//
// Regression test for a bug this suite found (fixed; it reproduced in the
// long form, ~1 in 100 racing invocations): an invocation admitted before DeleteFunction starts its
// environment after DeleteFunction's collectCode deleted the package;
// sandbox's env.start gets lambda.ErrCodeNotFound from the code loader,
// app's processExecutor passes it on as a plain error, and the wire layer
// answers 500 ServiceException "An internal error occurred." and logs
// `internal error ... sandbox: code of f: load code ...: code not found`.
func TestInvokeRacingDeleteIsNever500(t *testing.T) {
	if !long() {
		t.Skip("long form (RESERVOIR_LONG=1): the race is narrow")
	}
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "process", IdleTimeout: time.Second})
	c := lambda.NewFromConfig(srv.AWSConfig(t))
	ctx := context.Background()
	zip := faultfnZip(t)
	budget := time.Duration(envInt("RESERVOIR_RACE_SECONDS", 60)) * time.Second
	start := time.Now()
	var mu sync.Mutex
	outcomes := map[string]int{}
	var example string
	trials := 0
	for ; time.Since(start) < budget && outcomes["500"] == 0; trials++ {
		name := fmt.Sprintf("racer-%d", trials)
		if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: types.RuntimePython312,
			Handler: aws.String("app.handler"), Role: aws.String(role), Code: &types.FunctionCode{ZipFile: zip}}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{}`)})
				var re *smithyhttp.ResponseError
				k := "ran"
				if errors.As(err, &re) {
					k = fmt.Sprint(re.HTTPStatusCode())
				} else if err != nil {
					k = err.Error()
				}
				mu.Lock()
				outcomes[k]++
				if k == "500" {
					example = err.Error()
				}
				mu.Unlock()
			}()
		}
		time.Sleep(time.Duration(trials%8) * time.Millisecond)
		if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
	}
	t.Logf("%d trials in %v: %v", trials, time.Since(start).Round(time.Second), outcomes)
	for k, n := range outcomes {
		if k != "ran" && k != "404" {
			t.Errorf("regression: %d invocations racing DeleteFunction answered %s, e.g. %s", n, k, example)
		}
	}
}
