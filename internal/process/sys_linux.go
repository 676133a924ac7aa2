package process

import (
	"errors"
	"os/exec"
	"syscall"
	"unsafe"
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
