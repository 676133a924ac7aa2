package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/internal/testutil"
	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// loadTarget is one function under load.
type loadTarget struct {
	name, qualifier string
	reserved        int
	mark            string

	mu        sync.Mutex
	ok        int
	throttled map[string]int // by Reason
	other     []string
	peak      int
	provRuns  int
	okLat     []time.Duration
	thrLat    []time.Duration
}

func (lt *loadTarget) record(status int, header http.Header, body []byte, took time.Duration, err error) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	switch {
	case err != nil:
		lt.other = append(lt.other, err.Error())
	case status == 200 && header.Get("X-Amz-Function-Error") == "":
		var r fnResult
		if json.Unmarshal(body, &r) != nil {
			lt.other = append(lt.other, fmt.Sprintf("200 with %q", body))
			return
		}
		lt.ok++
		lt.peak = max(lt.peak, r.InFlight)
		if r.InitType == "provisioned-concurrency" {
			lt.provRuns++
		}
		lt.okLat = append(lt.okLat, took)
	case status == 429 && header.Get("X-Amzn-ErrorType") == "TooManyRequestsException":
		var e struct{ Reason string }
		_ = json.Unmarshal(body, &e)
		lt.throttled[e.Reason]++
		lt.thrLat = append(lt.thrLat, took)
	default:
		lt.other = append(lt.other, fmt.Sprintf("%d %s %s %.200s", status, header.Get("X-Amzn-ErrorType"), header.Get("X-Amz-Function-Error"), body))
	}
}

