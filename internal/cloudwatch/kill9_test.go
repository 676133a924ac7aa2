package cloudwatch_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
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
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9LosesAtMostOneFlush$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashPathEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type ack struct {
		n  int
		at time.Time
	}
	acks := make(chan ack)
	go func() {
		defer close(acks)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "published ")); err == nil {
				acks <- ack{n, time.Now()}
			}
		}
	}()
	var got []ack
	var killedAt time.Time
	timeout := time.After(60 * time.Second)
	for reading := true; reading; {
		select {
		case a, ok := <-acks:
			if !ok {
				reading = false
				break
			}
			got = append(got, a)
			if killedAt.IsZero() && time.Since(got[0].at) > 1500*time.Millisecond {
				if err := cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
				killedAt = time.Now()
			}
		case <-timeout:
			_ = cmd.Process.Kill()
			t.Fatalf("no kill after 60s (%d datums); stderr:\n%s", len(got), stderr.String())
		}
	}
	_ = cmd.Wait()
	if killedAt.IsZero() {
		t.Fatalf("the child ended on its own after %d datums; stderr:\n%s", len(got), stderr.String())
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatalf("bbolt check after kill -9: %v", err)
	}
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
	mustHave := 0
	for _, a := range got {
		if a.at.Before(killedAt.Add(-time.Second)) {
			mustHave = a.n + 1
		}
	}
	if len(stored) < mustHave {
		t.Errorf("%d datums stored; the %d published over a second before the kill must be", len(stored), mustHave)
	}
	t.Logf("%d published, %d stored, %d needed", len(got), len(stored), mustHave)
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
	w := bufio.NewWriter(os.Stdout)
	deadline := time.Now().Add(30 * time.Second) // never outlive a parent that failed to kill us
	for i := 0; time.Now().Before(deadline); i++ {
		svc.Publish(scopeA(), []cloudwatch.Datum{{Namespace: "AWS/Lambda", MetricName: "Invocations", Timestamp: time.Now(),
			Dimensions: []cloudwatch.Dimension{{Name: "n", Value: strconv.Itoa(i)}}, Stats: cloudwatch.StatisticSet{SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1}}})
		fmt.Fprintf(w, "published %d\n", i)
		w.Flush()
		time.Sleep(time.Millisecond)
	}
	os.Exit(4)
}
