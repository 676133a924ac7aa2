package process

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// A UserLease is a uid held for one isolated process tree, by this process
// and against every other process on the machine (other Reservoirs, other
// test binaries): the lease is an flock(2) on a file named after the uid,
// which the kernel drops when its holder dies, however it dies.
type UserLease struct {
	UID uint32
	f   *os.File
}

var (
	leaseDirOnce sync.Once
	leaseDir     string
	leaseDirErr  error
)

// userLeaseDir is where the lock files are: in /run (a tmpfs, emptied at
// boot) where it exists, else in the temporary directory.
func userLeaseDir() (string, error) {
	leaseDirOnce.Do(func() {
		for _, base := range []string{"/run", os.TempDir()} {
			dir := filepath.Join(base, "reservoir-uids")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				leaseDirErr = err
				continue
			}
			leaseDir, leaseDirErr = dir, nil
			return
		}
	})
	return leaseDir, leaseDirErr
}

// LeaseUser takes a uid that no other holder has, starting at a random
// place in the range, and kills whatever still runs as it (left by a
// holder that died before it could).
func LeaseUser() (*UserLease, error) {
	dir, err := userLeaseDir()
	if err != nil {
		return nil, fmt.Errorf("process: uid leases: %w", err)
	}
	start := rand.IntN(UserCount)
	for i := range UserCount {
		uid := uint32(FirstUID + (start+i)%UserCount)
		f, err := os.OpenFile(filepath.Join(dir, strconv.FormatUint(uint64(uid), 10)), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("process: uid lease: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			_ = f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				continue
			}
			return nil, fmt.Errorf("process: uid lease: %w", err)
		}
		if err := KillUser(uid); err != nil {
			keepHeld(f) // something of uid's may still run: nobody gets the uid
			continue
		}
		return &UserLease{UID: uid, f: f}, nil
	}
	return nil, fmt.Errorf("process: all %d uids for isolated processes are in use", UserCount)
}

// Release kills every process still running as the lease's uid (a daemon
// that left its process group, say), then gives the uid back. If they
// cannot all be killed, the uid stays held, and the error says why.
func (l *UserLease) Release() error {
	if err := KillUser(l.UID); err != nil {
		keepHeld(l.f)
		return err
	}
	return l.f.Close() // drops the lock
}

// held keeps the lock files of uids that must not be reused referenced for
// the life of the process (an unreferenced os.File is closed when it is
// garbage collected, which would drop its lock).
var held struct {
	sync.Mutex
	files []*os.File
}

func keepHeld(f *os.File) {
	held.Lock()
	held.files = append(held.files, f)
	held.Unlock()
}

// KillUser sends SIGKILL to every process running as uid (whose real or
// saved uid is uid). It does so as that user, on a throwaway thread, with
// kill(2) of pid -1: the kernel signals, in one pass under its task list
// lock, exactly the processes that user may signal, wherever they are; a
// fork racing the pass fails, as its parent has a fatal signal pending. So
// once KillUser returns, no process of uid runs user code again (some may
// still be exiting).
func KillUser(uid uint32) error {
	if uid == 0 {
		return errors.New("process: KillUser of root")
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		// The raw syscall changes this thread only (syscall.Setresuid would
		// change every thread of the process).
		if _, _, errno := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(uid), uintptr(uid), uintptr(uid)); errno != 0 {
			errc <- fmt.Errorf("process: setresuid %d: %w", uid, errno)
			return
		}
		// kill(-1) answers 0 whenever any other process exists, even one
		// it may not signal, and ESRCH when none does: neither says more.
		if err := unix.Kill(-1, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
			errc <- fmt.Errorf("process: kill as %d: %w", uid, err)
			return
		}
		errc <- nil
	}()
	return <-errc
}

// Owns reports whether the other end of c, a loopback TCP connection, is
// a socket of the lease's user.
func (l *UserLease) Owns(c net.Conn) bool {
	uid, err := PeerUID(c)
	return err == nil && uid == l.UID
}

// PeerUID returns the uid that owns the other end of c, a TCP connection
// over IPv4 accepted on this machine: the uid of the process that created
// the connecting socket, as the kernel's socket diagnostics report it.
//
// The request is sock_diag's exact lookup of one socket by its addresses,
// sent with the netlink library's transport: 27 µs here, where the
// library's own SocketGet asks for a filtered dump of the whole table
// (0.35 ms) and /proc/net/tcp formats all of it (5.9 ms).
func PeerUID(c net.Conn) (uint32, error) {
	// The peer's socket: its local address is our remote one.
	local, ok1 := c.RemoteAddr().(*net.TCPAddr)
	remote, ok2 := c.LocalAddr().(*net.TCPAddr)
	if !ok1 || !ok2 || local.IP.To4() == nil || remote.IP.To4() == nil {
		return 0, fmt.Errorf("process: owner of %v → %v: not TCP over IPv4", c.RemoteAddr(), c.LocalAddr())
	}
	var r diagRequest
	r[0], r[1] = unix.AF_INET, unix.IPPROTO_TCP
	binary.NativeEndian.PutUint32(r[4:], 0xffffffff) // every state
	binary.BigEndian.PutUint16(r[8:], uint16(local.Port))
	binary.BigEndian.PutUint16(r[10:], uint16(remote.Port))
	copy(r[12:16], local.IP.To4())
	copy(r[28:32], remote.IP.To4())
	binary.NativeEndian.PutUint32(r[48:], nl.TCPDIAG_NOCOOKIE)
	binary.NativeEndian.PutUint32(r[52:], nl.TCPDIAG_NOCOOKIE)
	req := nl.NewNetlinkRequest(nl.SOCK_DIAG_BY_FAMILY, 0)
	req.AddData(&r)
	msgs, err := req.Execute(unix.NETLINK_INET_DIAG, nl.SOCK_DIAG_BY_FAMILY)
	if err != nil {
		return 0, fmt.Errorf("process: owner of %v → %v: %w", local, remote, err)
	}
	// struct inet_diag_msg: family, state, timer, retrans (1 byte each),
	// the 48-byte socket id, then expires, rqueue, wqueue, uid (4 each).
	const uidAt = 4 + 48 + 12
	if len(msgs) != 1 || len(msgs[0]) < uidAt+4 {
		return 0, fmt.Errorf("process: owner of %v → %v: unexpected sock_diag answer", local, remote)
	}
	return binary.NativeEndian.Uint32(msgs[0][uidAt:]), nil
}

// diagRequest is struct inet_diag_req_v2: family, protocol, ext, pad (1
// byte each), the states wanted (4), then struct inet_diag_sockid: source
// and destination ports (big-endian, 2 each), source and destination
// addresses (16 each; an IPv4 address in the first 4), interface (4) and
// cookie (2×4).
type diagRequest [56]byte

func (r *diagRequest) Len() int          { return len(r) }
func (r *diagRequest) Serialize() []byte { return r[:] }
