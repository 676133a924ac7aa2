package main

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"
)

// topBinary runs `reservoir top --once --endpoint url args...` (the built
// binary) with env only, and returns its exit status and output.
func topBinary(t *testing.T, env []string, url string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, reservoirBinary(t), append([]string{"top", "--once", "--endpoint", url}, args...)...)
	cmd.Env = env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, o.String(), e.String()
}

// noAWSEnv is an environment with no credentials and none of the
// developer's ~/.aws.
func noAWSEnv(t *testing.T) []string {
	home := t.TempDir()
	return []string{"HOME=" + home, "AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials")}
}

// topRow is one table row of `top --once`, read by column, with the
// account's total of throttles from the pool line.
type topRow struct {
	reserved, inflight, throttlesPerMin string
	accountThrottles                    string
}

var poolThrottlesRE = regexp.MustCompile(`(?m)^pool: .* throttles/min \d+ \(total (\d+)\)$`)

// parseTopRow finds fn's row in a frame; its provisioned cell must be "-"
// (a function without configs), so that the columns split on spaces.
func parseTopRow(t *testing.T, frame, fn string) (topRow, bool) {
	t.Helper()
	for _, line := range strings.Split(frame, "\n") {
		f := strings.Fields(line)
		if len(f) >= 9 && f[0] == fn {
			if f[2] != "-" {
				t.Fatalf("%s has provisioned configs:\n%s", fn, frame)
			}
			row := topRow{reserved: f[1], inflight: f[3], throttlesPerMin: f[6]}
			if m := poolThrottlesRE.FindStringSubmatch(frame); m != nil {
				row.accountThrottles = m[1]
			}
			return row, true
		}
	}
	return topRow{}, false
}

func pythonZip(t *testing.T, code string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "index.py", Method: zip.Deflate}
	h.SetMode(0o644)
	w, err := zw.CreateHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte(code))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestTopOnceUnderLoad: against the real server, with more callers than a
// function's reservation, every frame of `reservoir top --once` shows in
// flight at most the reservation, it reaches the reservation while two
// calls hold it, and the throttles it shows (the function's per minute,
// the account's total) are the 429s the clients saw.
func TestTopOnceUnderLoad(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3 for the function")
	}
	url, logs := serveBinary(t, os.Environ(), "--isolation", "off")
	ctx := context.Background()
	c := lambda.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("123456789012", "x", "")})
	// A call holds its slot until the file it names exists.
	const reserved = 2
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("busy"), Runtime: types.RuntimePython312,
		Handler: aws.String("index.handler"), Role: aws.String("arn:aws:iam::123456789012:role/r"), Timeout: aws.Int32(60),
		Code: &types.FunctionCode{ZipFile: pythonZip(t, "import os, time\n\ndef handler(event, context):\n"+
			"    while event.get('until') and not os.path.exists(event['until']):\n        time.sleep(0.02)\n    return 1\n")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("busy"),
		ReservedConcurrentExecutions: aws.Int32(reserved)}); err != nil {
		t.Fatal(err)
	}
	if err := lambda.NewFunctionActiveV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("busy")}, time.Minute); err != nil {
		t.Fatal(err)
	}
	release := filepath.Join(t.TempDir(), "release")
	env := noAWSEnv(t)

	var mu sync.Mutex
	throttled, other := 0, []error{}
	invoke := func(payload string) {
		_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("busy"), Payload: []byte(payload)})
		var tooMany *types.TooManyRequestsException
		mu.Lock()
		defer mu.Unlock()
		switch {
		case errors.As(err, &tooMany):
			throttled++
		case err != nil:
			other = append(other, err)
		}
	}
	// frame runs top and checks the invariant on busy's row (which appears
	// within a second of its creation: the server samples once a second).
	frame := func() (topRow, bool) {
		t.Helper()
		code, out, errOut := topBinary(t, env, url, "--sort", "name", "--account", "123456789012")
		if code != 0 || errOut != "" {
			t.Fatalf("top --once: exit %d\n%s%s\nserver:\n%s", code, out, errOut, logs())
		}
		row, ok := parseTopRow(t, out, "busy")
		if !ok {
			return row, false
		}
		if n, err := strconv.Atoi(row.inflight); err != nil || n > reserved {
			t.Fatalf("in flight %s over the reservation %d:\n%s", row.inflight, reserved, out)
		}
		return row, true
	}
	waitFrame := func(what string, ok func(topRow) bool) topRow {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			row, shown := frame()
			if shown && ok(row) {
				return row
			}
			if time.Now().After(deadline) {
				t.Fatalf("top never showed %s; last row %+v", what, row)
			}
		}
	}

	// The server samples once a second: busy and its reservation show
	// within a second or so of their writes.
	waitFrame("the reservation", func(r topRow) bool { return r.reserved == strconv.Itoa(reserved) })
	// Two callers hold the reservation; top shows it full.
	var holders sync.WaitGroup
	for range reserved {
		holders.Go(func() { invoke(`{"until":"` + release + `"}`) })
	}
	waitFrame("the reservation full", func(r topRow) bool { return r.inflight == strconv.Itoa(reserved) })
	// Ten more callers, all at once, while it is full: each is a 429.
	firstThrottle := time.Now()
	var burst sync.WaitGroup
	for range 10 {
		burst.Go(func() { invoke(`{}`) })
	}
	burst.Wait()
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	holders.Wait()
	// And more callers than the reservation once it is free again.
	for range 6 {
		burst.Go(func() { invoke(`{}`) })
	}
	burst.Wait()
	mu.Lock()
	want, errs := throttled, other
	mu.Unlock()
	if len(errs) > 0 || want < 10 {
		t.Fatalf("the clients saw %d 429s and other errors %v", want, errs)
	}
	// The account's total is the 429s (it has no other function); so is the
	// function's figure of the last 60 seconds while the first 429 is in it.
	row := waitFrame("the 429s", func(r topRow) bool { return r.accountThrottles == strconv.Itoa(want) && r.inflight == "0" })
	if time.Since(firstThrottle) < 50*time.Second {
		if row.throttlesPerMin != strconv.Itoa(want) {
			t.Errorf("busy's throttles per minute %s, the clients saw %d 429s", row.throttlesPerMin, want)
		}
	} else {
		t.Logf("the 429s began %s ago, past what the per-minute figure is sure to hold", time.Since(firstThrottle))
	}
	t.Logf("clients saw %d 429s; top: %+v", want, row)
}

