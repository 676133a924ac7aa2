// Package process supervises one OS process: it starts a command in its own
// process group with an explicit environment (nothing is inherited from the
// host), hands its output to callbacks line by line, and stops it with SIGTERM
// to the whole group, a grace period, then SIGKILL.
//
// When the leader exits for any reason the rest of its group is killed too, so
// a process and everything it spawned live and die together, like an
// execution environment. Done is closed only after the process has been
// reaped and every line of its output has been delivered.
package process

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultGrace is the time Stop waits between SIGTERM and SIGKILL when
// Config.Grace is zero.
const DefaultGrace = 2 * time.Second

// maxLine is the longest line handed to a callback; longer lines are split.
const maxLine = 256 << 10

// pipeSize is the size asked for an output pipe; readSize is how much one
// read takes from a pipe of that size, defaultReadSize from any other (a
// default pipe holds 64 KiB).
const (
	pipeSize        = 256 << 10
	readSize        = 128 << 10
	defaultReadSize = 32 << 10
)

// pipeBudget bounds how many output pipes are grown at a time (growPipe).
type pipeBudget struct {
	limit int32
	n     atomic.Int32 // grown and not yet released
}

// outputPipes is the budget of every process's stdout and stderr.
var outputPipes = &pipeBudget{limit: 64}

// outputLinger bounds how long the output readers may outlive the process:
// a descendant that escaped the process group could keep the pipes open.
const outputLinger = 2 * time.Second

// Config describes the command to run.
type Config struct {
	Path string   // the executable; an absolute path is best (PATH of Env is not searched)
	Args []string // arguments after the program name
	Env  []string // the complete environment, "KEY=value"; nothing is inherited
	Dir  string   // working directory

	// Stdout and Stderr receive the lines the process writes, without their
	// line endings: each call brings the complete lines of one read of the
	// pipe, in order (one call per line would cost a call, and a string, per
	// line of a function printing thousands). The slice is reused once the
	// call returns; the strings are not. A stream's calls never overlap:
	// they come from its reader's goroutine, or from Drain's caller, and
	// never after Done is closed. Nil discards the stream.
	Stdout, Stderr func(lines []string)

	// Records, if set, gives the process a third output, file descriptor
	// RecordsFD, on which it writes records framed as Lambda's runtimes write
	// them to _LAMBDA_TELEMETRY_LOG_FD (see Record), so that a record may span
	// several lines. Its calls never overlap (as Stdout's) and never come
	// after Done is closed. Bytes that are not a frame are delivered as lines to Records,
	// with Type 0, as is everything after them.
	Records func(Record)

	// Grace is the time between SIGTERM and SIGKILL in Stop (DefaultGrace if zero).
	Grace time.Duration

	// Isolation, if set, confines the process (see Isolation). Path and Dir
	// are then resolved in its view.
	Isolation *Isolation
}

// RecordsFD is the file descriptor of Config.Records in the process.
const RecordsFD = 3

// Record is one framed record: a 4-byte type whose high half is 0xa55a, a
// 4-byte length, an 8-byte UNIX time in microseconds, then the message; all
// big-endian.
type Record struct {
	Type uint32
	Time time.Time // zero for a line that was not framed
	Text string
}

// Frame layout.
const (
	frameHeader = 16
	frameMagic  = 0xa55a
	// maxFrame bounds a frame's message; a longer one is taken as garbage.
	maxFrame = 1 << 20
)

// Process is a started command. All methods are safe for concurrent use.
type Process struct {
	cmd   *exec.Cmd
	pid   int
	grace time.Duration
	out   []*outReader

	// reaped is set once the leader is about to be reaped: its pid may be
	// reused after that, so no signal may be sent to the group any more.
	reaped atomic.Bool

	done chan struct{}
	err  error // the exit error (nil for status 0), written before done is closed
}

// Start starts the command described by cfg in a new process group.
//
// An executable written by this process just before may fail to start with
// ETXTBSY while another goroutine's fork still holds its write descriptor
// (golang/go#22315); Start retries that for a short while.
func Start(cfg Config) (*Process, error) {
	for attempt := 1; ; attempt++ {
		p, err := start(cfg)
		if errors.Is(err, syscall.ETXTBSY) && attempt < 20 {
			time.Sleep(time.Duration(attempt) * 5 * time.Millisecond)
			continue
		}
		return p, err
	}
}

