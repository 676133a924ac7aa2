package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/reservoir-dev/reservoir/internal/process"
	"github.com/reservoir-dev/reservoir/internal/sandbox/runtimes"
)

// Runtime families the engine can run.
const (
	familyProvided = "provided" // provided, provided.al2, provided.al2023: ./bootstrap
	familyGo       = "go"       // go1.x: the executable named by the handler
	familyPython   = "python"   // python3.x: python3 + the embedded client
	familyNode     = "node"     // nodejs18.x ...: node + the embedded client
)

func runtimeFamily(runtime string) (string, error) {
	switch {
	case runtime == "provided" || runtime == "provided.al2" || runtime == "provided.al2023":
		return familyProvided, nil
	case runtime == "go1.x":
		return familyGo, nil
	case digits(strings.TrimPrefix(runtime, "python3.")) && strings.HasPrefix(runtime, "python3."):
		return familyPython, nil
	case strings.HasPrefix(runtime, "nodejs") && strings.HasSuffix(runtime, ".x") &&
		digits(strings.TrimSuffix(strings.TrimPrefix(runtime, "nodejs"), ".x")):
		return familyNode, nil
	}
	return "", fmt.Errorf("%w: %q: %s", ErrUnsupportedRuntime, runtime, missingFor(runtime))
}

// missingFor says what Reservoir lacks to run a runtime it has no engine for.
func missingFor(runtime string) string {
	const runs = "; Reservoir runs provided.al2023, provided.al2, provided and go1.x (the function's own executable), python3.x (with python3) and nodejs*.x (with node) functions"
	lang := ""
	switch {
	case strings.HasPrefix(runtime, "java"):
		lang = "a Java runtime client (a JVM and AWS's aws-lambda-java-runtime-interface-client)"
	case strings.HasPrefix(runtime, "dotnet"):
		lang = "a .NET runtime client (the .NET runtime and Amazon.Lambda.RuntimeSupport)"
	case strings.HasPrefix(runtime, "ruby"):
		lang = "a Ruby runtime client (ruby and the aws_lambda_ric gem)"
	default:
		return "no engine for this runtime" + runs
	}
	return "missing " + lang + runs
}

// digits reports whether s is a non-empty run of ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// launch is how to start a runtime.
type launch struct {
	path    string
	args    []string
	execEnv string // AWS_EXECUTION_ENV, empty for OS-only runtimes
}

// layout is where an environment's code and runtime directories are: on
// the host, and in the view of its process (the same without isolation).
type layout struct {
	task, rtDir      string
	taskView, rtView string
	// opt is the merged tree of the layers ("" without layers); optView
	// is /opt when isolated, else opt itself.
	opt, optView string
}

// launcher prepares the runtime of spec: it finds the executable (writing
// the embedded client into the runtime directory for interpreted runtimes).
// The launch's paths are in the process's view.
func (m *Manager) launcher(spec Spec, lay layout) (launch, *initFailure, error) {
	family, err := runtimeFamily(spec.Runtime)
	if err != nil {
		return launch{}, nil, err
	}
	switch family {
	case familyProvided, familyGo:
		name := "bootstrap"
		if family == familyGo {
			name = filepath.Clean("/" + spec.Handler)[1:]
		}
		path := filepath.Join(lay.taskView, name)
		if fi, err := os.Stat(filepath.Join(lay.task, name)); err != nil || !fi.Mode().IsRegular() {
			return launch{}, &initFailure{errorType: "Runtime.InvalidEntrypoint",
				msg: "Couldn't find valid bootstrap(s): [" + path + "]"}, nil
		}
		return launch{path: path}, nil, nil
	case familyPython:
		interp, err := m.interpreter("python3", spec.Runtime)
		if err != nil {
			return launch{}, nil, err
		}
		if err := os.WriteFile(filepath.Join(lay.rtDir, "bootstrap.py"), runtimes.Python(), 0o644); err != nil {
			return launch{}, nil, fmt.Errorf("sandbox: %w", err)
		}
		return launch{path: interp, args: []string{"-u", filepath.Join(lay.rtView, "bootstrap.py")}, execEnv: "AWS_Lambda_" + spec.Runtime}, nil, nil
	default: // familyNode
		interp, err := m.interpreter("node", spec.Runtime)
		if err != nil {
			return launch{}, nil, err
		}
		if err := os.WriteFile(filepath.Join(lay.rtDir, "bootstrap.js"), runtimes.Node(), 0o644); err != nil {
			return launch{}, nil, fmt.Errorf("sandbox: %w", err)
		}
		return launch{path: interp, args: []string{filepath.Join(lay.rtView, "bootstrap.js")}, execEnv: "AWS_Lambda_" + spec.Runtime}, nil, nil
	}
}

