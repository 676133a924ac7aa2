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
	"context"
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
	p := startPrinter(b, Config{}, map[string]string{"PRINT_LINES": "1"}, benchClients)
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
		var err error
		for deadline := time.Now().Add(10 * time.Second); ; {
			req, _ := http.NewRequestWithContext(streamCtx, http.MethodGet, p.base+path, nil)
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
	if n := p.a.dash.Subscribers(); n != subscribers {
		b.Fatalf("%d streams open, want %d", n, subscribers)
	}

	p.run(b, benchClients, nil)
}