func start(cfg Config) (*Process, error) {
	if cfg.Path == "" {
		return nil, errors.New("process: no path")
	}
	cmd := exec.Command(cfg.Path, cfg.Args...)
	cmd.Env = cfg.Env
	if cmd.Env == nil {
		cmd.Env = []string{} // nil would mean "inherit"
	}
	cmd.Dir = cfg.Dir
	cmd.SysProcAttr = sysProcAttr()

	var readers []*outReader
	var childEnds []*os.File
	closeAll := func() {
		for _, f := range childEnds {
			_ = f.Close()
		}
		for _, r := range readers {
			_ = r.f.Close()
			if r.release != nil {
				r.release()
			}
		}
	}
	for _, stream := range []struct {
		set  func(*os.File)
		sink func([]string)
	}{
		{func(f *os.File) { cmd.Stdout = f }, cfg.Stdout},
		{func(f *os.File) { cmd.Stderr = f }, cfg.Stderr},
	} {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("process: pipe: %w", err)
		}
		release, grown := outputPipes.growPipe(r)
		stream.set(w)
		childEnds = append(childEnds, w)
		size := defaultReadSize
		if grown {
			size = readSize
		}
		lr := newLineReader(r, stream.sink, size)
		lr.release = release
		readers = append(readers, lr)
	}
	if cfg.Records != nil {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("process: pipe: %w", err)
		}
		cmd.ExtraFiles = append(cmd.ExtraFiles, w) // RecordsFD: the first extra file
		childEnds = append(childEnds, w)
		readers = append(readers, newRecordReader(r, cfg.Records, defaultReadSize))
	}

	var err error
	done := make(chan struct{})
	switch {
	case cfg.Isolation != nil && cfg.Isolation.Rootless:
		err = startRootless(cmd, cfg.Isolation, done)
	case cfg.Isolation != nil:
		err = startIsolated(cmd, cfg.Isolation, done)
	default:
		err = cmd.Start()
	}
	if err != nil {
		closeAll()
		return nil, err
	}
	for _, f := range childEnds {
		_ = f.Close() // the child holds its own copies
	}

	grace := cfg.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	p := &Process{cmd: cmd, pid: cmd.Process.Pid, grace: grace, out: readers, done: done}
	var wg sync.WaitGroup
	for _, r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.run()
		}()
	}
	go p.wait(&wg)
	return p, nil
}

// wait reaps the process, kills what is left of its group, and waits for the
// output to be delivered before closing done.
func (p *Process) wait(readers *sync.WaitGroup) {
	err := reapGroup(p.cmd, func() { p.reaped.Store(true) })

	flushed := make(chan struct{})
	go func() {
		readers.Wait()
		close(flushed)
	}()
	t := time.NewTimer(outputLinger)
	select {
	case <-flushed:
	case <-t.C:
		// Someone outside the group still holds the pipes: stop reading.
		for _, r := range p.out {
			_ = r.f.Close()
		}
		<-flushed
	}
	t.Stop()
	for _, r := range p.out {
		_ = r.f.Close()
		if r.release != nil {
			r.release() // its pages go once the writers' ends are closed too
		}
	}
	p.err = err
	close(p.done)
}

// Pid is the process id, which is also its process group id.
func (p *Process) Pid() int { return p.pid }

