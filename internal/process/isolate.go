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
// It needs Linux and CAP_SYS_ADMIN; IsolationSupported tells.
type Isolation struct {
	UID, GID uint32
	Tmpfs    []Tmpfs
	Binds    []Bind
}

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
