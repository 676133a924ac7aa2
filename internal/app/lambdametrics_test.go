package app

import (
	"context"
	"errors"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

const sleepHandler = `import time
def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return "ok"
`

// TestLambdaMetricsInCloudWatch: what clients saw is what AWS/Lambda's
// metrics say. A function with reserved concurrency 1 takes six concurrent
// calls: the Throttles sum equals the 429s, Invocations the 200s, and
// ConcurrentExecutions peaks at 1. The server stops right after: the
// minute in progress is published and flushed before the store closes, and
// read after a restart.
func TestLambdaMetricsInCloudWatch(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	ctx := context.Background()
	dir := t.TempDir()
	a, stop := startOn(t, dir)
	c := lambda.NewFromConfig(sdkConfig(a))
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("metered"), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"),
		Role: aws.String("arn:aws:iam::123456789012:role/r"), Code: &types.FunctionCode{ZipFile: zipFile(t, "app.py", sleepHandler)},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("metered"), ReservedConcurrentExecutions: aws.Int32(1),
	}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var mu sync.Mutex
	ok, throttled := 0, 0
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("metered"), Payload: []byte(`{"sleep":1}`)})
			var tmr *types.TooManyRequestsException
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.As(err, &tmr):
				throttled++
			default:
				t.Errorf("Invoke: %v", err)
			}
		})
	}
	wg.Wait()
	if ok == 0 || throttled == 0 {
		t.Fatalf("%d served, %d throttled: want both", ok, throttled)
	}
	stop()

	a = serveOn(t, dir)
	cw := cloudwatch.NewFromConfig(sdkConfig(a))
	stat := func(metric string, st cwtypes.Statistic) (total float64, n int) {
		t.Helper()
		out, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
			Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(metric),
			Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("metered")}},
			StartTime:  aws.Time(start.Add(-2 * time.Minute)), EndTime: aws.Time(time.Now().Add(2 * time.Minute)),
			Period: aws.Int32(60), Statistics: []cwtypes.Statistic{st},
		})
		if err != nil {
			t.Fatalf("GetMetricStatistics %s: %v", metric, err)
		}
		for _, p := range out.Datapoints {
			switch st {
			case cwtypes.StatisticSum:
				total += aws.ToFloat64(p.Sum)
			case cwtypes.StatisticMaximum:
				total = max(total, aws.ToFloat64(p.Maximum))
			}
		}
		return total, len(out.Datapoints)
	}
	if got, _ := stat("Throttles", cwtypes.StatisticSum); got != float64(throttled) {
		t.Errorf("Throttles Sum = %v, clients saw %d 429s", got, throttled)
	}
	if got, _ := stat("Invocations", cwtypes.StatisticSum); got != float64(ok) {
		t.Errorf("Invocations Sum = %v, clients saw %d served", got, ok)
	}
	if got, n := stat("ConcurrentExecutions", cwtypes.StatisticMaximum); got != 1 || n == 0 {
		t.Errorf("ConcurrentExecutions Maximum = %v over %d datapoints, want 1 (reserved 1)", got, n)
	}
	if got, n := stat("Errors", cwtypes.StatisticSum); got != 0 || n == 0 {
		t.Errorf("Errors Sum = %v over %d datapoints, want 0 published", got, n)
	}
}
