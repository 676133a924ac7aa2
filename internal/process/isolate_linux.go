package process

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// IsolationSupported reports whether processes can be isolated: it makes a
// private mount namespace on a throwaway thread, as Start does.
func IsolationSupported() error {
	return onIsolatedThread(&Isolation{}, func() error { return nil }, nil)
}

// startIsolated starts cmd confined by iso.
//
// A new mount namespace is made by unshare(2) on a thread of this process
// that is locked to one goroutine and thrown away afterwards (a goroutine
// that exits while locked takes its thread with it, and the Go runtime
// never clones new threads from a locked one). The child forked from that
// thread inherits the namespace and no_new_privs; its credentials are
// changed by the fork itself (SysProcAttr.Credential), which also drops
// every capability.
//
// The thread is kept until exited is closed: the child's parent-death
// signal (SysProcAttr.Pdeathsig) fires when the thread that forked it ends,
// not the process.
func startIsolated(cmd *exec.Cmd, iso *Isolation, exited <-chan struct{}) error {
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: iso.UID, Gid: iso.GID, Groups: []uint32{}}
	return onIsolatedThread(iso, cmd.Start, exited)
}

// onIsolatedThread runs fn on a new thread in iso's view; when fn succeeds
// the thread is kept until hold is closed (nil: not kept).
func onIsolatedThread(iso *Isolation, fn func() error, hold <-chan struct{}) error {
	return onLockedThread(func() error {
		if err := enterView(iso); err != nil {
			return err
		}
		return fn()
	}, hold)
}

// onLockedThread runs fn on a thread of its own, which is thrown away
// afterwards; when fn succeeds the thread is first kept until hold is
// closed (nil: not kept).
func onLockedThread(fn func() error, hold <-chan struct{}) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		err := fn()
		errc <- err
		if err == nil && hold != nil {
			<-hold
		}
	}()
	return <-errc
}

// enterView moves the calling thread into a new mount namespace laid out
// as iso says.
func enterView(iso *Isolation) error {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		if errors.Is(err, unix.EPERM) {
			return fmt.Errorf("%w: a private mount namespace needs CAP_SYS_ADMIN (run as root): %v", ErrIsolationUnsupported, err)
		}
		return fmt.Errorf("%w: unshare: %v", ErrIsolationUnsupported, err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("process: isolate: no_new_privs: %w", err)
	}
	return layoutView(iso)
}

// layoutView lays out iso in the caller's own mount namespace, which must
// be new: the mounts are made private first, so none reaches the host.
func layoutView(iso *Isolation) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("process: isolate: making mounts private: %w", err)
	}
	// Detached copies of every source first: later mounts may hide them.
	trees := make([]int, 0, len(iso.Binds))
	defer func() {
		for _, fd := range trees {
			_ = unix.Close(fd)
		}
	}()
	for _, b := range iso.Binds {
		fd, err := unix.OpenTree(unix.AT_FDCWD, b.Source, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
		if err != nil {
			return fmt.Errorf("process: isolate: %s: %w", b.Source, err)
		}
		trees = append(trees, fd)
	}
	for _, t := range iso.Tmpfs {
		size := t.SizeMB
		if size <= 0 {
			size = 64
		}
		opts := fmt.Sprintf("mode=%o,size=%dm", t.Mode, size)
		if err := unix.Mount("tmpfs", t.Target, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
			return fmt.Errorf("process: isolate: tmpfs on %s: %w", t.Target, err)
		}
	}
	for _, dir := range iso.Hide {
		if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_RDONLY, "mode=0,size=4k"); err != nil {
			return fmt.Errorf("process: isolate: hiding %s: %w", dir, err)
		}
	}
	for i, b := range iso.Binds {
		if err := os.MkdirAll(b.Target, 0o755); err != nil {
			return fmt.Errorf("process: isolate: %w", err)
		}
		if err := unix.MoveMount(trees[i], "", unix.AT_FDCWD, b.Target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
			return fmt.Errorf("process: isolate: bind %s on %s: %w", b.Source, b.Target, err)
		}
		if b.ReadOnly {
			flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV)
			// Keep the flags the source's mount has: in a user namespace
			// they are locked, and a remount without them is refused.
			var st unix.Statfs_t
			if err := unix.Statfs(b.Target, &st); err == nil {
				for _, f := range [][2]uintptr{{unix.ST_NOEXEC, unix.MS_NOEXEC}, {unix.ST_NOATIME, unix.MS_NOATIME},
					{unix.ST_NODIRATIME, unix.MS_NODIRATIME}, {unix.ST_RELATIME, unix.MS_RELATIME}} {
					if uintptr(st.Flags)&f[0] != 0 {
						flags |= f[1]
					}
				}
			}
			if err := unix.Mount("", b.Target, "", flags, ""); err != nil {
				return fmt.Errorf("process: isolate: read-only %s: %w", b.Target, err)
			}
		}
	}
	return nil
}
