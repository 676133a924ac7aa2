// Package terraform runs the real Terraform CLI and the real hashicorp/aws
// provider against an in-process Reservoir. Nothing is downloaded: the
// provider comes from a filesystem mirror (RESERVOIR_TF_PLUGIN_DIR, else
// /opt/tf-plugins, else the usual plugin directories), and the tests skip
// when Terraform or the mirror is missing.
//
// The harness in this file finds the tools, writes the CLI configuration,
// runs terraform commands, and records every request the provider sends
// (through a small reverse proxy) so that a failure shows the exchange.
//
//	go test ./tests/terraform/ -v            # about 1.5–2.5 minutes on 2 cores
//	RESERVOIR_TF_LOG=debug go test ...       # Terraform's own log (TF_LOG)
//	RESERVOIR_TF_LOG_PATH=/tmp/tf.log ...    # ... appended to a file (TF_LOG_PATH)
//	RESERVOIR_TF_REATTACH=0 go test ...      # Terraform starts the provider itself
//	go test -short ./...                     # skips these tests
package terraform

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// commandTimeout bounds one terraform command, so that a hung one fails the
// test instead of the whole binary. The slowest (an apply that waits for
// provisioned concurrency) takes well under a minute on a quiet machine;
// with load averages of 10 to 30 on 2 cores (other builds beside the suite),
// a destroy once took over 4 minutes.
const commandTimeout = 8 * time.Minute

// toolchain is what every Terraform test needs: the binary, the provider
// mirror and the CLI configuration that points at it.
//
// There is no plugin cache (TF_PLUGIN_CACHE_DIR): from an unpacked mirror,
// init links each working directory's provider straight to the mirror, so
// parallel working directories share nothing writable. A shared cache made
// them race: init in a directory without a lock file installs into the cache
// again, removing the entry another directory's running apply links to
// ("failed to verify checksum ... readlink .../linux_amd64: no such file").
type toolchain struct {
	terraform string
	mirror    string
	cliConfig string // the CLI configuration file (TF_CLI_CONFIG_FILE)
	// provider is the unpacked provider binary in the mirror, which each
	// working directory runs once and attaches every command to; "" (a
	// packed mirror, or RESERVOIR_TF_REATTACH=0) lets Terraform start the
	// provider itself, several times per command.
	provider string
}