// interpreter finds program on the host PATH and resolves it to the real
// executable (through shims such as pyenv's, which need the host's
// environment the function does not get). Results are cached.
func (m *Manager) interpreter(program, runtime string) (string, error) {
	m.interpMu.Lock()
	path, ok := m.interps[program]
	m.interpMu.Unlock()
	if ok {
		return path, nil
	}
	unreachable := ""
	for _, dir := range filepath.SplitList(m.opts.HostPath) {
		if dir == "" {
			continue
		}
		candidate := filepath.Join(dir, program)
		if fi, err := os.Stat(candidate); err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
			continue
		}
		path = candidate
		if real := probeExecutable(candidate, program, m.opts.HostPath); real != "" {
			path = real
		}
		// An isolated function runs as a user of its own: an interpreter
		// under, say, /root/.pyenv is out of its reach.
		if m.isolated && !m.rootless && !reachableByOthers(path) {
			if unreachable == "" {
				unreachable = path
			}
			path = ""
			continue
		}
		break
	}
	if path == "" {
		return "", &RuntimeUnavailableError{Program: program, Runtime: runtime, Unreachable: unreachable}
	}
	m.interpMu.Lock()
	m.interps[program] = path
	m.interpMu.Unlock()
	return path, nil
}

// probeExecutable asks the interpreter for its own executable path.
func probeExecutable(path, program, hostPath string) string {
	var args []string
	switch program {
	case "python3":
		args = []string{"-c", "import sys; print(sys.executable)"}
	case "node":
		args = []string{"-p", "process.execPath"}
	default:
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "PATH="+hostPath)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	real := strings.TrimSpace(string(out))
	if !filepath.IsAbs(real) {
		return ""
	}
	if fi, err := os.Stat(real); err != nil || fi.Mode()&0o111 == 0 {
		return ""
	}
	return real
}

// Placeholder credentials: SDKs in functions need some to sign requests.
const (
	dummyAccessKeyID     = "AKIAIOSFODNN7EXAMPLE"
	dummySecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	dummySessionToken    = "reservoir-session-token"
)

// telemetryFDVar names the descriptor of the runtime's log records.
const telemetryFDVar = "_LAMBDA_TELEMETRY_LOG_FD"

// environment is the complete environment of the runtime process: Lambda's
// defaults, the function's variables, Lambda's reserved variables (which the
// function cannot override), then Options.ExtraEnv.
func (e *env) environment(apiAddr string, lay layout, execEnv string) []string {
	task, rtDir, opt := lay.taskView, lay.rtView, lay.optView
	if opt == "" {
		opt = optView
	}
	vars := map[string]string{
		"PATH":            "/usr/local/bin:/usr/bin/:/bin:" + filepath.Join(opt, "bin"),
		"LD_LIBRARY_PATH": task + ":" + filepath.Join(task, "lib") + ":/lib64:/usr/lib64:" + rtDir + ":" + filepath.Join(opt, "lib"),
		"LANG":            "en_US.UTF-8",
		"TZ":              ":UTC",
	}
	if lay.opt != "" {
		for k, v := range layerVars(e.spec.Runtime, opt) {
			vars[k] = v
		}
	}
	for k, v := range e.spec.Env {
		vars[k] = v
	}
	reserved := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        e.spec.FunctionName,
		"AWS_LAMBDA_FUNCTION_VERSION":     e.spec.Version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(e.spec.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       e.logGroup,
		"AWS_LAMBDA_LOG_STREAM_NAME":      e.logStream,
		"AWS_LAMBDA_INITIALIZATION_TYPE":  e.initType,
		"AWS_LAMBDA_RUNTIME_API":          apiAddr,
		"AWS_REGION":                      e.spec.Region,
		"AWS_DEFAULT_REGION":              e.spec.Region,
		"_HANDLER":                        e.spec.Handler,
		"LAMBDA_TASK_ROOT":                task,
		"LAMBDA_RUNTIME_DIR":              rtDir,
		"AWS_ACCESS_KEY_ID":               dummyAccessKeyID,
		"AWS_SECRET_ACCESS_KEY":           dummySecretAccessKey,
		"AWS_SESSION_TOKEN":               dummySessionToken,
		// The runtime clients frame their records on this descriptor, so
		// that a record spanning lines stays one log event (they remove the
		// variable before the function's code runs, as Lambda's do).
		telemetryFDVar: strconv.Itoa(process.RecordsFD),
	}
	if l := e.spec.Logging; l.JSON {
		reserved["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
		if l.ApplicationLogLevel != "" {
			reserved["AWS_LAMBDA_LOG_LEVEL"] = l.ApplicationLogLevel
		}
	}
	if execEnv != "" {
		reserved["AWS_EXECUTION_ENV"] = execEnv
	}
	for k, v := range reserved {
		vars[k] = v
	}
	for k, v := range e.m.opts.ExtraEnv {
		vars[k] = v
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
