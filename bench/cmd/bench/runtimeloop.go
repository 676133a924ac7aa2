package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// runtimeLoop is the smallest Runtime API server that can drive a bootstrap:
// it hands each invocation straight to the one process it started and
// returns the posted response. It is the baseline of Reservoir's data plane:
// the same function and the same protocol with nothing else in the way.
type runtimeLoop struct {
	ln    net.Listener
	srv   *http.Server
	cmd   *exec.Cmd
	calls chan *rtCall
	ready chan struct{} // closed at the first GET next
	once  sync.Once
	seq   atomic.Uint64

	mu       sync.Mutex
	inflight map[string]*rtCall
}

type rtCall struct {
	id      string
	payload []byte
	done    chan rtResult
}

type rtResult struct {
	body    []byte
	isError bool
}

const rtPrefix = "/2018-06-01/runtime"

// startRuntimeLoop starts the server and the bootstrap at bin (cwd dir); it
// returns at once, without waiting for the runtime to initialize.
func startRuntimeLoop(bin, dir string) (*runtimeLoop, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &runtimeLoop{ln: ln, calls: make(chan *rtCall), ready: make(chan struct{}), inflight: map[string]*rtCall{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+rtPrefix+"/invocation/next", l.next)
	mux.HandleFunc("POST "+rtPrefix+"/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) { l.settle(w, r, false) })
	mux.HandleFunc("POST "+rtPrefix+"/invocation/{id}/error", func(w http.ResponseWriter, r *http.Request) { l.settle(w, r, true) })
	mux.HandleFunc("POST "+rtPrefix+"/init/error", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	})
	l.srv = &http.Server{Handler: mux}
	go func() { _ = l.srv.Serve(ln) }()

	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=/usr/local/bin:/usr/bin/:/bin",
		"AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME=echo",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/echo",
		"AWS_LAMBDA_LOG_STREAM_NAME=bench",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_REGION=us-east-1",
		"_HANDLER=bootstrap",
		"LAMBDA_TASK_ROOT=" + dir,
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		l.srv.Close()
		return nil, err
	}
	l.cmd = cmd
	go func() { _ = cmd.Wait() }()
	return l, nil
}

func (l *runtimeLoop) next(w http.ResponseWriter, r *http.Request) {
	l.once.Do(func() { close(l.ready) })
	var c *rtCall
	select {
	case c = <-l.calls:
	case <-r.Context().Done():
		return
	}
	l.mu.Lock()
	l.inflight[c.id] = c
	l.mu.Unlock()
	h := w.Header()
	h["Lambda-Runtime-Aws-Request-Id"] = []string{c.id}
	h["Lambda-Runtime-Deadline-Ms"] = []string{strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10)}
	h["Lambda-Runtime-Invoked-Function-Arn"] = []string{"arn:aws:lambda:us-east-1:" + account + ":function:echo"}
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(c.payload))}
	_, _ = w.Write(c.payload)
}

func (l *runtimeLoop) settle(w http.ResponseWriter, r *http.Request, isError bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	id := r.PathValue("id")
	l.mu.Lock()
	c := l.inflight[id]
	delete(l.inflight, id)
	l.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	if c != nil {
		c.done <- rtResult{body: body, isError: isError}
	}
}

// waitReady waits until the runtime asked for its first invocation.
func (l *runtimeLoop) waitReady(ctx context.Context, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-l.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errors.New("runtime did not ask for an invocation in time")
	}
}

// invoke runs one invocation and returns the function's response.
func (l *runtimeLoop) invoke(payload []byte) ([]byte, error) {
	c := &rtCall{id: "bench-" + strconv.FormatUint(l.seq.Add(1), 10), payload: payload, done: make(chan rtResult, 1)}
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	select {
	case l.calls <- c:
	case <-t.C:
		return nil, errors.New("runtime never asked for the invocation")
	}
	select {
	case res := <-c.done:
		if res.isError {
			return nil, fmt.Errorf("function error: %s", res.body)
		}
		return res.body, nil
	case <-t.C:
		return nil, errors.New("runtime did not answer in time")
	}
}

// close kills the process and stops the server.
func (l *runtimeLoop) close() {
	if l.cmd != nil && l.cmd.Process != nil {
		_ = syscall.Kill(-l.cmd.Process.Pid, syscall.SIGKILL)
	}
	_ = l.srv.Close()
}

// Floor: a plain Go HTTP echo server in a process of its own.

const floorEchoArg = "__floor-echo"

func serveFloorEcho(addr string) int {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		w.Header()["Content-Type"] = []string{"application/json"}
		_, _ = w.Write(b)
	})
	if err := http.ListenAndServe(addr, h); err != nil {
		fmt.Fprintln(os.Stderr, "floor echo:", err)
		return 1
	}
	return 0
}