// setupToolchain finds Terraform and the provider mirror (skipping the test
// when either is absent), writes the CLI configuration, and checks once that
// init installs the provider from the mirror.
func setupToolchain(t *testing.T) *toolchain {
	t.Helper()
	if testing.Short() {
		t.Skip("terraform end-to-end tests are slow; skipped with -short")
	}
	bin, err := findTerraform()
	if err != nil {
		t.Skipf("terraform end-to-end tests need the terraform CLI: %v", err)
	}
	mirror, err := findMirror(os.Getenv)
	if err != nil {
		t.Skipf("terraform end-to-end tests need hashicorp/aws in a provider mirror: %v", err)
	}
	dir := t.TempDir()
	tc := &toolchain{
		terraform: bin,
		mirror:    mirror,
		cliConfig: filepath.Join(dir, "terraform.rc"),
	}
	rc := fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
`, filepath.ToSlash(mirror))
	if err := os.WriteFile(tc.cliConfig, []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	// An empty configuration that needs the provider: a broken mirror fails here, once.
	warm := tc.workdir(t)
	warm.writeFile("main.tf", `terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
`)
	out := warm.must("init", "-input=false", "-no-color")
	t.Logf("terraform %s, provider mirror %s: %s", bin, mirror, providerVersion(out))
	if os.Getenv("RESERVOIR_TF_REATTACH") != "0" {
		tc.provider = unpackedProvider(mirror)
	}
	return tc
}

// unpackedProvider returns the newest unpacked hashicorp/aws binary of the
// mirror for this platform, or "" when the mirror holds only zips.
func unpackedProvider(mirror string) string {
	bins, _ := filepath.Glob(filepath.Join(mirror, "registry.terraform.io", "hashicorp", "aws", "*",
		runtime.GOOS+"_"+runtime.GOARCH, "terraform-provider-aws*"))
	if len(bins) == 0 {
		return ""
	}
	return bins[len(bins)-1]
}

var providerVersionRE = regexp.MustCompile(`hashicorp/aws v(\d+\.\d+\.\d+)`)

func providerVersion(initOutput string) string {
	if m := providerVersionRE.FindStringSubmatch(initOutput); m != nil {
		return "hashicorp/aws " + m[1]
	}
	return "hashicorp/aws (version not shown)"
}

// findTerraform looks on PATH, then in the usual install location.
func findTerraform() (string, error) {
	if p, err := exec.LookPath("terraform"); err == nil {
		return p, nil
	}
	const fallback = "/usr/local/bin/terraform"
	if st, err := os.Stat(fallback); err == nil && !st.IsDir() {
		return fallback, nil
	}
	return "", errors.New("terraform is not on PATH nor at /usr/local/bin/terraform")
}

// findMirror returns the first directory holding hashicorp/aws in a
// filesystem-mirror layout. RESERVOIR_TF_PLUGIN_DIR, when set, is the only
// candidate.
func findMirror(getenv func(string) string) (string, error) {
	if dir := getenv("RESERVOIR_TF_PLUGIN_DIR"); dir != "" {
		if hasAWSProvider(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("RESERVOIR_TF_PLUGIN_DIR=%s holds no registry.terraform.io/hashicorp/aws for %s_%s", dir, runtime.GOOS, runtime.GOARCH)
	}
	candidates := []string{"/opt/tf-plugins"}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates,
			filepath.Join(home, ".terraform.d", "plugins"),
			filepath.Join(home, ".local", "share", "terraform", "plugins"))
	}
	if xdg := getenv("XDG_DATA_HOME"); xdg != "" {
		candidates = append(candidates, filepath.Join(xdg, "terraform", "plugins"))
	}
	candidates = append(candidates,
		"/usr/local/share/terraform/plugins", "/usr/share/terraform/plugins",
		"/opt/terraform/plugins", "/opt/terraform-plugins")
	for _, dir := range candidates {
		if hasAWSProvider(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("none of %s holds registry.terraform.io/hashicorp/aws for %s_%s (set RESERVOIR_TF_PLUGIN_DIR)",
		strings.Join(candidates, ", "), runtime.GOOS, runtime.GOARCH)
}

// hasAWSProvider reports whether dir is a filesystem mirror with the AWS
// provider for this platform, unpacked (VERSION/OS_ARCH/) or packed
// (terraform-provider-aws_VERSION_OS_ARCH.zip).
func hasAWSProvider(dir string) bool {
	base := filepath.Join(dir, "registry.terraform.io", "hashicorp", "aws")
	platform := runtime.GOOS + "_" + runtime.GOARCH
	unpacked, _ := filepath.Glob(filepath.Join(base, "*", platform, "terraform-provider-aws*"))
	packed, _ := filepath.Glob(filepath.Join(base, "terraform-provider-aws_*_"+platform+".zip"))
	return len(unpacked)+len(packed) > 0
}

// workdir is one Terraform working directory (one configuration, one state).
type workdir struct {
	t    *testing.T
	tc   *toolchain
	dir  string
	env  []string
	prov *providerProcess // nil when Terraform starts the provider itself
}

// workdir makes an empty working directory whose commands see only the
// toolchain's settings.
func (tc *toolchain) workdir(t *testing.T) *workdir {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		// Nothing from the developer's shell may reach real AWS or change
		// how Terraform behaves.
		if strings.HasPrefix(kv, "TF_") || strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "CHECKPOINT_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"TF_CLI_CONFIG_FILE="+tc.cliConfig,
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		"CHECKPOINT_DISABLE=1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE="+os.DevNull,
	)
	if _, set := os.LookupEnv("GOGC"); !set {
		// Terraform and the provider are Go programs; the provider spends
		// about a third of each command's CPU collecting garbage while it
		// builds its schema. A lazier GC cuts the suite's CPU time for
		// ~150 MB more memory per provider process.
		env = append(env, "GOGC=400")
	}
	if lvl := os.Getenv("RESERVOIR_TF_LOG"); lvl != "" {
		env = append(env, "TF_LOG="+lvl)
	}
	if path := os.Getenv("RESERVOIR_TF_LOG_PATH"); path != "" {
		env = append(env, "TF_LOG_PATH="+path)
	}
	w := &workdir{t: t, tc: tc, dir: t.TempDir(), env: env}
	if tc.provider != "" {
		w.prov = &providerProcess{}
		t.Cleanup(w.prov.stop)
	}
	return w
}

// bind returns the same directory reporting to t (a subtest of the test
// that made it).
func (w *workdir) bind(t *testing.T) *workdir {
	c := *w
	c.t = t
	return &c
}

func (w *workdir) writeFile(name, content string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, name), []byte(content), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// run runs one terraform command and returns its combined output and exit
// code. Failing to start or a timeout fails the test.
func (w *workdir) run(args ...string) (string, int) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.tc.terraform, args...)
	cmd.Dir = w.dir
	cmd.Env = w.env
	if w.prov != nil {
		reattach, err := w.prov.start(w)
		if err != nil {
			w.t.Fatalf("start the provider for terraform %s: %v", strings.Join(args, " "), err)
		}
		cmd.Env = append(slices.Clip(w.env), "TF_REATTACH_PROVIDERS="+reattach)
	}
	// On timeout, interrupt first: Terraform then stops its provider
	// processes and unlocks the state; kill only if that hangs.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 20 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	w.t.Logf("terraform %s: %s", strings.Join(args, " "), time.Since(start).Round(100*time.Millisecond))
	if ctx.Err() != nil {
		w.t.Fatalf("terraform %s timed out after %s:\n%s", strings.Join(args, " "), commandTimeout, out.String())
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &exitErr):
		return out.String(), exitErr.ExitCode()
	default:
		w.t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
		return "", -1
	}
}

// must runs a command that has to succeed.
func (w *workdir) must(args ...string) string {
	w.t.Helper()
	out, code := w.run(args...)
	if code != 0 {
		w.t.Fatalf("terraform %s exited %d:\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// apply applies the current configuration and returns its output.
func (w *workdir) apply(extra ...string) string {
	w.t.Helper()
	return w.must(append([]string{"apply", "-auto-approve", "-input=false", "-no-color"}, extra...)...)
}

// planIsClean asserts that a fresh plan (with refresh) finds nothing to do.
func (w *workdir) planIsClean() {
	w.t.Helper()
	out, code := w.run("plan", "-detailed-exitcode", "-input=false", "-no-color")
	if code != 0 {
		w.t.Fatalf("terraform plan -detailed-exitcode exited %d, want 0 (no changes):\n%s", code, out)
	}
}

// plannedChange is one resource of a machine-readable plan.
type plannedChange struct {
	Address string
	Action  string // create, update, delete, replace, read, noop, ...
}

// planSummary is the change_summary message of `terraform plan -json`.
type planSummary struct {
	Add    int `json:"add"`
	Change int `json:"change"`
	Import int `json:"import"`
	Remove int `json:"remove"`
}

// planJSON runs `terraform plan -json -out=tfplan` and returns the planned
// changes and the summary; the saved plan can then be applied as is.
func (w *workdir) planJSON() ([]plannedChange, planSummary) {
	w.t.Helper()
	out, code := w.run("plan", "-json", "-detailed-exitcode", "-input=false", "-out=tfplan")
	if code != 0 && code != 2 {
		w.t.Fatalf("terraform plan -json exited %d:\n%s", code, out)
	}
	changes, summary := w.parseJSONStream(out)
	if (code == 2) != (len(changes) > 0 || summary.Import > 0) {
		w.t.Fatalf("terraform plan exit code %d disagrees with its changes %+v %+v", code, changes, summary)
	}
	return changes, summary
}

// applyJSON runs `terraform apply -json` and returns what its plan was.
func (w *workdir) applyJSON() ([]plannedChange, planSummary) {
	w.t.Helper()
	out := w.must("apply", "-json", "-auto-approve", "-input=false")
	return w.parseJSONStream(out)
}

// parseJSONStream reads Terraform's machine-readable UI: the planned_change
// messages and the plan's change_summary.
func (w *workdir) parseJSONStream(out string) ([]plannedChange, planSummary) {
	w.t.Helper()
	var (
		changes []plannedChange
		summary *planSummary
	)
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		var msg struct {
			Type   string `json:"type"`
			Change struct {
				Resource struct {
					Addr string `json:"addr"`
				} `json:"resource"`
				Action string `json:"action"`
			} `json:"change"`
			Changes *struct {
				planSummary
				Operation string `json:"operation"`
			} `json:"changes"`
		}
		if json.Unmarshal(sc.Bytes(), &msg) != nil {
			continue
		}
		switch {
		case msg.Type == "planned_change":
			changes = append(changes, plannedChange{Address: msg.Change.Resource.Addr, Action: msg.Change.Action})
		case msg.Type == "change_summary" && msg.Changes != nil && msg.Changes.Operation == "plan":
			summary = &msg.Changes.planSummary
		}
	}
	if summary == nil {
		w.t.Fatalf("terraform printed no plan change_summary:\n%s", out)
	}
	return changes, *summary
}

// writeZip writes a deployment package with one Python handler and returns
// its file name (relative to the working directory).
func (w *workdir) writeZip(name string) string {
	w.t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.CreateHeader(&zip.FileHeader{Name: "index.py", Method: zip.Deflate, Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := io.WriteString(f, "def handler(event, context):\n    return {\"ok\": True}\n"); err != nil {
		w.t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.dir, name), buf.Bytes(), 0o644); err != nil {
		w.t.Fatal(err)
	}
	return name
}

// exchange is one request the provider sent and what it got back.
type exchange struct {
	Method    string
	Path      string // escaped, as sent
	Query     string
	Action    string // IAM/STS query-protocol action
	Target    string // X-Amz-Target of JSON-protocol services (Logs)
	Status    int
	ErrorCode string
	At        time.Time // when the request arrived
}

func (e exchange) String() string {
	s := e.Method + " " + e.Path
	if e.Query != "" {
		s += "?" + e.Query
	}
	if e.Action != "" {
		s += " Action=" + e.Action
	}
	if e.Target != "" {
		s += " Target=" + e.Target
	}
	s += fmt.Sprintf(" -> %d", e.Status)
	if e.ErrorCode != "" {
		s += " " + e.ErrorCode
	}
	return s
}

// recorder is a reverse proxy in front of Reservoir that remembers every
// exchange.
type recorder struct {
	URL string

	mu  sync.Mutex
	log []exchange
}

var xmlCodeRE = regexp.MustCompile(`<Code>([^<]+)</Code>`)

// newRecorder starts a recording proxy to target; it stops with the test,
// and prints its log when the test failed.
func newRecorder(t *testing.T, target string) *recorder {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := exchange{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Target: r.Header.Get("X-Amz-Target"), At: time.Now()}
		if r.Method == http.MethodPost && r.URL.Path == "/" {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if form, err := url.ParseQuery(string(body)); err == nil {
				ex.Action = form.Get("Action")
			}
		}
		cw := &capturingWriter{ResponseWriter: w}
		proxy.ServeHTTP(cw, r)
		ex.Status = cw.status
		if ex.Status >= 400 {
			ex.ErrorCode = w.Header().Get("X-Amzn-ErrorType")
			if m := xmlCodeRE.FindSubmatch(cw.body.Bytes()); ex.ErrorCode == "" && m != nil {
				ex.ErrorCode = string(m[1])
			}
			var rpc struct {
				Type string `json:"__type"`
			}
			if ex.ErrorCode == "" && json.Unmarshal(cw.body.Bytes(), &rpc) == nil {
				ex.ErrorCode = rpc.Type
			}
		}
		rec.mu.Lock()
		rec.log = append(rec.log, ex)
		rec.mu.Unlock()
	}))
	rec.URL = srv.URL
	t.Cleanup(func() {
		srv.Close()
		if t.Failed() {
			t.Logf("requests the provider sent:\n%s", rec.dump())
		}
	})
	return rec
}

// exchanges returns a copy of the log.
func (r *recorder) exchanges() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]exchange(nil), r.log...)
}

// mark returns a position in the log, for since.
func (r *recorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.log)
}

// since returns the exchanges recorded after mark.
func (r *recorder) since(mark int) []exchange {
	return r.exchanges()[mark:]
}

func (r *recorder) dump() string {
	var b strings.Builder
	for _, e := range r.exchanges() {
		b.WriteString("  " + e.At.Format("15:04:05.000") + " " + e.String() + "\n")
	}
	return b.String()
}

// checkNoServerErrors fails the test for any 5xx or unknown operation: each
// is a request Reservoir cannot serve.
func (r *recorder) checkNoServerErrors(t *testing.T) {
	t.Helper()
	for _, e := range r.exchanges() {
		if e.Status >= 500 || e.ErrorCode == "UnknownOperationException" {
			t.Errorf("Reservoir could not serve a provider request: %s", e)
		}
	}
}

type capturingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer // error bodies only, capped
}

func (c *capturingWriter) WriteHeader(status int) {
	c.status = status
	c.ResponseWriter.WriteHeader(status)
}

func (c *capturingWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if c.status >= 400 && c.body.Len() < 4096 {
		c.body.Write(p)
	}
	return c.ResponseWriter.Write(p)
}

// providerProcess is one hashicorp/aws provider that a working directory's
// commands attach to. Terraform otherwise starts the provider afresh for
// each command (more than once: for its schema, then for each walk), and
// each start costs about a second of CPU: this provider's start-up and
// schema building. Attached, a command costs about 40 % less CPU: 3.2 s
// instead of 5.5 s for an empty plan; the LogGroup and IAMPolicy scenarios
// together took 174 s of CPU instead of 321 s (user+sys of the test
// binary and its children, one after the other under the same load), and
// the suite runs a few hundred commands on 2 cores. It runs in the working
// directory with its environment, as Terraform would have run it, so
// relative paths (a function's `filename`) resolve the same way.
type providerProcess struct {
	once     sync.Once
	reattach string // the TF_REATTACH_PROVIDERS value it printed
	err      error
	cmd      *exec.Cmd
	exited   chan struct{}
}

// start runs the provider on the first call and returns the value of
// TF_REATTACH_PROVIDERS that attaches a command to it.
func (p *providerProcess) start(w *workdir) (string, error) {
	p.once.Do(func() { p.reattach, p.err = p.launch(w) })
	if p.err != nil {
		return "", p.err
	}
	select {
	case <-p.exited:
		return "", fmt.Errorf("the provider (%s) has exited", w.tc.provider)
	default:
		return p.reattach, nil
	}
}

var reattachRE = regexp.MustCompile(`TF_REATTACH_PROVIDERS='([^']+)'`)