// Done is closed when the process has exited, been reaped, and all of its
// output has been delivered.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether Done is closed.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Err is the exit error once Done is closed: nil for a zero exit status,
// otherwise an *exec.ExitError ("exit status 1", "signal: killed"). Before
// Done it returns nil.
func (p *Process) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Wait blocks until the process is done or ctx ends, and returns Err or ctx's error.
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Signal sends sig to the whole process group.
func (p *Process) Signal(sig syscall.Signal) error {
	if p.reaped.Load() {
		return nil
	}
	err := syscall.Kill(-p.pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// Kill sends SIGKILL to the group and waits until the process is done.
func (p *Process) Kill() {
	_ = p.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop sends SIGTERM to the group, waits up to the grace period (or until ctx
// ends), then sends SIGKILL, and returns once the process is done. Stopping
// a process that has already exited does nothing. It returns nil once the
// process is gone; how the process exited is reported by Err.
func (p *Process) Stop(ctx context.Context) error {
	if p.Exited() {
		return nil
	}
	_ = p.Signal(syscall.SIGTERM)
	t := time.NewTimer(p.grace)
	defer t.Stop()
	select {
	case <-p.done:
		return nil
	case <-t.C:
	case <-ctx.Done():
	}
	p.Kill()
	return nil
}

// Drain delivers everything the process wrote before the call that has
// not been delivered yet (complete lines; a trailing partial line waits for
// its end), on the caller's goroutine, so that a caller can attribute output
// to the interval it just observed and put what it logs next after it. When
// the readers have already delivered everything, it costs one read per
// output that finds its pipe empty. It waits only for a delivery in progress
// on a reader's goroutine, or until ctx ends; once ctx has ended, it still
// drains the outputs whose reader is free, and returns ctx's error.
func (p *Process) Drain(ctx context.Context) error {
	var err error
	for _, r := range p.out {
		select {
		case r.lock <- struct{}{}:
		case <-ctx.Done():
			err = ctx.Err()
			select { // a reader held up (its sink waiting) delays no other
			case r.lock <- struct{}{}:
			default:
				continue
			}
		}
		r.readWritten()
		<-r.lock
	}
	return err
}

// PeakRSS returns the peak resident set size of the leader process in bytes
// (VmHWM), or false when it cannot be read (for example after exit).
func (p *Process) PeakRSS() (int64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return 0, false
		}
		return kb << 10, true
	}
	return 0, false
}

// outReader reads one output pipe and hands what it reads to consume. Its
// goroutine (run) reads when the pipe has data; Drain reads what is left on
// the caller's goroutine.
type outReader struct {
	f *os.File
	// consume takes everything read and not yet used, delivers the complete
	// lines or records in it (copying out what it delivers before it
	// returns), and returns the rest: a subslice of what it was given.
	// deliver appends the next read to a rest held in pending, and copies
	// once the rest of a read it had consumed in place (nothing was
	// pending), so an overlong line costs a copy of each read, not of all
	// of it at every read.
	consume func(pending []byte) []byte
	// finish delivers what is left when the stream ends.
	finish func(pending []byte)
	// release, if set, runs once the pipe is closed (growPipe's).
	release func()

	// lock is held from a read of the pipe to the delivery of what it
	// read, so whoever takes it finds every byte that left the pipe
	// delivered: Drain needs only empty the pipe. A channel, so that Drain
	// can stop waiting for it.
	lock chan struct{}
	// Guarded by lock.
	buf      []byte
	pending  []byte
	finished bool // the stream ended: nothing more will be read
}

// newOutReader reads f bufSize bytes at a time.
func newOutReader(f *os.File, bufSize int, consume func([]byte) []byte, finish func([]byte)) *outReader {
	return &outReader{f: f, consume: consume, finish: finish, lock: make(chan struct{}, 1), buf: make([]byte, bufSize)}
}

// newLineReader splits a stream into lines (without their "\n" or "\r\n")
// and hands the complete lines of each read to sink at once.
func newLineReader(f *os.File, sink func([]string), bufSize int) *outReader {
	var batch []string
	consume := func(p []byte) []byte {
		if sink == nil {
			return dropLines(p)
		}
		var rest []byte
		batch, rest = splitLines(p, batch[:0])
		if len(batch) > 0 {
			sink(batch)
		}
		return rest
	}
	return newOutReader(f, bufSize, consume, func(p []byte) {
		if len(p) > 0 && sink != nil {
			sink([]string{string(bytes.TrimSuffix(p, []byte("\r")))})
		}
	})
}

// splitLines appends the complete lines of p to dst (one over maxLine bytes
// in pieces of maxLine), then lines of maxLine bytes from an overlong rest,
// and returns them and the rest of p. The
// complete lines share one string: one copy and one allocation per read,
// whatever the number of lines.
func splitLines(p []byte, dst []string) ([]string, []byte) {
	if end := bytes.LastIndexByte(p, '\n'); end >= 0 {
		s := string(p[:end+1])
		p = p[end+1:]
		for len(s) > 0 {
			i := strings.IndexByte(s, '\n')
			line := strings.TrimSuffix(s[:i], "\r")
			// A line whose start was kept from earlier reads, just under
			// maxLine, can end a read later well over it.
			for len(line) > maxLine {
				dst = append(dst, line[:maxLine])
				line = line[maxLine:]
			}
			dst = append(dst, line)
			s = s[i+1:]
		}
	}
	for len(p) >= maxLine {
		dst = append(dst, strings.TrimSuffix(string(p[:maxLine]), "\r"))
		p = p[maxLine:]
	}
	return dst, p
}

// dropLines is splitLines for a stream nobody reads: the rest of p it
// would keep.
func dropLines(p []byte) []byte {
	if end := bytes.LastIndexByte(p, '\n'); end >= 0 {
		p = p[end+1:]
	}
	return p[len(p)-len(p)%maxLine:]
}

// newRecordReader decodes a stream of frames (see Record). Once it meets
// bytes that are not a frame, it reads the rest of the stream as lines.
func newRecordReader(f *os.File, sink func(Record), bufSize int) *outReader {
	lines := false
	emitLine := func(line []byte) {
		sink(Record{Text: string(bytes.TrimSuffix(line, []byte("\r")))})
	}
	consume := func(p []byte) []byte {
		for !lines && len(p) >= frameHeader {
			typ := binary.BigEndian.Uint32(p)
			n := binary.BigEndian.Uint32(p[4:])
			if typ>>16 != frameMagic || n > maxFrame {
				lines = true
				break
			}
			if len(p) < frameHeader+int(n) {
				return p
			}
			us := int64(binary.BigEndian.Uint64(p[8:]))
			sink(Record{Type: typ, Time: time.UnixMicro(us), Text: string(p[frameHeader : frameHeader+int(n)])})
			p = p[frameHeader+int(n):]
		}
		if lines {
			var texts []string
			texts, p = splitLines(p, nil)
			for _, t := range texts {
				sink(Record{Text: t})
			}
			return p
		}
		return p
	}
	return newOutReader(f, bufSize, consume, func(p []byte) {
		if len(p) > 0 {
			emitLine(p) // a truncated frame or a last line
		}
	})
}

// run reads the pipe whenever it has data, until it ends or is closed.
func (r *outReader) run() {
	rc, err := r.f.SyscallConn()
	for err == nil {
		ended := false
		err = rc.Read(func(fd uintptr) bool {
			r.lock <- struct{}{}
			defer func() { <-r.lock }()
			n, err := readFD(fd, r.buf)
			switch {
			case n > 0:
				r.deliver(r.buf[:n])
			case errors.Is(err, syscall.EAGAIN): // Drain took it first
				return false // wait for more
			default: // end of stream, or an error reading
				ended = true
			}
			return true
		})
		if ended {
			break
		}
	}
	// The end of the stream, or closed by wait.
	r.lock <- struct{}{}
	r.finish(r.pending)
	r.pending, r.finished = nil, true
	<-r.lock
}

// readWritten reads and delivers what the pipe holds, without waiting; the
// caller holds lock. It reads at most pipeSize bytes, no pipe here being
// larger: what was in the pipe when it began, and not what a process
// writing without pause adds behind it.
func (r *outReader) readWritten() {
	if r.finished {
		return
	}
	rc, err := r.f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		for total := 0; total < pipeSize; {
			n, _ := readFD(fd, r.buf)
			if n <= 0 { // empty (EAGAIN), ended or failed: run sees the last two
				return
			}
			r.deliver(r.buf[:n])
			total += n
		}
	})
}

// deliver hands data, read into buf, to consume after what is pending; the
// caller holds lock.
func (r *outReader) deliver(data []byte) {
	if len(r.pending) > 0 {
		r.pending = r.consume(append(r.pending, data...))
		return
	}
	// Nothing left over: consume the read where it is, and keep a copy of
	// what it leaves, since buf is read into again.
	r.pending = append(r.pending[:0], r.consume(data)...)
}

// readFD is read(2), retried when interrupted.
func readFD(fd uintptr, buf []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), buf)
		if err != syscall.EINTR {
			return n, err
		}
	}
}
