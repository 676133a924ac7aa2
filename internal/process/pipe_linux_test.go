package process

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func pipeSizeOf(t *testing.T, f *os.File) int {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var ferr error
	if err := rc.Control(func(fd uintptr) { n, ferr = unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0) }); err != nil {
		t.Fatal(err)
	}
	if ferr != nil {
		t.Fatal(ferr)
	}
	return n
}

// TestGrowPipeBudget: output pipes are grown to pipeSize, at most
// maxGrownPipes at a time, so Reservoir never takes more than its share of
// the user's pipe pages; a released pipe's share goes to the next one.
func TestGrowPipeBudget(t *testing.T) {
	// Pipes of processes other tests left running hold part of the budget.
	base := int(grownPipes.Load())
	var releases []func()
	var files []*os.File
	t.Cleanup(func() {
		for _, r := range releases {
			r()
		}
		for _, f := range files {
			_ = f.Close()
		}
	})
	pipe := func() *os.File {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, r, w)
		return r
	}
	for i := range maxGrownPipes - base {
		r := pipe()
		releases = append(releases, growPipe(r))
		if got := pipeSizeOf(t, r); got != pipeSize {
			t.Fatalf("pipe %d: size %d, want %d", i, got, pipeSize)
		}
	}
	over := pipe()
	releaseOver := growPipe(over)
	if got := pipeSizeOf(t, over); got == pipeSize {
		t.Fatalf("pipe past the budget was grown to %d", got)
	}
	releaseOver() // a pipe that was not grown gives nothing back
	releases[0]()
	releases[0]() // releasing twice gives back once
	next := pipe()
	releases = append(releases, growPipe(next))
	if got := pipeSizeOf(t, next); got != pipeSize {
		t.Fatalf("after a release: size %d, want %d", got, pipeSize)
	}
	again := pipe()
	releases = append(releases, growPipe(again))
	if got := pipeSizeOf(t, again); got == pipeSize {
		t.Fatal("the budget was given back twice")
	}
}
