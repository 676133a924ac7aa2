package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/reservoir-dev/reservoir/internal/process"
)

// Isolation says whether function processes are isolated from each other
// and from the host.
type Isolation string

const (
	// IsolationAuto isolates where the system allows it (Linux, as root)
	// and otherwise logs a warning and runs functions unisolated. The
	// default. It never chooses rootless isolation, whose starts cost more
	// and whose functions see themselves as PID 1: that takes IsolationOn.
	IsolationAuto Isolation = "auto"
	// IsolationOn isolates, as root or else rootless, or fails NewManager.
	IsolationOn Isolation = "on"
	// IsolationOff runs functions as this process's own user, in its view
	// of the file system.
	IsolationOff Isolation = "off"
)

// An isolated environment sees what a Lambda environment sees, and nothing
// of other environments or of Reservoir:
//
//	/var/task     its function's code, read-only (LAMBDA_TASK_ROOT)
//	/var/runtime  the runtime client, read-only (LAMBDA_RUNTIME_DIR)
//	/opt          its function's layers merged, read-only (when it has any)
//	/var          otherwise empty
//	/tmp          its own, empty at start, removed with the environment
//	/dev/shm      its own, empty
//	ShareDirs     at their own paths, read-write
//
// and the rest of the host read-only as far as its permissions allow, but
// for Reservoir's own directories (WorkDir and HideDirs), which it sees
// empty. As root, it runs as a user of its own (a uid leased with process.LeaseUser for the
// environment's life, so that no two environments share one, in this
// process or any other; no supplementary groups, no capabilities,
// no_new_privs), so it can neither signal nor trace another environment's
// processes, nor read their /proc entries; every process it leaves behind
// is found by its uid and killed. Its Runtime API serves only connections
// from that uid, so no other function can take its events or answer for it.
//
// Not as root, IsolationOn isolates it rootless (process.Isolation.Rootless): the
// same view, in user, mount, PID and IPC namespaces of its own, as user 993
// (sbx_user1051, as on Lambda). It sees only its own processes and its
// leftovers die with it; but every environment is Reservoir's own user on
// the host, so it can read what that user can outside the hidden
// directories, and its Runtime API is not guarded by user.
const (
	taskView    = "/var/task"
	runtimeView = "/var/runtime"
)

// setupIsolation decides Manager.isolated from Options.Isolation.
func (m *Manager) setupIsolation() error {
	mode := m.opts.Isolation
	if mode == "" {
		mode = IsolationAuto
	}
	switch mode {
	case IsolationOff:
		return nil
	case IsolationOn, IsolationAuto:
	default:
		return fmt.Errorf("sandbox: isolation %q: want %s, %s or %s", mode, IsolationAuto, IsolationOn, IsolationOff)
	}
	for _, d := range m.opts.ShareDirs {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() || !filepath.IsAbs(d) {
			return fmt.Errorf("sandbox: shared directory %q: want an existing absolute directory", d)
		}
	}
	for _, d := range m.opts.HideDirs {
		if !filepath.IsAbs(d) {
			return fmt.Errorf("sandbox: hidden directory %q: want an absolute path", d)
		}
	}
	if err := process.IsolationSupported(); err != nil {
		if !errors.Is(err, process.ErrIsolationUnsupported) {
			return fmt.Errorf("sandbox: isolation: %w", err)
		}
		if mode == IsolationAuto {
			m.log.Warn("functions run unisolated: they can read each other's files (--isolation on isolates them rootless)", "reason", err.Error())
			return nil
		}
		if rootlessErr := process.RootlessSupported(); rootlessErr != nil {
			return fmt.Errorf("sandbox: isolation: %w; rootless: %w", err, rootlessErr)
		}
		m.rootless = true
	}
	m.isolated = true
	_, err := os.Stat("/dev/shm")
	m.hasShm = err == nil
	m.hide = outermost(append([]string{m.workDir}, m.opts.HideDirs...))
	return nil
}

// Isolated reports whether function processes are isolated.
func (m *Manager) Isolated() bool { return m.isolated }

// IsolationKind says how function processes are isolated: "users" (as
// root: a user of their own each), "rootless", or "none".
func (m *Manager) IsolationKind() string {
	switch {
	case m.rootless:
		return "rootless"
	case m.isolated:
		return "users"
	}
	return "none"
}

// isolation prepares the isolated view of environment e, whose directory
// is dir, running the code tree lay.task with the runtime directory
// lay.rtDir and the layers lay.opt (at /opt). It records e's uid, which
// teardown gives back.
func (m *Manager) isolation(e *env, dir string, lay layout) (*process.Isolation, error) {
	task, rtDir := lay.task, lay.rtDir
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	iso := &process.Isolation{
		Rootless: m.rootless,
		Tmpfs:    []process.Tmpfs{{Target: "/var", Mode: 0o755, SizeMB: 1}},
		Binds: []process.Bind{
			{Source: tmp, Target: "/tmp"}, // first: shared directories may lie under /tmp
			{Source: task, Target: taskView, ReadOnly: true},
			{Source: rtDir, Target: runtimeView, ReadOnly: true},
		},
		Hide: m.hide,
	}
	if lay.opt != "" {
		iso.Binds = append(iso.Binds, process.Bind{Source: lay.opt, Target: optView, ReadOnly: true})
	}
	if m.hasShm {
		iso.Tmpfs = append(iso.Tmpfs, process.Tmpfs{Target: "/dev/shm", Mode: 0o1777})
	}
	for _, d := range m.opts.ShareDirs {
		iso.Binds = append(iso.Binds, process.Bind{Source: d, Target: d})
	}
	if m.rootless {
		return iso, nil // the environment's user is this process's own
	}
	lease, err := process.LeaseUser()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	e.user = lease
	uid := lease.UID
	if err := os.Chown(tmp, int(uid), int(uid)); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	iso.UID, iso.GID = uid, uid
	return iso, nil
}

// outermost returns dirs without those that lie inside another of them:
// covering a directory hides what is inside it, so one mount is enough.
func outermost(dirs []string) []string {
	var out []string
	for i, d := range dirs {
		d = filepath.Clean(d)
		inside := false
		for j, o := range dirs {
			o = filepath.Clean(o)
			if j != i && (strings.HasPrefix(d, o+string(filepath.Separator)) || (d == o && j < i)) {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, d)
		}
	}
	return out
}

// releaseUser kills every process still running as the environment's
// user (a daemon that left its process group), then gives the uid back.
func (m *Manager) releaseUser(l *process.UserLease) {
	if err := l.Release(); err != nil {
		m.log.Warn("killing an environment's processes; its uid stays out of use", "uid", l.UID, "err", err)
	}
}

// reachableByOthers reports whether a user with neither the owner's uid nor
// group can execute path: every directory above it searchable by others,
// the file executable and readable by others.
func reachableByOthers(path string) bool {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return false
	}
	fi, err := os.Stat(real)
	if err != nil || fi.Mode().Perm()&0o005 != 0o005 {
		return false
	}
	for dir := filepath.Dir(real); ; dir = filepath.Dir(dir) {
		di, err := os.Stat(dir)
		if err != nil || di.Mode().Perm()&0o001 == 0 {
			return false
		}
		if dir == "/" || !strings.Contains(dir, "/") {
			return true
		}
	}
}
