package app

// The cost of sending functions' output to CloudWatch Logs on the invoke
// path: warm invocations of a function printing 1 or 1,000 lines per call
// (of a repeated sentence, or varied like application logs),
// with the lines ingested (on) or not (off: the sandbox still reads and
// splits them; only the ingestion differs). On ingests every line into
// the logs service, and the timing ends once the last flush has made them
// durable. docs/BENCHMARKS.md runs the pairs alternately and compares them
// with benchstat:
//
//	go test -c -o /tmp/app.test ./internal/app
//	cd internal/app && for i in 1 2 3 4 5 6 7 8; do for s in off on; do
//	  /tmp/app.test -test.run '^$' -test.bench "BenchmarkInvokeLogs/.*/.*/.*/ingest=$s" -test.benchtime 3s >>$s.txt; done; done
//	sed -i 's,/ingest=on,,' on.txt; sed -i 's,/ingest=off,,' off.txt; benchstat off.txt on.txt

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

var printFn struct {
	once sync.Once
	zip  []byte
	err  error
}

func printFnZip(b *testing.B) []byte {
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
// throughput shows what ingestion costs in CPU. The runs with one caller
// leave CPU idle between calls.
const benchClients = 4

// benchOutputs are what the function prints per call: lines of printfn's
// PRINT_TEXT. The repeated sentence compresses far better than real logs
// do; the varied lines compress about as well as application logs.
var benchOutputs = []struct {
	lines int
	text  string
}{{1, "repeat"}, {1000, "repeat"}, {1000, "varied"}}

func BenchmarkInvokeLogs(b *testing.B) {
	for _, clients := range []int{1, benchClients} {
		for _, out := range benchOutputs {
			for _, ingest := range []bool{false, true} {
				state := map[bool]string{false: "off", true: "on"}[ingest]
				b.Run(fmt.Sprintf("clients=%d/lines=%d/text=%s/ingest=%s", clients, out.lines, out.text, state), func(b *testing.B) {
					benchInvokeLogs(b, clients, out.lines, out.text, ingest)
				})
			}
		}
	}
}

func benchInvokeLogs(b *testing.B, clients, lines int, text string, ingest bool) {
	ctx := context.Background()
	a, err := New(ctx, Config{Listen: "127.0.0.1:0", DataDir: b.TempDir(), noLogIngest: !ingest})
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
		"Environment": map[string]any{"Variables": map[string]string{"PRINT_LINES": fmt.Sprint(lines), "PRINT_TEXT": text}},
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
		for range clients {
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
	if ingest { // the warm-up's lines are written before the timing starts
		if err := a.logs.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}

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
				if err := invoke(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if ingest {
		// The lines of the timed calls are durable and searchable before
		// the timing stops: the flushes are part of the cost.
		if err := a.logs.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	cpu := processCPU(b) - cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "invokes/s")
	// The server's own CPU (user and system, every thread; not the
	// functions' processes) per invocation: what ingestion adds to it is
	// less blurred by the rest of a busy machine than the throughput.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	if ingest {
		// A full ingestion buffer (16 MiB) waits for the flush in
		// progress, 1 s at most, then drops: report what was dropped,
		// so a ratio is read with it.
		b.ReportMetric(float64(a.logs.IngestDropped())/float64(b.N), "dropped-lines/op")
	}
}

// processCPU is the CPU time this process has used so far, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
