package lambdaapi_test

// Benchmarks of whole requests through an in-process server (the wire layer,
// the domain, the store and, for Invoke, the process executor), driven over
// loopback HTTP with kept-alive connections. They exist to be profiled:
//
//	go test -run '^$' -bench BenchmarkHTTPInvokeWarm -cpuprofile cpu.out ./internal/lambdaapi/
//	go tool pprof -top cpu.out
//
// The profile holds the client's work too (net/http.(*Transport) and
// persistConn frames); the server's is under net/http.(*conn).serve.
// bench/cmd/bench is the side-by-side comparison; these are not timed
// against anything.

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/testutil"
	"github.com/reservoir-dev/reservoir/reservoirtest"
)

var httpBenchEcho struct {
	once sync.Once
	zip  []byte
	err  error
}

// httpBenchEchoZip builds bench/testdata/echofn as bootstrap, zipped.
func httpBenchEchoZip(b *testing.B) []byte {
	b.Helper()
	httpBenchEcho.once.Do(func() {
		httpBenchEcho.zip, httpBenchEcho.err = testutil.GoBootstrapZip("../../bench/testdata/echofn", "-tags", "lambda.norpc")
	})
	if httpBenchEcho.err != nil {
		b.Fatal(httpBenchEcho.err)
	}
	return httpBenchEcho.zip
}

// httpBench sends raw REST-JSON requests with a SigV4-shaped Authorization
// header (the server reads the account and region from its scope).
type httpBench struct {
	base string
	hc   *http.Client
}

func newHTTPBench(b *testing.B, srv *reservoirtest.Server) *httpBench {
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	return &httpBench{base: srv.URL, hc: &http.Client{Transport: tr, Timeout: time.Minute}}
}

const benchAuth = "AWS4-HMAC-SHA256 Credential=123456789012/20250101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000"

func (h *httpBench) do(method, path string, body []byte, want int) ([]byte, error) {
	return h.doHeader(method, path, body, want)
}

// doHeader is do with extra headers, given as name, value pairs.
func (h *httpBench) doHeader(method, path string, body []byte, want int, header ...string) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, h.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header["Authorization"] = []string{benchAuth}
	req.Header["X-Amz-Date"] = []string{"20250101T000000Z"}
	if body != nil {
		req.Header["Content-Type"] = []string{"application/json"}
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return out, fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, out)
	}
	return out, nil
}

