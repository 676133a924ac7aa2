package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/testutil"
)

// The invoke-path benchmarks (BenchmarkInvokeLogs, BenchmarkInvokeDashboard)
// share one shape: a server, printfn created as "printer" with the
// environment under test, one warm environment per caller, then b.N warm
// invocations from a fixed number of callers.

var printFn struct {
	once sync.Once
	zip  []byte
	err  error
}

func printFnZip(b testing.TB) []byte {
	printFn.once.Do(func() {
		printFn.zip, printFn.err = testutil.GoBootstrapZip("../../bench/testdata/printfn", "-tags", "lambda.norpc")
	})
	if printFn.err != nil {
		b.Fatal(printFn.err)
	}
	return printFn.zip
}

// benchClients is how many callers invoke at once in the saturated runs:
// enough to keep the 2 CPUs of the reference machine busy, so that the
// throughput shows what a feature costs in CPU. The runs with one caller
// leave CPU idle between calls.
const benchClients = 4

// printerBench is a served App with the printer function warm.
type printerBench struct {
	a      *App
	base   string
	invoke func() error
}

// startPrinter serves an App made from cfg (Listen and DataDir are set
// here), creates printer with env, and warms one environment per client.
func startPrinter(b *testing.B, cfg Config, env map[string]string, clients int) *printerBench {
	ctx := context.Background()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", b.TempDir()
	a, err := New(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve() }()
	b.Cleanup(func() {
		_ = a.Close(ctx)
		<-done
	})
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	base := "http://" + a.Addr()
	do := func(method, path string, body []byte, want int) ([]byte, error) {
		req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=123456789012/20250101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00")
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != want {
			err = fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, out)
		}
		return out, err
	}
	create, _ := json.Marshal(map[string]any{
		"FunctionName": "printer", "Runtime": "provided.al2023", "Handler": "bootstrap", "Timeout": 30,
		"Role":        "arn:aws:iam::123456789012:role/bench",
		"Environment": map[string]any{"Variables": env},
		"Code":        map[string]string{"ZipFile": base64.StdEncoding.EncodeToString(printFnZip(b))},
	})
	if _, err := do("POST", "/2015-03-31/functions", create, 201); err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"hello":"world"}`)
	p := &printerBench{a: a, base: base, invoke: func() error {
		out, err := do("POST", "/2015-03-31/functions/printer/invocations", payload, 200)
		if err == nil && !bytes.Equal(out, payload) {
			err = fmt.Errorf("answer %q", out)
		}
		return err
	}}
	for range 3 { // one warm environment per client
		var wg sync.WaitGroup
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := p.invoke(); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	return p
}

// run times b.N invocations from clients callers; settle, if not nil, runs
// after the last call and before the clock stops (its cost is counted). It
// reports invokes/s and the server's own CPU per invocation (user and
// system, every thread; not the functions' processes), which a busy
// machine blurs less than the throughput.
func (p *printerBench) run(b *testing.B, clients int, settle func() error) {
	var next sync.Mutex
	left := b.N
	b.ResetTimer()
	cpu0 := processCPU(b)
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				if left == 0 {
					next.Unlock()
					return
				}
				left--
				next.Unlock()
				if err := p.invoke(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if settle != nil {
		if err := settle(); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	cpu := processCPU(b) - cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "invokes/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}

// processCPU is the CPU time this process has used so far, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
