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

// TestGrowPipeBudget: output pipes are grown to pipeSize, at most the
// budget's limit at a time, so Reservoir never takes more than its share of
// the user's pipe pages; a released pipe's share goes to the next one.
func TestGrowPipeBudget(t *testing.T) {
	var files []*os.File
	t.Cleanup(func() {
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
	// A user already past fs.pipe-user-pages-soft cannot grow any pipe.
	if release, grown := (&pipeBudget{limit: 1}).growPipe(pipe()); !grown {
		t.Skip("this user may not grow pipes here")
	} else {
		release()
	}
	b := &pipeBudget{limit: 3}
	var releases []func()
	for i := range 3 {
		r := pipe()
		release, grown := b.growPipe(r)
		releases = append(releases, release)
		if got := pipeSizeOf(t, r); !grown || got != pipeSize {
			t.Fatalf("pipe %d: grown %v, size %d, want %d", i, grown, got, pipeSize)
		}
	}
	over := pipe()
	releaseOver, grown := b.growPipe(over)
	if got := pipeSizeOf(t, over); grown || got == pipeSize {
		t.Fatalf("pipe past the budget: grown %v, size %d", grown, got)
	}
	releaseOver() // a pipe that was not grown gives nothing back
	releases[0]()
	releases[0]() // releasing twice gives back once
	next := pipe()
	if _, grown := b.growPipe(next); !grown || pipeSizeOf(t, next) != pipeSize {
		t.Fatal("a released share was not given to the next pipe")
	}
	if _, grown := b.growPipe(pipe()); grown {
		t.Fatal("the budget was given back twice")
	}
	if n := b.n.Load(); n != 3 {
		t.Fatalf("%d pipes counted, want 3", n)
	}
}

// TestGrownPipesReleasedWhenClosed: a process's grown pipes give their
// share back once it has exited and its pipes are closed, so finished
// processes never use up the budget.
func TestGrownPipesReleasedWhenClosed(t *testing.T) {
	before := outputPipes.n.Load()
	for range 5 {
		p, err := Start(Config{Path: "/bin/sh", Args: []string{"-c", "echo hi; echo there >&2"}})
		if err != nil {
			t.Fatal(err)
		}
		<-p.Done()
	}
	if after := outputPipes.n.Load(); after > before {
		t.Fatalf("%d pipes counted after 5 processes ended, %d before", after, before)
	}
}