// TestLoad sends thousands of concurrent invocations at a function with a
// reservation and at an alias with provisioned concurrency: the functions
// never see more executions than reserved, every throttle is counted in
// /metrics, latency stays bounded, and after Close no process, goroutine,
// file descriptor or listener is left.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs function processes")
	}
	total, conc := 6000, 500
	if long() {
		total, conc = envInt("RESERVOIR_LOAD_TOTAL", 30000), envInt("RESERVOIR_LOAD_CONCURRENCY", 1500)
	}
	zip := faultfnZip(t)
	// Initialize what the process keeps for good (network poller, exec
	// look-ups) before taking the baseline.
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		ln.Close()
	}
	_, _ = exec.LookPath("python3")
	runtime.GC()
	baseGoroutines, baseFDs := runtime.NumGoroutine(), openFDs(t)

	tr := &http.Transport{MaxIdleConnsPerHost: conc, IdleConnTimeout: 30 * time.Second}
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	marks := [2]string{testutil.SharedDir(t), testutil.SharedDir(t)}
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "process", ShareDirs: marks[:]})
	cfg := srv.AWSConfig(t)
	cfg.HTTPClient = hc
	c := lambda.NewFromConfig(cfg)
	ctx := context.Background()

	capped := &loadTarget{name: "capped", reserved: 10, mark: marks[0], throttled: map[string]int{}}
	prov := &loadTarget{name: "prov", qualifier: "live", reserved: 8, mark: marks[1], throttled: map[string]int{}}
	for _, lt := range []*loadTarget{capped, prov} {
		if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(lt.name), Runtime: types.RuntimePython312, Handler: aws.String("app.handler"), Role: aws.String(role),
			Code: &types.FunctionCode{ZipFile: zip}, Timeout: aws.Int32(30), Publish: true,
			Environment: &types.Environment{Variables: map[string]string{"MARK_DIR": lt.mark}},
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(lt.name), ReservedConcurrentExecutions: aws.Int32(int32(lt.reserved))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("prov"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String("prov"), Qualifier: aws.String("live"), ProvisionedConcurrentExecutions: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}
	if !waitFor(30*time.Second, func() bool {
		pc, err := c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String("prov"), Qualifier: aws.String("live")})
		return err == nil && pc.Status == types.ProvisionedConcurrencyStatusEnumReady
	}) {
		t.Fatal("provisioned config not READY")
	}

	auth := fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/20260101/%s/lambda/aws4_request, SignedHeaders=host, Signature=0", account, region)
	invoke := func(lt *loadTarget, event string) {
		u := srv.URL + "/2015-03-31/functions/" + lt.name + "/invocations"
		if lt.qualifier != "" {
			u += "?Qualifier=" + lt.qualifier
		}
		req, _ := http.NewRequest("POST", u, strings.NewReader(event))
		req.Header.Set("Authorization", auth)
		t0 := time.Now()
		resp, err := hc.Do(req)
		var body []byte
		var status int
		var header http.Header
		if err == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			status, header = resp.StatusCode, resp.Header
		}
		lt.record(status, header, body, time.Since(t0), err)
	}

	// Warm up: as many environments as each function may run.
	var wg sync.WaitGroup
	for _, lt := range []*loadTarget{capped, prov} {
		for range lt.reserved {
			wg.Add(1)
			go func() {
				defer wg.Done()
				invoke(lt, `{"hold_ms": 300}`)
			}()
		}
	}
	wg.Wait()
	for _, lt := range []*loadTarget{capped, prov} {
		lt.okLat, lt.thrLat = nil, nil // report the load's latencies only
	}

	// The load: conc clients, total invocations, two in three at capped.
	jobs := make(chan *loadTarget, total)
	for i := range total {
		if i%3 == 2 {
			jobs <- prov
		} else {
			jobs <- capped
		}
	}
	close(jobs)
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lt := range jobs {
				invoke(lt, `{"hold_ms": 50}`)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	metrics := scrape(t, srv.URL)
	for _, lt := range []*loadTarget{capped, prov} {
		if len(lt.other) > 0 {
			t.Errorf("%s: %d answers neither 200 nor a throttle, e.g. %v", lt.name, len(lt.other), lt.other[:min(3, len(lt.other))])
		}
		if lt.peak > lt.reserved {
			t.Errorf("OVER-ADMITTED: %s observed %d executions in flight, reserved %d", lt.name, lt.peak, lt.reserved)
		}
		if lt.ok < lt.reserved {
			t.Errorf("%s: only %d invocations ran", lt.name, lt.ok)
		}
		labels := fmt.Sprintf(`account="%s",function="%s"`, account, lt.name)
		throttles := 0
		for reason, n := range lt.throttled {
			throttles += n
			if reason != "ReservedFunctionConcurrentInvocationLimitExceeded" {
				t.Errorf("%s: %d throttles with reason %q", lt.name, n, reason)
			}
			if m := metricValue(metrics, fmt.Sprintf(`lambda_throttles_total{%s,reason="%s",region="%s"}`, labels, reason, region)); int(m) != n {
				t.Errorf("%s: %d throttles answered, /metrics counts %v", lt.name, n, m)
			}
		}
		if m := metricValue(metrics, fmt.Sprintf(`lambda_invocations_total{%s,region="%s"}`, labels, region)); int(m) != lt.ok {
			t.Errorf("%s: %d invocations answered 200, /metrics counts %v", lt.name, lt.ok, m)
		}
		if m := metricValue(metrics, fmt.Sprintf(`lambda_concurrent_executions{%s,region="%s"}`, labels, region)); m != 0 {
			t.Errorf("%s: %v executions still in flight after the load", lt.name, m)
		}
		if n := countPrefix(lt.mark, "run-"); n != 0 {
			t.Errorf("%s: %d run markers left", lt.name, n)
		}
		slices.Sort(lt.okLat)
		slices.Sort(lt.thrLat)
		t.Logf("RESULT load %s (reserved %d): %d ran (peak %d in flight, %d on provisioned environments), %d throttled = /metrics; latency ran p50 %v p99 %v max %v, throttled p50 %v p99 %v max %v",
			lt.name, lt.reserved, lt.ok, lt.peak, lt.provRuns, throttles,
			percentile(lt.okLat, 50).Round(time.Millisecond), percentile(lt.okLat, 99).Round(time.Millisecond), percentile(lt.okLat, 100).Round(time.Millisecond),
			percentile(lt.thrLat, 50).Round(time.Millisecond), percentile(lt.thrLat, 99).Round(time.Millisecond), percentile(lt.thrLat, 100).Round(time.Millisecond))
		if p := percentile(lt.thrLat, 99); p > 10*time.Second {
			t.Errorf("%s: throttles take %v at p99", lt.name, p)
		}
	}
	if m := metricValue(metrics, fmt.Sprintf(`lambda_provisioned_concurrency_invocations_total{account="%s",function="prov",region="%s"}`, account, region)); int(m) != prov.provRuns {
		t.Errorf("prov: %d invocations ran on provisioned environments, /metrics counts %v", prov.provRuns, m)
	}
	if prov.provRuns == 0 {
		t.Errorf("prov: no invocation ran on a provisioned environment")
	}
	t.Logf("RESULT load: %d invocations from %d concurrent clients in %.1fs (%.0f/s)", total, conc, elapsed.Seconds(), float64(total)/elapsed.Seconds())

	// Nothing is left once the server is closed.
	addr := strings.TrimPrefix(srv.URL, "http://")
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	tr.CloseIdleConnections()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	if left := childrenOf(t, os.Getpid()); len(left) != 0 {
		t.Errorf("LEAK: processes left after Close: %v", left)
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("LEAK: %s still accepts connections after Close", addr)
	}
	var goroutines, fds int
	settled := waitFor(10*time.Second, func() bool {
		runtime.GC()
		goroutines, fds = runtime.NumGoroutine(), openFDs(t)
		return goroutines <= baseGoroutines+2 && fds <= baseFDs+2
	})
	if !settled {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("LEAK: %d goroutines (baseline %d), %d file descriptors (baseline %d) 10 s after Close\n%s", goroutines, baseGoroutines, fds, baseFDs, buf)
	}
	t.Logf("RESULT load leaks: goroutines %d → %d, file descriptors %d → %d, 0 processes, listener closed", baseGoroutines, goroutines, baseFDs, fds)
}
