package cloudwatch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
	"github.com/reservoir-dev/reservoir/internal/testutil"
)

const crashPathEnv = "RESERVOIR_CLOUDWATCH_CRASH_PATH"

// TestKill9LosesAtMostOneFlush runs a child process that publishes one
// datum of a new series about every millisecond (the path Lambda's metrics
// take, flushing every 250 ms) and reports each once Publish has returned,
// SIGKILLs it, and checks the file: it passes bbolt's check, every datum
// reported more than a second before the kill is stored, and what is stored
// is a prefix of what was published (a flush is one transaction; flushes go
// in order).
func TestKill9LosesAtMostOneFlush(t *testing.T) {
	if path := os.Getenv(crashPathEnv); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "reservoir.db")
	published, mustHave := testutil.KillMidWrite(t, "TestKill9LosesAtMostOneFlush", crashPathEnv, path, "published")
	st, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	series, err := st.LoadMetricSeries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stored := make(map[int]bool, len(series))
	for _, s := range series {
		n, err := strconv.Atoi(s.Key.Dimensions[0].Value)
		if err != nil {
			t.Fatalf("series %+v", s.Key)
		}
		stored[n] = true
	}
	for i := range len(stored) {
		if !stored[i] {
			t.Fatalf("%d datums stored but not datum %d: not a prefix of what was published", len(stored), i)
		}
	}
	if len(stored) < mustHave {
		t.Errorf("%d datums stored; the %d published over a second before the kill must be", len(stored), mustHave)
	}
	t.Logf("%d published, %d stored, %d needed", published, len(stored), mustHave)
}

func crashChild(path string) {
	st, err := boltstore.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(2)
	}
	svc, err := cloudwatch.NewService(context.Background(), cloudwatch.Options{Store: st, FlushInterval: 250 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child service:", err)
		os.Exit(2)
	}
	testutil.CrashChild("published", func(i int) {
		svc.Publish(scopeA(), []cloudwatch.Datum{{Namespace: "AWS/Lambda", MetricName: "Invocations", Timestamp: time.Now(),
			Dimensions: []cloudwatch.Dimension{{Name: "n", Value: strconv.Itoa(i)}}, Stats: cloudwatch.StatisticSet{SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1}}})
	})
}
