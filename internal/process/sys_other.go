//go:build unix && !linux

package process

import (
	"os"
	"os/exec"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// reapGroup reaps the leader, then kills what is left of its group.
func reapGroup(cmd *exec.Cmd, beforeReap func()) error {
	err := cmd.Wait()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	beforeReap()
	return err
}

// growPipe keeps the default pipe size where it cannot be set.
func (*pipeBudget) growPipe(*os.File) (release func(), grown bool) { return func() {}, false }
