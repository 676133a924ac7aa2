// Command gofn is a test function for the sandbox tests, built with
// aws-lambda-go. Its initialization is steered by environment variables and
// each invocation by the "action" field of its event.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Action  string          `json:"action"`
	Value   json.RawMessage `json:"value"`
	SleepMS int             `json:"sleep_ms"`
	Size    int             `json:"size"`
	// probe: what this process may read, write and signal.
	Read   []string `json:"read"`
	Write  []string `json:"write"`
	Signal []int    `json:"signal"`
	Fetch  []string `json:"fetch"`
}

// customError has its own type name, reported as errorType.
type customError struct{ msg string }

func (e *customError) Error() string { return e.msg }

func main() {
	initType := os.Getenv("AWS_LAMBDA_INITIALIZATION_TYPE")
	fmt.Println("init starting:", initType)
	if fail := os.Getenv("FAIL_INIT_WHEN"); fail != "" && fail == initType {
		fmt.Println("init failing on purpose")
		os.Exit(3)
	}
	if ms, _ := strconv.Atoi(os.Getenv("INIT_SLEEP_MS")); ms > 0 {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	// INIT_ORDER_DIR staggers concurrent inits: the n-th to start sleeps
	// n*INIT_STEP_MS more.
	if dir := os.Getenv("INIT_ORDER_DIR"); dir != "" {
		step, _ := strconv.Atoi(os.Getenv("INIT_STEP_MS"))
		for i := 0; ; i++ {
			f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(i)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			if err == nil {
				f.Close()
				time.Sleep(time.Duration(i*step) * time.Millisecond)
				break
			}
		}
	}
	if dir := os.Getenv("INIT_DONE_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, strconv.Itoa(os.Getpid())), nil, 0o644)
	}
	lambda.Start(handle)
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	lc, _ := lambdacontext.FromContext(ctx)
	switch ev.Action {
	case "", "echo":
		return raw, nil
	case "error":
		return nil, errors.New("boom")
	case "custom-error":
		return nil, &customError{"custom failure"}
	case "log":
		fmt.Println("hello from the function", lc.AwsRequestID)
		fmt.Fprintln(os.Stderr, "and from stderr")
		return "logged", nil
	case "sleep":
		time.Sleep(time.Duration(ev.SleepMS) * time.Millisecond)
		return "slept", nil
	case "crash":
		fmt.Println("about to crash")
		os.Exit(1)
	case "env":
		vars := os.Environ()
		sort.Strings(vars)
		return vars, nil
	case "pid":
		return os.Getpid(), nil
	case "context":
		deadline, _ := ctx.Deadline()
		return map[string]any{
			"request_id":     lc.AwsRequestID,
			"arn":            lc.InvokedFunctionArn,
			"function_name":  lambdacontext.FunctionName,
			"memory":         lambdacontext.MemoryLimitInMB,
			"version":        lambdacontext.FunctionVersion,
			"remaining_ms":   time.Until(deadline).Milliseconds(),
			"client_context": lc.ClientContext.Custom,
		}, nil
	case "daemon": // a child that leaves the process group and outlives us
		cmd := exec.Command("/bin/sleep", "600")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		return cmd.Process.Pid, nil
	case "probe":
		return probe(ev), nil
	case "big":
		return strings.Repeat("x", ev.Size), nil
	}
	return nil, fmt.Errorf("unknown action %q", ev.Action)
}

// probe tries each access of ev and returns, for each, "ok" or the error
// (a fetch: its outcome, see fetch), with the process's uid and working
// directory.
func probe(ev event) map[string]string {
	out := map[string]string{"uid": strconv.Itoa(os.Getuid())}
	out["cwd"], _ = os.Getwd()
	result := func(err error) string {
		if err != nil {
			return err.Error()
		}
		return "ok"
	}
	for _, p := range ev.Read {
		var err error
		if fi, serr := os.Stat(p); serr == nil && fi.IsDir() {
			_, err = os.ReadDir(p)
		} else {
			_, err = os.ReadFile(p)
		}
		out["read "+p] = result(err)
	}
	for _, p := range ev.Write {
		out["write "+p] = result(os.WriteFile(p, []byte("written by "+lambdacontext.FunctionName), 0o644))
	}
	for _, pid := range ev.Signal {
		// EPERM by its name: the test asks whether the kernel refused.
		r := syscall.Kill(pid, 0)
		if errors.Is(r, syscall.EPERM) {
			out["signal "+strconv.Itoa(pid)] = "EPERM"
		} else {
			out["signal "+strconv.Itoa(pid)] = result(r)
		}
	}
	for _, url := range ev.Fetch {
		out["fetch "+url] = fetch(url)
	}
	time.Sleep(time.Duration(ev.SleepMS) * time.Millisecond)
	return out
}

// fetch sends a GET of rawURL on a connection of its own and says what
// became of it, whatever words the network stack would use: "refused" (no
// connection), "closed" (the server hung up without answering), "timeout"
// (no answer within a second: the request is held), or "answered " and the
// status line (or what came of it).
func fetch(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "bad URL: " + err.Error()
	}
	c, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return "refused"
		}
		return "dial: " + err.Error()
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", u.RequestURI(), u.Host); err != nil {
		return hangUp(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if line != "" {
		return "answered " + strings.TrimSpace(line)
	}
	return hangUp(err)
}

// hangUp names what a connection's error says of the server.
func hangUp(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "closed"
	}
	return "error: " + err.Error()
}
