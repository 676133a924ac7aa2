package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/base64"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

var update = flag.Bool("update", false, "rewrite README.md's flags tables from serveFlags and topFlags")

const readmePath = "../../README.md"

// The lines README gives to install and build the binary: both build a
// static one (no cgo, so no libc).
const (
	installLine = "CGO_ENABLED=0 go install github.com/reservoir-dev/reservoir/cmd/reservoir@latest"
	buildLine   = "CGO_ENABLED=0 go build -o reservoir ./cmd/reservoir"
)

// TestREADMEFlagsTable: README's Server flags table is the one serveFlags
// makes. `go test ./cmd/reservoir -run TestREADMEFlagsTable -update`
// rewrites it.
func TestREADMEFlagsTable(t *testing.T) {
	checkREADMETable(t, "\n## Server flags\n", flagsMarkdown())
}

// TestREADMETopFlagsTable: the flags table of README's reservoir top
// section is the one topFlags makes (-update rewrites it too).
func TestREADMETopFlagsTable(t *testing.T) {
	checkREADMETable(t, "\n## Watch it: `reservoir top`\n", topFlagsMarkdown())
}

// checkREADMETable checks that the first table after README's heading is
// want, or rewrites it with -update.
func checkREADMETable(t *testing.T, heading, want string) {
	t.Helper()
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	start := strings.Index(readme, heading)
	if start < 0 {
		t.Fatalf("README has no section %q", strings.TrimSpace(heading))
	}
	tableStart := start + strings.Index(readme[start:], "\n|") + 1
	tableEnd := tableStart
	for tableEnd < len(readme) && readme[tableEnd] == '|' {
		tableEnd += strings.IndexByte(readme[tableEnd:], '\n') + 1
	}
	got := readme[tableStart:tableEnd]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(readmePath, []byte(readme[:tableStart]+want+readme[tableEnd:]), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("README.md's table under %q rewritten", strings.TrimSpace(heading))
		return
	}
	t.Errorf("README's table under %q differs from its flag table (go test ./cmd/reservoir -run 'TestREADME.*FlagsTable' -update rewrites it):\n%s\nwant:\n%s",
		strings.TrimSpace(heading), got, want)
}

// TestREADMECommands: README's first lines are the two commands, CI runs
// README's test command (uncached), and README says how to install and
// build the binary as TestDocumentedBuildIsStatic does.
func TestREADMECommands(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	first := regexp.MustCompile("(?s)```sh\n(go run ./cmd/reservoir serve) .*\n(go test -race [^\n#]*\\./\\.\\.\\.) +#").FindStringSubmatch(readme)
	if first == nil || strings.Index(readme, first[0]) > strings.Index(readme, "\n## ") {
		t.Fatal("README does not open with the two commands (run the service, run the tests)")
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	uncached := strings.Replace(first[2], "go test -race ", "go test -race -count=1 ", 1) // go test -race -count=1 [flags] [packages] ./...
	if !strings.Contains(string(ci), "\n"+uncached+"\n") {
		t.Errorf(".ci/run does not run README's test command uncached (%s)", uncached)
	}
	for _, line := range []string{installLine, buildLine} {
		if !strings.Contains(readme, "\n"+line) {
			t.Errorf("README lacks the line %q", line)
		}
	}
}

// binary is cmd/reservoir built as README's build line builds it.
var binary struct {
	once sync.Once
	path string
	err  error
}

func reservoirBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "reservoir-cmd-test-")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "reservoir")
		// buildLine, with the binary elsewhere.
		cmd := exec.Command("go", "build", "-o", binary.path, "./cmd/reservoir")
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			binary.err = errors.New(string(out))
		}
	})
	if binary.err != nil {
		t.Fatalf("%s: %v", buildLine, binary.err)
	}
	return binary.path
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if binary.path != "" {
		_ = os.RemoveAll(filepath.Dir(binary.path))
	}
	os.Exit(code)
}

// TestDocumentedBuildIsStatic: the binary README's build line makes needs
// no dynamic loader and no shared library.
func TestDocumentedBuildIsStatic(t *testing.T) {
	bin := reservoirBinary(t)
	if runtime.GOOS != "linux" {
		t.Skip("checks an ELF binary")
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary asks for a dynamic loader (PT_INTERP)")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary needs shared libraries: %v %v", libs, err)
	}
}