// TestTopUnderSigV4: against a server under --auth sigv4, top signs with
// the key in its environment and sees that key's account; without
// credentials, with a wrong secret or for another account it is refused
// and exits 1.
func TestTopUnderSigV4(t *testing.T) {
	url, _ := serveBinary(t, os.Environ(), "--executor", "simulate", "--auth", "sigv4",
		"--credentials", "123456789012:s3cret,210987654321:other")
	ctx := context.Background()
	c := lambda.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("123456789012", "s3cret", "")})
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("guarded"), Runtime: types.RuntimePython312,
		Handler: aws.String("index.handler"), Role: aws.String("arn:aws:iam::123456789012:role/r"),
		Code: &types.FunctionCode{ZipFile: pythonZip(t, "def handler(e, c):\n    return 1\n")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("guarded"),
		ReservedConcurrentExecutions: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	signed := append(noAWSEnv(t), "AWS_ACCESS_KEY_ID=123456789012", "AWS_SECRET_ACCESS_KEY=s3cret", "AWS_REGION=us-east-1")
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, out, errOut := topBinary(t, signed, url)
		if code != 0 {
			t.Fatalf("signed: exit %d\n%s%s", code, out, errOut)
		}
		if row, ok := parseTopRow(t, out, "guarded"); ok && row.reserved == "3" && strings.HasPrefix(out, "account 123456789012  region us-east-1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the signed frame never showed guarded:\n%s", out)
		}
	}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
	}{
		{"unsigned", noAWSEnv(t), nil},
		{"wrong secret", append(noAWSEnv(t), "AWS_ACCESS_KEY_ID=123456789012", "AWS_SECRET_ACCESS_KEY=wrong"), nil},
		{"unknown key", append(noAWSEnv(t), "AWS_ACCESS_KEY_ID=999999999999", "AWS_SECRET_ACCESS_KEY=s3cret"), nil},
		{"another account", signed, []string{"--account", "210987654321"}},
	} {
		code, out, errOut := topBinary(t, tc.env, url, tc.args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "the server answered 40") || strings.Contains(errOut, "guarded") ||
			strings.Contains(errOut, "set AWS_ACCESS_KEY_ID") != (tc.name == "unsigned") {
			t.Errorf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", tc.name, code, out, errOut)
		}
	}
}

