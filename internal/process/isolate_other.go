//go:build !linux

package process

import (
	"fmt"
	"net"
	"os/exec"
	"runtime"
)

// IsolationSupported reports whether processes can be isolated: only on Linux.
func IsolationSupported() error {
	return fmt.Errorf("%w: it needs Linux, not %s", ErrIsolationUnsupported, runtime.GOOS)
}

func startIsolated(*exec.Cmd, *Isolation, <-chan struct{}) error { return IsolationSupported() }

// RootlessSupported reports whether rootless isolation works: only on Linux.
func RootlessSupported() error { return IsolationSupported() }

func startRootless(*exec.Cmd, *Isolation, <-chan struct{}) error { return IsolationSupported() }

// SandboxUID is the user rootless isolated processes run as, on Linux.
const SandboxUID = 993

// UserLease is only on Linux.
type UserLease struct{ UID uint32 }

// LeaseUser is only on Linux.
func LeaseUser() (*UserLease, error) { return nil, IsolationSupported() }

// Release is only on Linux.
func (*UserLease) Release() error { return IsolationSupported() }

// Owns is only on Linux.
func (*UserLease) Owns(net.Conn) bool { return false }

// KillUser is only on Linux.
func KillUser(uint32) error { return IsolationSupported() }

// PeerUID is only on Linux.
func PeerUID(net.Conn) (uint32, error) { return 0, IsolationSupported() }
