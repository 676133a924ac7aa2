package process

import (
	"errors"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pidType is P_PID for waitid(2).
const pidType = 1

func sysProcAttr() *syscall.SysProcAttr {
	// Pdeathsig kills the child if this process dies without cleaning up.
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// reapGroup waits for the leader to exit, kills the rest of its group, and
// reaps the leader. The leader is not reaped before the kill (waitid with
// WNOWAIT), so its pid, the group id, cannot have been reused.
func reapGroup(cmd *exec.Cmd, beforeReap func()) error {
	pid := cmd.Process.Pid
	var info [128]byte // siginfo_t
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pidType, uintptr(pid),
			uintptr(unsafe.Pointer(&info[0])), syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		if !errors.Is(errno, syscall.EINTR) {
			break
		}
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	beforeReap()
	return cmd.Wait()
}

// growPipe asks for an output pipe of pipeSize bytes (Linux's default is
// 64 KiB), so that a function printing a burst of output does not wait for
// Reservoir to read the first part before it can write the rest. Linux
// charges pipe pages to their user, and once a user's pipes hold more than
// fs.pipe-user-pages-soft (16,384 pages by default) every new pipe of that
// user gets a single page: so at most b.limit pipes are grown at a time
// (outputPipes: 64 × 64 pages, a quarter of the default), and the others
// keep the default size, as does a pipe whose growth Linux refuses. grown
// says which; release gives the pipe's share back once it is closed (more
// calls do nothing).
func (b *pipeBudget) growPipe(f *os.File) (release func(), grown bool) {
	noop := func() {}
	if b.n.Add(1) > b.limit {
		b.n.Add(-1)
		return noop, false
	}
	if rc, err := f.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) {
			_, err := unix.FcntlInt(fd, unix.F_SETPIPE_SZ, pipeSize)
			grown = err == nil
		})
	}
	if !grown {
		b.n.Add(-1)
		return noop, false
	}
	var once sync.Once
	return func() { once.Do(func() { b.n.Add(-1) }) }, true
}
