package process

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Rootless isolation, for a Reservoir that is not root.
//
// An unprivileged process may still create a user namespace, and with it
// mount, PID and IPC namespaces that it owns. The child is forked straight
// into all four (SysProcAttr.Cloneflags), as the one user the namespace maps
// (SandboxUID inside, this process's own uid outside), keeping
// CAP_SYS_ADMIN of its namespace as an ambient capability. It is this same
// executable, re-run: the init function below sees initEnv, lays out the
// view, gives up the capability and executes the real command, which becomes
// PID 1 of its own PID namespace. So:
//
//   - it sees only its own processes (a fresh /proc), and no other
//     environment's processes can be signalled, traced or read through /proc;
//   - every process it leaves behind dies with it (the kernel kills a PID
//     namespace when its PID 1 exits);
//   - Reservoir's data directory (Isolation.Hide) is covered by an empty
//     file system, so no other function's code or /tmp can be reached there.
//
// What it cannot do without root: every environment's processes are the same
// host user, Reservoir's own, so they can read what that user can read outside
// the hidden directories, and a Runtime API cannot tell its own environment's
// connections from another's by user (runtimeapi.Options.Admit is not set).

// SandboxUID is the user and group a rootless isolated process runs as in
// its namespace: Lambda's sbx_user1051.
const SandboxUID = 993

// initEnv carries the rootlessInit spec to the re-executed child; it is the
// child's only environment variable and never reaches the command.
const initEnv = "_RESERVOIR_ISOLATED_INIT"

// rootlessInit is what the child is told: the view to lay out, then the
// command to execute in it.
type rootlessInit struct {
	View  Isolation `json:"view"`
	Path  string    `json:"path"`
	Args  []string  `json:"args"` // argv, program name first
	Env   []string  `json:"env"`
	Dir   string    `json:"dir"`
	Probe bool      `json:"probe,omitempty"` // lay out the view, then exit 0
	// ErrFD is where a failure is written; it closes on exec, so the parent
	// reading it to EOF learns that the command runs.
	ErrFD int `json:"errfd"`
}

func init() {
	// Any binary that links this package (reservoir, a test binary) may be
	// re-executed as a rootless child; only PID 1 of a new namespace with
	// initEnv set is one.
	raw, ok := os.LookupEnv(initEnv)
	if !ok || os.Getpid() != 1 {
		return
	}
	var spec rootlessInit
	err := json.Unmarshal([]byte(raw), &spec)
	if err == nil {
		unix.CloseOnExec(spec.ErrFD)
		err = runRootlessInit(&spec)
	}
	// Reached only when the view or the exec failed.
	if spec.ErrFD == 0 || writeAll(spec.ErrFD, err.Error()) != nil {
		fmt.Fprintf(os.Stderr, "reservoir: isolated start: %v\n", err)
	}
	os.Exit(127)
}

func writeAll(fd int, s string) error {
	for b := []byte(s); len(b) > 0; {
		n, err := unix.Write(fd, b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// runRootlessInit lays out the view and executes the command; it returns
// only on failure.
func runRootlessInit(spec *rootlessInit) error {
	if err := layoutView(&spec.View); err != nil {
		return err
	}
	// A fresh /proc: this PID namespace's processes only.
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting /proc: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	// Without the ambient capability, executing a program as a uid other
	// than 0 leaves no capability at all, in any namespace.
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("dropping capabilities: %w", err)
	}
	if spec.Probe {
		os.Exit(0)
	}
	if spec.Dir != "" {
		if err := os.Chdir(spec.Dir); err != nil {
			return err
		}
	}
	path := spec.Path
	if !strings.Contains(path, "/") {
		// As exec.Command would have found it, in the new view.
		found, err := exec.LookPath(path)
		if err != nil {
			return err
		}
		path = found
	}
	return syscall.Exec(path, spec.Args, spec.Env)
}

// startRootless starts cmd confined by iso, in namespaces of its own (see
// above). cmd's Path, Args, Env and Dir are taken as the command to run in
// the view; cmd itself is made to re-execute this program.
func startRootless(cmd *exec.Cmd, iso *Isolation, exited <-chan struct{}) error {
	spec := rootlessInit{View: *iso, Path: cmd.Path, Args: cmd.Args, Env: cmd.Env, Dir: cmd.Dir}
	if cmd.Err != nil {
		// exec.Command could not find a bare name on the host's PATH; look
		// again in the view.
		spec.Path, cmd.Err = cmd.Args[0], nil
	}
	return startRootlessSpec(cmd, spec, exited)
}

// startRootlessSpec starts the child and waits until it has executed the
// command (or, probing, exited): a view that cannot be laid out or a
// command that cannot be executed is Start's error, as without isolation.
func startRootlessSpec(cmd *exec.Cmd, spec rootlessInit, exited <-chan struct{}) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	spec.ErrFD = 3 + len(cmd.ExtraFiles)
	cmd.ExtraFiles = append(cmd.ExtraFiles, w)
	raw, err := json.Marshal(spec)
	if err != nil {
		_ = w.Close()
		return err
	}
	cmd.Path = "/proc/self/exe"
	cmd.Args = []string{"reservoir-isolated-init"}
	cmd.Env = []string{initEnv + "=" + string(raw)}
	cmd.Dir = ""
	attr := cmd.SysProcAttr
	attr.Cloneflags = unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWIPC
	attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: SandboxUID, HostID: os.Getuid(), Size: 1}}
	attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: SandboxUID, HostID: os.Getgid(), Size: 1}}
	attr.GidMappingsEnableSetgroups = false
	attr.Credential = &syscall.Credential{Uid: SandboxUID, Gid: SandboxUID, NoSetGroups: true}
	attr.AmbientCaps = []uintptr{unix.CAP_SYS_ADMIN}
	// Forked from a thread kept until the child exits: Pdeathsig follows
	// the forking thread (see startIsolated).
	return onLockedThread(func() error {
		err := cmd.Start()
		_ = w.Close() // the child has its own copy, or failed to start
		if err != nil {
			return err
		}
		msg, err := io.ReadAll(r) // EOF once the child executes the command, or exits
		if err == nil && len(msg) == 0 {
			return nil
		}
		_ = cmd.Wait() // it exits right after writing
		if err != nil {
			return fmt.Errorf("process: isolated start: %w", err)
		}
		return fmt.Errorf("process: isolated start: %s", msg)
	}, exited)
}

// RootlessSupported reports whether rootless isolation works here: it
// starts a child that lays out an empty view and exits.
func RootlessSupported() error {
	var stderr strings.Builder
	cmd := exec.Command("/proc/self/exe")
	cmd.SysProcAttr = sysProcAttr()
	cmd.Stderr = &stderr
	spec := rootlessInit{Probe: true, View: Isolation{Tmpfs: []Tmpfs{{Target: "/var", Mode: 0o755, SizeMB: 1}}}}
	exited := make(chan struct{})
	defer close(exited)
	if err := startRootlessSpec(cmd, spec, exited); err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EUSERS) {
			return fmt.Errorf("%w: user namespaces are not available to this user: %v", ErrIsolationUnsupported, err)
		}
		return fmt.Errorf("%w: %v", ErrIsolationUnsupported, err)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("%w: %v: %s", ErrIsolationUnsupported, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