func (h *httpBench) mustDo(b *testing.B, method, path string, body []byte, want int) []byte {
	b.Helper()
	out, err := h.do(method, path, body, want)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

func (h *httpBench) createFunction(b *testing.B, name string, zipped []byte) {
	body, _ := json.Marshal(map[string]any{
		"FunctionName": name, "Runtime": "provided.al2023", "Handler": "bootstrap",
		"Role": "arn:aws:iam::123456789012:role/bench", "Timeout": 30,
		"Code": map[string]string{"ZipFile": base64.StdEncoding.EncodeToString(zipped)},
	})
	h.mustDo(b, "POST", "/2015-03-31/functions", body, 201)
}

// benchLoop runs op from clients goroutines until b.N operations ran and
// reports latency percentiles.
func benchLoop(b *testing.B, clients int, op func() error) {
	var mu sync.Mutex
	var all []time.Duration
	var next sync.Mutex
	left := b.N
	b.ResetTimer()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := make([]time.Duration, 0, 1024)
			for {
				next.Lock()
				if left == 0 {
					next.Unlock()
					break
				}
				left--
				next.Unlock()
				t0 := time.Now()
				if err := op(); err != nil {
					b.Error(err)
					break
				}
				own = append(own, time.Since(t0))
			}
			mu.Lock()
			all = append(all, own...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	b.StopTimer()
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	at := func(q float64) float64 {
		i := min(len(all)-1, max(0, int(q*float64(len(all))+0.5)-1))
		return float64(all[i]) / float64(time.Microsecond)
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

var httpBenchPayload = []byte(`{"hello":"world","n":42}`)

func benchHTTPInvoke(b *testing.B, clients int) {
	srv := reservoirtest.Start(b)
	h := newHTTPBench(b, srv)
	h.createFunction(b, "echo", httpBenchEchoZip(b))
	h.mustDo(b, "PUT", "/2017-10-31/functions/echo/concurrency", []byte(fmt.Sprintf(`{"ReservedConcurrentExecutions":%d}`, max(8, clients))), 200)
	invoke := func() error {
		out, err := h.do("POST", "/2015-03-31/functions/echo/invocations", httpBenchPayload, 200)
		if err == nil && !bytes.Equal(out, httpBenchPayload) {
			err = fmt.Errorf("answer %q", out)
		}
		return err
	}
	for range 3 { // pre-warm one environment per client
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
	benchLoop(b, clients, invoke)
}

// BenchmarkHTTPInvokeWarm is a warm synchronous Invoke, one client.
func BenchmarkHTTPInvokeWarm(b *testing.B) { benchHTTPInvoke(b, 1) }

// BenchmarkHTTPInvokeWarm4 is four clients on four warm environments.
func BenchmarkHTTPInvokeWarm4(b *testing.B) { benchHTTPInvoke(b, 4) }

// BenchmarkHTTPInvokeEvent is an asynchronous Invoke, one client: the 202
// waits for the event's store write (compare BenchmarkHTTPPutFunctionConcurrency,
// one write per request); the events run meanwhile on 8 warm environments.
func BenchmarkHTTPInvokeEvent(b *testing.B) { benchHTTPInvokeEvent(b, false) }

// BenchmarkHTTPInvokeEventWithConfig is BenchmarkHTTPInvokeEvent with an
// event invoke config on $LATEST (retries and age, no destination): the
// queue looks it up on every attempt.
func BenchmarkHTTPInvokeEventWithConfig(b *testing.B) { benchHTTPInvokeEvent(b, true) }

func benchHTTPInvokeEvent(b *testing.B, withConfig bool) {
	srv := reservoirtest.Start(b)
	h := newHTTPBench(b, srv)
	h.createFunction(b, "echo", httpBenchEchoZip(b))
	h.mustDo(b, "PUT", "/2017-10-31/functions/echo/concurrency", []byte(`{"ReservedConcurrentExecutions":8}`), 200)
	if withConfig {
		h.mustDo(b, "PUT", "/2019-09-25/functions/echo/event-invoke-config", []byte(`{"MaximumRetryAttempts":1,"MaximumEventAgeInSeconds":3600}`), 200)
	}
	h.mustDo(b, "POST", "/2015-03-31/functions/echo/invocations", httpBenchPayload, 200) // one warm environment
	benchLoop(b, 1, func() error {
		_, err := h.doHeader("POST", "/2015-03-31/functions/echo/invocations", httpBenchPayload, 202, "X-Amz-Invocation-Type", "Event")
		return err
	})
}

func benchHTTPControl(b *testing.B, clients int, method, path string, body []byte, want int) {
	srv := reservoirtest.Start(b)
	h := newHTTPBench(b, srv)
	h.createFunction(b, "cp", httpBenchEchoZip(b))
	h.mustDo(b, "PUT", "/2017-10-31/functions/cp/concurrency", []byte(`{"ReservedConcurrentExecutions":10}`), 200)
	alternate := strings.Contains(path, "/concurrency") && method == "PUT"
	var flip sync.Mutex
	n := 0
	benchLoop(b, clients, func() error {
		payload := body
		if alternate { // every Put changes the value, so every Put is a write
			flip.Lock()
			n++
			payload = []byte(fmt.Sprintf(`{"ReservedConcurrentExecutions":%d}`, 10+n%2))
			flip.Unlock()
		}
		_, err := h.do(method, path, payload, want)
		return err
	})
}

// BenchmarkHTTPGetFunctionConcurrency64 is a read under 64 concurrent clients.
func BenchmarkHTTPGetFunctionConcurrency64(b *testing.B) {
	benchHTTPControl(b, 64, "GET", "/2019-09-30/functions/cp/concurrency", nil, 200)
}

// BenchmarkHTTPPutFunctionConcurrency is a changing reservation, one client:
// each request is one fsync'd store write.
func BenchmarkHTTPPutFunctionConcurrency(b *testing.B) {
	benchHTTPControl(b, 1, "PUT", "/2017-10-31/functions/cp/concurrency", nil, 200)
}

// BenchmarkHTTPPutFunctionConcurrency64 is the same under 64 clients.
func BenchmarkHTTPPutFunctionConcurrency64(b *testing.B) {
	benchHTTPControl(b, 64, "PUT", "/2017-10-31/functions/cp/concurrency", nil, 200)
}

// BenchmarkHTTPCreateFunction creates b.N functions (a tiny package, the
// same for all) from 8 clients: the cost of a create as the account grows.
func BenchmarkHTTPCreateFunction(b *testing.B) {
	srv := reservoirtest.Start(b)
	h := newHTTPBench(b, srv)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("bootstrap")
	_, _ = w.Write([]byte("#!/bin/sh\n"))
	_ = zw.Close()
	code := base64.StdEncoding.EncodeToString(buf.Bytes())
	var mu sync.Mutex
	n := 0
	benchLoop(b, 8, func() error {
		mu.Lock()
		n++
		name := fmt.Sprintf("fn-%06d", n)
		mu.Unlock()
		body, _ := json.Marshal(map[string]any{
			"FunctionName": name, "Runtime": "provided.al2023", "Handler": "bootstrap",
			"Role": "arn:aws:iam::123456789012:role/bench", "Code": map[string]string{"ZipFile": code},
		})
		_, err := h.do("POST", "/2015-03-31/functions", body, 201)
		return err
	})
}

// BenchmarkHTTPPutProvisionedUnchanged64 repeats a provisioned config's
// current value from 64 clients (the simulate executor: nothing runs). An
// unchanged Put writes nothing, so this measures the path to the function's
// writer slot.
func BenchmarkHTTPPutProvisionedUnchanged64(b *testing.B) {
	srv := reservoirtest.StartWith(b, reservoirtest.Options{Executor: "simulate"})
	h := newHTTPBench(b, srv)
	h.createFunction(b, "pc", httpBenchEchoZip(b))
	h.mustDo(b, "POST", "/2015-03-31/functions/pc/versions", []byte("{}"), 201)
	body := []byte(`{"ProvisionedConcurrentExecutions":1}`)
	h.mustDo(b, "PUT", "/2019-09-30/functions/pc/provisioned-concurrency?Qualifier=1", body, 202)
	benchLoop(b, 64, func() error {
		_, err := h.do("PUT", "/2019-09-30/functions/pc/provisioned-concurrency?Qualifier=1", body, 202)
		return err
	})
}

// BenchmarkHTTPUpdateFunctionCode replaces functions' code from 8 clients,
// each updating a function of its own (a second update of a function waits
// for the first, as on AWS), with a new small package every time: the cost
// of an update, the collection of the package it replaced included.
func BenchmarkHTTPUpdateFunctionCode(b *testing.B) {
	srv := reservoirtest.StartWith(b, reservoirtest.Options{Executor: "simulate"})
	h := newHTTPBench(b, srv)
	pkg := func(n int) string {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("bootstrap")
		_, _ = fmt.Fprintf(w, "#!/bin/sh\n# %d\n", n)
		_ = zw.Close()
		return base64.StdEncoding.EncodeToString(buf.Bytes())
	}
	const clients = 8
	free := make(chan string, clients)
	for i := range clients {
		name := fmt.Sprintf("fn-%d", i)
		body, _ := json.Marshal(map[string]any{
			"FunctionName": name, "Runtime": "provided.al2023", "Handler": "bootstrap",
			"Role": "arn:aws:iam::123456789012:role/bench", "Code": map[string]string{"ZipFile": pkg(-1 - i)},
		})
		h.mustDo(b, "POST", "/2015-03-31/functions", body, 201)
		free <- name
	}
	var mu sync.Mutex
	n := 0
	benchLoop(b, clients, func() error {
		mu.Lock()
		n++
		body, _ := json.Marshal(map[string]string{"ZipFile": pkg(n)})
		mu.Unlock()
		name := <-free
		defer func() { free <- name }()
		_, err := h.do("PUT", "/2015-03-31/functions/"+name+"/code", body, 200)
		return err
	})
}

// BenchmarkFunctionURL compares a call through a function URL with the same
// Invoke, side by side on one server and one function (the echo function,
// warm, reserved concurrency 8): via=invoke POSTs the payload to Invoke,
// via=url POSTs it to the function's URL, which wraps it in the payload
// format 2.0 event and maps the answer back (the function echoes the event,
// an object without statusCode: a 200 with the event as body). Issue 12's
// target is url ≤ 1.1 × invoke. docs/BENCHMARKS.md runs the pairs
// alternately:
//
//	go test -c -o /tmp/lambdaapi.test ./internal/lambdaapi
//	cd internal/lambdaapi && for i in 1 2 3 4 5 6; do for v in invoke url; do
//	  /tmp/lambdaapi.test -test.run '^$' -test.bench "BenchmarkFunctionURL/.*/via=$v" -test.benchtime 2s >>$v.txt; done; done
//	sed -i 's,/via=url,,' url.txt; sed -i 's,/via=invoke,,' invoke.txt; benchstat invoke.txt url.txt
func BenchmarkFunctionURL(b *testing.B) {
	for _, clients := range []int{1, 4} {
		for _, via := range []string{"invoke", "url"} {
			b.Run(fmt.Sprintf("clients=%d/via=%s", clients, via), func(b *testing.B) { benchFunctionURL(b, clients, via) })
		}
	}
}

func benchFunctionURL(b *testing.B, clients int, via string) {
	srv := reservoirtest.Start(b)
	h := newHTTPBench(b, srv)
	h.createFunction(b, "echo", httpBenchEchoZip(b))
	h.mustDo(b, "PUT", "/2017-10-31/functions/echo/concurrency", []byte(`{"ReservedConcurrentExecutions":8}`), 200)
	out := h.mustDo(b, "POST", "/2021-10-31/functions/echo/url", []byte(`{"AuthType":"NONE"}`), 201)
	// A NONE URL answers only once the policy grants both actions to everyone.
	h.mustDo(b, "POST", "/2015-03-31/functions/echo/policy", []byte(`{"StatementId":"url","Action":"lambda:InvokeFunctionUrl","Principal":"*","FunctionUrlAuthType":"NONE"}`), 201)
	h.mustDo(b, "POST", "/2015-03-31/functions/echo/policy", []byte(`{"StatementId":"invoke","Action":"lambda:InvokeFunction","Principal":"*","InvokedViaFunctionUrl":true}`), 201)
	var cfg struct{ FunctionUrl string }
	if err := json.Unmarshal(out, &cfg); err != nil {
		b.Fatal(err)
	}
	// The URL's host name is sent to the server's address, as curl --resolve does.
	host := strings.TrimSuffix(strings.TrimPrefix(cfg.FunctionUrl, "http://"), "/")
	call := func() error {
		req, err := http.NewRequest("POST", h.base+"/?a=1", bytes.NewReader(httpBenchPayload))
		if err != nil {
			return err
		}
		req.Host = host
		req.Header.Set("Content-Type", "application/json")
		resp, err := h.hc.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && (resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"body":"{\"hello\":\"world\",\"n\":42}"`))) {
			err = fmt.Errorf("URL answer %d %q", resp.StatusCode, body)
		}
		return err
	}
	if via == "invoke" {
		call = func() error {
			out, err := h.do("POST", "/2015-03-31/functions/echo/invocations", httpBenchPayload, 200)
			if err == nil && !bytes.Equal(out, httpBenchPayload) {
				err = fmt.Errorf("answer %q", out)
			}
			return err
		}
	}
	for range 3 { // pre-warm one environment per client
		var wg sync.WaitGroup
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := call(); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	benchLoop(b, clients, call)
}
