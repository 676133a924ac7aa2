package process

import "errors"

// Isolation confines a process to its own view of the file system, as its
// own unprivileged user. The process gets a private mount namespace in
// which each Tmpfs is mounted fresh and then each Bind is mounted, in
// order; it runs as UID/GID with no supplementary groups and no way to gain
// privileges (no_new_privs), so it can neither undo those mounts nor reach
// what other users' files and processes hold.
//
// Sources of binds are taken before any mount of the new view is made, so
// a later mount may hide a source without affecting its bind. Targets that
// do not exist in the new view are created there (inside a Tmpfs or a
// bound directory, never on the host's own file system: a target outside
// both is the host's, and must exist already).
//
// Each directory in Hide is covered by an empty, read-only file system
// after the sources are taken and the Tmpfs mounted, before the binds.
//
// It needs Linux and CAP_SYS_ADMIN; IsolationSupported tells. Without
// them, Rootless isolation may still work (RootlessSupported tells): the
// process then runs in namespaces of its own as SandboxUID, which is this
// process's own user outside them, instead of as UID/GID (see
// rootless_linux.go for what that does and does not keep apart).
type Isolation struct {
	UID, GID uint32 `json:",omitempty"`
	Rootless bool   `json:",omitempty"`
	Tmpfs    []Tmpfs
	Binds    []Bind
	Hide     []string `json:",omitempty"`
}

// Isolated processes run as users of their own, taken from this range of
// uids, far above those of real users and of subordinate-id ranges.
const (
	FirstUID  = 900000
	UserCount = 65536
)

// Tmpfs is an empty in-memory file system mounted at Target.
type Tmpfs struct {
	Target string
	Mode   uint32 // permission bits of its root, e.g. 0o755 or 0o1777
	SizeMB int    // 0: 64 MB
}

// Bind makes the directory Source visible at Target.
type Bind struct {
	Source, Target string
	ReadOnly       bool
}

// ErrIsolationUnsupported is wrapped by IsolationSupported's error where
// the system has no way to isolate at all.
var ErrIsolationUnsupported = errors.New("process isolation is not supported on this system")