// TestBinaryHelpVersionAndErrors runs the built binary as a user does.
func TestBinaryHelpVersionAndErrors(t *testing.T) {
	bin := reservoirBinary(t)
	runBin := func(args ...string) (stdout, stderr string, code int) {
		var o, e bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), code
	}
	var want bytes.Buffer
	writeUsage(&want)
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}} {
		if out, errOut, code := runBin(args...); code != 0 || out != want.String() || errOut != "" {
			t.Errorf("reservoir %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	if out, errOut, code := runBin("serve", "--no-such-flag"); code != 2 || out != "" ||
		strings.Count(errOut, "flag provided but not defined: -no-such-flag") != 1 {
		t.Errorf("a wrong flag: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// The version and the commit are those `go version -m` reads.
	mod, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	info := map[string]string{}
	for _, line := range strings.Split(string(mod), "\n") {
		fields := strings.Split(strings.TrimSpace(line), "\t")
		switch {
		case len(fields) >= 3 && fields[0] == "mod":
			info["version"] = fields[2]
		case len(fields) == 2 && fields[0] == "build" && strings.HasPrefix(fields[1], "vcs.revision="):
			info["revision"] = strings.TrimPrefix(fields[1], "vcs.revision=")
		}
	}
	wantCommit := "commit    not recorded in this build"
	if info["revision"] != "" {
		wantCommit = "commit    " + info["revision"]
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, _, code := runBin(args...)
		if code != 0 || !strings.HasPrefix(out, "reservoir "+info["version"]+"\n") || !strings.Contains(out, "\n"+wantCommit) {
			t.Errorf("reservoir %s: exit %d\n%s\nwant version %q and %q (go version -m:\n%s)", args[0], code, out, info["version"], wantCommit, mod)
		}
	}
}

// serveBinary runs `reservoir serve` (the built binary) with env and args
// after --listen and --data-dir; it returns the URL once the server
// listens, and its log so far. The server is stopped when the test ends.
func serveBinary(t *testing.T, env []string, args ...string) (string, func() string) {
	t.Helper()
	cmd := exec.Command(reservoirBinary(t), append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir()}, args...)...)
	cmd.Env = env
	var log syncBuffer
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			log.Write([]byte(sc.Text() + "\n"))
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		pw.Close()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-exited
		<-scanned
	})
	select {
	case url := <-addr:
		return url, log.String
	case <-exited:
		<-scanned
		t.Fatalf("reservoir exited at start:\n%s", log.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("reservoir did not start listening:\n%s", log.String())
	}
	return "", nil
}

var listeningRE = regexp.MustCompile(`msg="reservoir listening" addr=(http://[0-9.:]+)`)

// TestWarningsOfTheBinary: through the real server and client, what AWS
// would accept and then fail to run is accepted and logged with what is
// wrong: files others cannot read, runtimes this machine cannot run, a
// runtime served by another interpreter version; a container image gets
// its own error.
func TestWarningsOfTheBinary(t *testing.T) {
	// A machine with node (if this one has it) and no python3.
	bin := t.TempDir()
	nodeMajor := ""
	if node, err := exec.LookPath("node"); err == nil {
		out, err := exec.Command(node, "--version").Output()
		if err != nil {
			t.Fatal(err)
		}
		nodeMajor, _, _ = strings.Cut(strings.TrimPrefix(strings.TrimSpace(string(out)), "v"), ".")
		if err := os.Symlink(node, filepath.Join(bin, "node")); err != nil {
			t.Fatal(err)
		}
	}
	url, logs := serveBinary(t, []string{"PATH=" + bin, "HOME=" + t.TempDir()}, "--isolation", "off")
	ctx := context.Background()
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("123456789012", "x", "")}
	c := lambda.NewFromConfig(cfg)
	// A role Lambda can assume: no warning about it.
	r, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
			`"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	role := r.Role.Arn
	create := func(name string, rt types.Runtime, zip []byte) {
		t.Helper()
		if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: rt,
			Handler: aws.String("index.handler"), Role: role, Code: &types.FunctionCode{ZipFile: zip}}); err != nil {
			t.Fatalf("create %s (%s): %v", name, rt, err)
		}
	}
	// warned waits for the server's warning about function that has every
	// one of words, and fails the test if none comes.
	warned := func(function string, words ...string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			for _, line := range strings.Split(logs(), "\n") {
				if strings.Contains(line, "level=WARN") && strings.Contains(line, " function="+function+" ") &&
					!slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(line, w) }) {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Errorf("no warning about %s with %q in the log:\n%s", function, words, logs())
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	readable := zipOf(t, map[string]os.FileMode{"index.js": 0o644})

	// 0600, and mode 0 as Python's zipfile.writestr makes it of a ZipInfo.
	create("private", types.RuntimeProvidedal2023, zipOf(t, map[string]os.FileMode{
		"bootstrap": 0o755, "secret.txt": 0o600, "zero.txt": 0, "public.txt": 0o644}))
	warned("private", "secret.txt (0600)", "zero.txt (0000)", "read permission for others")
	if _, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("private"),
		ZipFile: zipOf(t, map[string]os.FileMode{"bootstrap": 0o700})}); err != nil {
		t.Fatal(err)
	}
	warned("private", "bootstrap (0700)")

	create("py", types.RuntimePython312, readable)
	warned("py", "runtime=python3.12", "python3 not found")
	create("java", types.RuntimeJava21, readable)
	warned("java", "runtime=java21", "missing=")
	create("ruby", types.RuntimeRuby33, readable)
	warned("ruby", "runtime=ruby3.3", "missing=")
	if nodeMajor != "" {
		other := types.RuntimeNodejs24x
		if nodeMajor == "24" {
			other = types.RuntimeNodejs22x
		}
		create("node-other", other, readable)
		warned("node-other", "runtime="+string(other), "interpreter=")
	}

	_, err = c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("image"), Role: role,
		PackageType: types.PackageTypeImage, Code: &types.FunctionCode{ImageUri: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/fn:1")}})
	var ipv *types.InvalidParameterValueException
	if !errors.As(err, &ipv) || !strings.Contains(aws.ToString(ipv.Message), "container images (PackageType Image) are not supported") {
		t.Errorf("create from a container image: %v", err)
	}

	// Nothing else was warned of: a runtime that runs here as it names.
	if nodeMajor == "18" || nodeMajor == "20" || nodeMajor == "22" || nodeMajor == "24" {
		create("node-same", types.Runtime("nodejs"+nodeMajor+".x"), readable)
	}
	create("plain", types.RuntimeProvidedal2023, zipOf(t, map[string]os.FileMode{"bootstrap": 0o755}))
	for _, name := range []string{"node-same", "plain"} {
		if strings.Contains(logs(), " function="+name+" ") {
			t.Errorf("a warning about %s:\n%s", name, logs())
		}
	}
}

// zipOf makes a package of small files with the given modes; mode 0 is
// written as Python's zipfile.writestr writes a ZipInfo it is given: made
// on Unix, no mode bits at all.
func zipOf(t *testing.T, files map[string]os.FileMode) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, mode := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		if mode == 0 {
			h.CreatorVersion = 3<<8 | 20
		} else {
			h.SetMode(mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte("# " + name + "\n"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// healthAnswer is README's answer of GET /.
const healthAnswer = `{"service":"reservoir","status":"ok"}`

// TestWhatREADMESaysYouSee: through the real binary, the health answer,
// LogResult (base64 of the invocation's log: START, the function's output,
// END, REPORT) and, at --log-level debug, the function's output in the
// server's log, are what README says.
func TestWhatREADMESaysYouSee(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "`"+healthAnswer+"`") {
		t.Errorf("README does not give the health answer %s", healthAnswer)
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3 for the function")
	}
	url, logs := serveBinary(t, os.Environ(), "--isolation", "off", "--log-level", "debug")
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != healthAnswer {
		t.Errorf("GET /: %d %s", resp.StatusCode, body)
	}

	ctx := context.Background()
	c := lambda.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("123456789012", "x", "")})
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	h := &zip.FileHeader{Name: "index.py", Method: zip.Deflate}
	h.SetMode(0o644)
	w, _ := zw.CreateHeader(h)
	_, _ = w.Write([]byte("def handler(event, context):\n    print('hello from the function')\n    return 1\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("hello"), Runtime: types.RuntimePython312,
		Handler: aws.String("index.handler"), Role: aws.String("arn:aws:iam::123456789012:role/r"),
		Code: &types.FunctionCode{ZipFile: zbuf.Bytes()}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("hello"), LogType: types.LogTypeTail})
	if err != nil || out.FunctionError != nil {
		t.Fatalf("invoke: %v %+v", err, out)
	}
	tail, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(tail)), "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[0], "START RequestId: ") || !slices.Contains(lines, "hello from the function") ||
		!strings.HasPrefix(lines[len(lines)-2], "END RequestId: ") || !strings.HasPrefix(lines[len(lines)-1], "REPORT RequestId: ") {
		t.Errorf("LogResult:\n%s", tail)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs(), `msg="function output" function=hello version=$LATEST`) || !strings.Contains(logs(), `line="hello from the function"`) {
		if time.Now().After(deadline) {
			t.Fatalf("the function's output is not in the debug log:\n%s", logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