func (p *providerProcess) launch(w *workdir) (string, error) {
	env := slices.Clip(w.env)
	var logTo io.Writer = io.Discard
	if os.Getenv("RESERVOIR_TF_LOG") != "" {
		f, err := os.Create(filepath.Join(w.dir, "provider.log"))
		if err != nil {
			return "", err
		}
		w.t.Logf("the provider logs to %s", f.Name())
		logTo = f
	} else {
		// In debug mode the provider logs every RPC at trace level to its
		// stdout, thousands of lines per command; nobody reads them.
		for _, sub := range []string{"PROVIDER", "SDK", "SDK_PROTO", "SDK_MUX", "SDK_FRAMEWORK", "SDK_HELPER_SCHEMA"} {
			env = append(env, "TF_LOG_"+sub+"=off")
		}
	}
	cmd := exec.Command(w.tc.provider, "-debug")
	cmd.Dir = w.dir
	cmd.Env = env
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return "", err
	}
	p.cmd = cmd
	p.exited = make(chan struct{})
	found := make(chan string, 1)
	go func() {
		defer close(p.exited)
		r := bufio.NewReader(out)
		for {
			line, err := r.ReadString('\n')
			if m := reattachRE.FindStringSubmatch(line); m != nil {
				found <- m[1]
			}
			logTo.Write([]byte(line))
			if err != nil {
				break
			}
		}
		cmd.Wait()
		if c, ok := logTo.(io.Closer); ok {
			c.Close()
		}
	}()
	select {
	case r := <-found:
		return r, nil
	case <-p.exited:
		return "", fmt.Errorf("%s -debug exited before printing TF_REATTACH_PROVIDERS", w.tc.provider)
	case <-time.After(commandTimeout):
		cmd.Process.Kill()
		return "", fmt.Errorf("%s -debug printed no TF_REATTACH_PROVIDERS in %s", w.tc.provider, commandTimeout)
	}
}

// stop interrupts the provider (it then closes its socket and exits) and
// kills it if it has not exited within 10 s.
func (p *providerProcess) stop() {
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}