// TestTopInteractive runs `reservoir top` on a terminal (a pty) against the
// real server: it draws the table, sorts by name on n, opens the selected
// function's details on down and enter, closes them on esc and exits 0 on q.
func TestTopInteractive(t *testing.T) {
	url, _ := serveBinary(t, os.Environ(), "--executor", "simulate")
	ctx := context.Background()
	c := lambda.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("123456789012", "x", "")})
	for _, name := range []string{"zulu", "alpha"} {
		if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: types.RuntimePython312,
			Handler: aws.String("index.handler"), Role: aws.String("arn:aws:iam::123456789012:role/r"),
			Code: &types.FunctionCode{ZipFile: pythonZip(t, "def handler(e, c):\n    return 1\n")}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("alpha"),
		ReservedConcurrentExecutions: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(reservoirBinary(t), "top", "--endpoint", url, "--account", "123456789012", "--sort", "inflight")
	cmd.Env = append(noAWSEnv(t), "TERM=xterm-256color")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 140})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	// A terminal: what top writes is drawn on an emulated screen (top
	// redraws only the cells that change), and the emulator's answers to
	// top's queries go back as a terminal's do. raw keeps every byte.
	term := &emulatedTerminal{e: vt.NewEmulator(140, 30)}
	defer term.close()
	go func() { _, _ = io.Copy(tty, term.answers()) }()
	var raw syncBuffer
	go func() { _, _ = io.Copy(io.MultiWriter(&raw, term), tty) }()
	// shows waits until the screen holds all.
	shows := func(what string, all ...string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			s := term.String()
			missing := false
			for _, w := range all {
				missing = missing || !strings.Contains(s, w)
			}
			if !missing {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the screen never showed %s (%q):\n%s\nwritten:\n%q", what, all, s, raw.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	gone := func(what, text string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for strings.Contains(term.String(), text) {
			if time.Now().After(deadline) {
				t.Fatalf("%s stays on the screen:\n%s", what, term.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	press := func(keys string) {
		t.Helper()
		if _, err := tty.Write([]byte(keys)); err != nil {
			t.Fatal(err)
		}
	}
	shows("the table", "FUNCTION", "alpha", "zulu", "sorted by inflight")
	if !term.altScreen() {
		t.Error("top does not draw on the alternate screen")
	}
	if !strings.Contains(raw.String(), "\x1b[1mFUNCTION") {
		t.Errorf("the header is not bold on a terminal:\n%q", raw.String())
	}
	press("n")
	shows("the name order", "sorted by name")
	if s := term.String(); strings.Index(s, "alpha ") > strings.Index(s, "zulu ") {
		t.Errorf("sorted by name, zulu is above alpha:\n%s", s)
	}
	press("j")
	press("\r")
	shows("alpha's details", "function alpha", "reserved 7", "no provisioned concurrency")
	gone("the table under the details", "FUNCTION")
	// esc, and only once the table is back q (an esc and a key at once are
	// that key with alt, as in any terminal program).
	press("\x1b")
	shows("the table again", "FUNCTION")
	gone("the details over the table", "function alpha")
	press("q")
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("top exited with %v:\n%q", err, raw.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("top did not quit on q:\n%q", raw.String())
	}
	// What top wrote last has reached the screen once the terminal's side
	// reads nothing more.
	deadline := time.Now().Add(30 * time.Second)
	for term.altScreen() {
		if time.Now().After(deadline) {
			t.Fatalf("top did not leave the alternate screen:\n%q", raw.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// emulatedTerminal is a terminal emulator's screen, safe for the goroutine
// that writes to it and the test that reads it.
type emulatedTerminal struct {
	mu sync.Mutex
	e  *vt.Emulator
}

func (t *emulatedTerminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.e.Write(p)
}

// String is the screen's text.
func (t *emulatedTerminal) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.e.String()
}

func (t *emulatedTerminal) altScreen() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.e.IsAltScreen()
}

// answers reads what the terminal answers to the program's queries,
// until close.
func (t *emulatedTerminal) answers() io.Reader { return t.e }

// close ends answers (closing the emulator's answer pipe only: the
// emulator's own Close would race with a Read under way).
func (t *emulatedTerminal) close() {
	if c, ok := t.e.InputPipe().(io.Closer); ok {
		_ = c.Close()
	}
}
