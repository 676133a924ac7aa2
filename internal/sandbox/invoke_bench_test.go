package sandbox

// Benchmarks of the data plane below the HTTP front, with the echo function
// of bench/testdata/echofn. bench/cmd/bench runs them to break an Invoke's
// latency down; with -cpuprofile or -blockprofile they show where the time
// goes:
//
//	go test -run '^$' -bench 'Benchmark(RuntimeAPI|ManagerInvoke)' -benchtime 2s ./internal/sandbox/
//
// Each reports p50-µs and p99-µs per invocation besides ns/op.

import (
	"bytes"
	"context"
	"github.com/reservoir-dev/reservoir/internal/testutil"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/runtimeapi"
)

var benchEcho struct {
	once sync.Once
	bin  string // the bootstrap, unzipped (left in the temporary directory)
	zip  []byte
	err  error
}

var benchPayload = []byte(`{"hello":"world","n":42}`)

// benchEchoBootstrap builds bench/testdata/echofn once per test binary, as
// AWS documents for provided.al2023 (-tags lambda.norpc).
func benchEchoBootstrap(b *testing.B) (bin string, zipped []byte) {
	b.Helper()
	benchEcho.once.Do(func() {
		dir, err := os.MkdirTemp("", "bench-echofn-")
		if err != nil {
			benchEcho.err = err
			return
		}
		out := filepath.Join(dir, "bootstrap")
		if benchEcho.err = testutil.BuildGo("../../bench/testdata/echofn", out, "-tags", "lambda.norpc"); benchEcho.err != nil {
			return
		}
		raw, err := os.ReadFile(out)
		if err != nil {
			benchEcho.err = err
			return
		}
		benchEcho.bin = out
		benchEcho.zip, benchEcho.err = testutil.BootstrapZip(raw)
	})
	if benchEcho.err != nil {
		b.Fatal(benchEcho.err)
	}
	return benchEcho.bin, benchEcho.zip
}

func benchSpec(b *testing.B, env map[string]string) Spec {
	_, z := benchEchoBootstrap(b)
	return Spec{
		Account: "123456789012", Region: "us-east-1", FunctionName: "echo", Runtime: "provided.al2023",
		Handler: "bootstrap", Timeout: 30 * time.Second, Env: env, CodeSha256: "bench",
		Code: func(context.Context) ([]byte, error) { return z, nil },
	}
}

// benchLatencies records per-operation latencies and reports percentiles.
type benchLatencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *benchLatencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

