package app

// The cost of open dashboard pages on the invoke path: warm invocations
// with no dashboard stream open, and with 10 (5 snapshot event streams and
// 5 function-view streams of the invoked function, each read by a client
// that discards what arrives). docs/BENCHMARKS.md runs the pair alternately
// and compares them with benchstat:
//
//	go test -c -o /tmp/app.test ./internal/app
//	cd internal/app && for i in 1 2 3 4 5 6 7 8; do for s in 0 10; do
//	  /tmp/app.test -test.run '^$' -test.bench "BenchmarkInvokeDashboard/subscribers=$s\$" -test.benchtime 3s >>sub$s.txt; done; done
//	sed -i 's,/subscribers=[0-9]*,,' sub0.txt sub10.txt; benchstat sub0.txt sub10.txt

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

func BenchmarkInvokeDashboard(b *testing.B) {
	for _, subs := range []int{0, 10} {
		b.Run(fmt.Sprintf("subscribers=%d", subs), func(b *testing.B) { benchInvokeDashboard(b, subs) })
	}
}

func benchInvokeDashboard(b *testing.B, subscribers int) {
	ctx := context.Background()
	a, err := New(ctx, Config{Listen: "127.0.0.1:0", DataDir: b.TempDir()})
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
		"Environment": map[string]any{"Variables": map[string]string{"PRINT_LINES": "1"}},
		"Code":        map[string]string{"ZipFile": base64.StdEncoding.EncodeToString(printFnZip(b))},
	})
	if _, err := do("POST", "/2015-03-31/functions", create, 201); err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"hello":"world"}`)
	invoke := func() error {
		out, err := do("POST", "/2015-03-31/functions/printer/invocations", payload, 200)
		if err == nil && !bytes.Equal(out, payload) {
			err = fmt.Errorf("answer %q", out)
		}
		return err
	}
	for range 3 { // one warm environment per client
		var wg sync.WaitGroup
		for range benchClients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := invoke(); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}

	// The open pages: each stream has sent its first event before the timing.
	streamCtx, stop := context.WithCancel(ctx)
	var streams sync.WaitGroup
	b.Cleanup(func() { stop(); streams.Wait() })
	for i := range subscribers {
		path := "/_reservoir/api/events?account=123456789012&region=us-east-1"
		if i%2 == 1 {
			path = "/_reservoir/api/functions/printer?account=123456789012&region=us-east-1"
		}
		var resp *http.Response
		for deadline := time.Now().Add(10 * time.Second); ; {
			req, _ := http.NewRequestWithContext(streamCtx, http.MethodGet, base+path, nil)
			req.Header.Set("Accept", "text/event-stream")
			resp, err = (&http.Client{}).Do(req)
			if err != nil {
				b.Fatal(err)
			}
			if resp.StatusCode == http.StatusOK {
				break
			}
			resp.Body.Close() // the sampler has not seen the function yet
			if time.Now().After(deadline) {
				b.Fatalf("%s: %d", path, resp.StatusCode)
			}
			time.Sleep(50 * time.Millisecond)
		}
		first := make([]byte, 1)
		if _, err := io.ReadFull(resp.Body, first); err != nil {
			b.Fatal(err)
		}
		streams.Add(1)
		go func() {
			defer streams.Done()
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
		}()
	}
	if n := a.dash.Subscribers(); n != subscribers {
		b.Fatalf("%d streams open, want %d", n, subscribers)
	}

	var next sync.Mutex
	left := b.N
	b.ResetTimer()
	cpu0 := processCPU(b)
	start := time.Now()
	var wg sync.WaitGroup
	for range benchClients {
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
				if err := invoke(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := processCPU(b) - cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "invokes/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}