func (l *benchLatencies) report(b *testing.B) {
	if len(l.all) == 0 {
		return
	}
	slices.Sort(l.all)
	at := func(q float64) float64 {
		i := min(len(l.all)-1, max(0, int(q*float64(len(l.all))+0.5)-1))
		return float64(l.all[i]) / float64(time.Microsecond)
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// timeEach runs call once per b.Loop iteration and returns each call's latency.
func timeEach(b *testing.B, call func()) []time.Duration {
	own := make([]time.Duration, 0, 1<<16)
	for b.Loop() {
		t0 := time.Now()
		call()
		own = append(own, time.Since(t0))
	}
	return own
}

// BenchmarkRuntimeAPIInvoke drives one echo bootstrap through
// runtimeapi.Server alone: the Runtime API exchange without the sandbox.
func BenchmarkRuntimeAPIInvoke(b *testing.B) {
	bin, _ := benchEchoBootstrap(b)
	api, err := runtimeapi.Listen(runtimeapi.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer api.Close()
	cmd := exec.Command(bin)
	cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + api.Addr(), "AWS_LAMBDA_FUNCTION_NAME=echo", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	<-api.Ready()
	var seq int
	call := func() {
		seq++
		resp, err := api.Invoke(context.Background(), runtimeapi.Invocation{
			RequestID: "bench-" + strconv.Itoa(seq), Deadline: time.Now().Add(30 * time.Second),
			FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:echo", Payload: benchPayload,
		})
		if err != nil || !bytes.Equal(resp.Payload, benchPayload) {
			b.Fatalf("invoke: %v %q", err, resp.Payload)
		}
	}
	call()
	var lat benchLatencies
	lat.add(timeEach(b, call))
	b.StopTimer()
	lat.report(b)
}

// BenchmarkManagerInvokeWarm invokes a warm on-demand environment through
// Manager.Invoke, one caller at a time.
func BenchmarkManagerInvokeWarm(b *testing.B) {
	benchManagerInvoke(b, 1)
}

// BenchmarkManagerInvokeWarm4 keeps four environments busy with four callers.
func BenchmarkManagerInvokeWarm4(b *testing.B) {
	benchManagerInvoke(b, 4)
}

func benchManagerInvoke(b *testing.B, callers int) {
	m, err := NewManager(Options{WorkDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close(context.Background())
	spec := benchSpec(b, nil)
	call := func() {
		res, err := m.Invoke(context.Background(), spec, "", Invocation{Payload: benchPayload})
		if err != nil || res.FunctionError != "" || !bytes.Equal(res.Payload, benchPayload) {
			b.Fatalf("invoke: %v %s %q", err, res.FunctionError, res.Payload)
		}
	}
	// Pre-warm one environment per caller.
	for range 3 {
		var wg sync.WaitGroup
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				call()
			}()
		}
		wg.Wait()
	}
	var lat benchLatencies
	b.ResetTimer()
	if callers == 1 {
		lat.add(timeEach(b, call))
	} else {
		b.SetParallelism((callers + 1) / 2) // × GOMAXPROCS (2 on the benchmark machine)
		b.RunParallel(func(pb *testing.PB) {
			own := make([]time.Duration, 0, 1<<14)
			for pb.Next() {
				t0 := time.Now()
				call()
				own = append(own, time.Since(t0))
			}
			lat.add(own)
		})
	}
	b.StopTimer()
	lat.report(b)
}

// BenchmarkManagerColdStart times invocations that each need a new
// environment (every spec differs), including unzipping the package, with
// isolation off (the baseline) and on (where the system allows it).
func BenchmarkManagerColdStart(b *testing.B) {
	for _, iso := range []Isolation{IsolationOff, IsolationOn} {
		b.Run("isolation="+string(iso), func(b *testing.B) {
			m, err := NewManager(Options{WorkDir: b.TempDir(), IdleTimeout: time.Hour, Isolation: iso})
			if err != nil {
				b.Skip(err) // isolation needs root on Linux
			}
			defer m.Close(context.Background())
			var lat benchLatencies
			own := make([]time.Duration, 0, 64)
			i := 0
			b.ResetTimer()
			for b.Loop() {
				i++
				spec := benchSpec(b, map[string]string{"RUN": strconv.Itoa(i)})
				t0 := time.Now()
				res, err := m.Invoke(context.Background(), spec, "", Invocation{Payload: benchPayload})
				own = append(own, time.Since(t0))
				if err != nil || !res.ColdStart {
					b.Fatalf("invoke: %v cold=%v", err, res.ColdStart)
				}
			}
			b.StopTimer()
			lat.add(own)
			lat.report(b)
		})
	}
}

// BenchmarkManagerProvision100 times Provision of 100 environments until
// all are initialized, with isolation off (the baseline) and on.
func BenchmarkManagerProvision100(b *testing.B) {
	const n = 100
	for _, iso := range []Isolation{IsolationOff, IsolationOn} {
		b.Run("isolation="+string(iso), func(b *testing.B) {
			m, err := NewManager(Options{WorkDir: b.TempDir(), Isolation: iso})
			if err != nil {
				b.Skip(err) // isolation needs root on Linux
			}
			defer m.Close(context.Background())
			i := 0
			for b.Loop() {
				i++
				key := "bench-" + strconv.Itoa(i)
				ready := make(chan struct{})
				var once sync.Once
				m.Provision(key, benchSpec(b, map[string]string{"RUN": strconv.Itoa(i)}), n, func(p Progress) {
					if p.Allocated == n {
						once.Do(func() { close(ready) })
					}
					if p.Failed {
						b.Errorf("provisioning failed: %s", p.Detail)
						once.Do(func() { close(ready) })
					}
				})
				<-ready
				b.StopTimer()
				m.Provision(key, Spec{}, 0, nil)
				time.Sleep(time.Second) // let the environments stop
				b.StartTimer()
			}
		})
	}
}

// BenchmarkMinimalRuntimeLoop is the floor of BenchmarkRuntimeAPIInvoke: the
// smallest Runtime API server that can drive the same bootstrap (one
// unbuffered channel hands the event to GET next, the posted response comes
// back on another), measured the same way.
func BenchmarkMinimalRuntimeLoop(b *testing.B) {
	bin, _ := benchEchoBootstrap(b)
	events := make(chan []byte)
	answers := make(chan []byte, 1)
	ready := make(chan struct{})
	var readyOnce sync.Once
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		readyOnce.Do(func() { close(ready) })
		var ev []byte
		select {
		case ev = <-events:
		case <-r.Context().Done():
			return
		}
		h := w.Header()
		h["Lambda-Runtime-Aws-Request-Id"] = []string{"bench"}
		h["Lambda-Runtime-Deadline-Ms"] = []string{strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10)}
		h["Lambda-Runtime-Invoked-Function-Arn"] = []string{"arn:aws:lambda:us-east-1:123456789012:function:echo"}
		h["Content-Type"] = []string{"application/json"}
		_, _ = w.Write(ev)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		answers <- body
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	cmd := exec.Command(bin)
	cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String(), "AWS_LAMBDA_FUNCTION_NAME=echo", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	<-ready
	call := func() {
		events <- benchPayload
		if got := <-answers; !bytes.Equal(got, benchPayload) {
			b.Fatalf("answer %q", got)
		}
	}
	call()
	var lat benchLatencies
	lat.add(timeEach(b, call))
	b.StopTimer()
	lat.report(b)
}
