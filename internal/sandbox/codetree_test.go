package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestCodeTreeRemovedOffTheLock: removing an unused code tree (a recursive
// chmod and RemoveAll) happens outside Manager.codeMu, which every
// environment start takes. While one removal is stuck, a tree of other code
// and a new tree of the same code are both acquired, the latter in a
// directory of its own, whole; the stuck removal then takes only its own.
func TestCodeTreeRemovedOffTheLock(t *testing.T) {
	m := newManager(t, Options{WorkDir: t.TempDir()})
	entered, unblock := make(chan string, 1), make(chan struct{})
	m.removeTree = func(dir string) error {
		select {
		case entered <- dir:
			<-unblock
		default: // only the first removal is held
		}
		return removeReadOnly(dir)
	}
	a := spec("a", "provided.al2023", "bootstrap", zipOf(map[string]zipEntry{"file.txt": {body: "a"}}), nil)
	b := spec("b", "provided.al2023", "bootstrap", zipOf(map[string]zipEntry{"file.txt": {body: "b"}}), nil)
	ctx := context.Background()

	oldDir, release, err := m.acquireCode(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	go func() { release(); close(released) }()
	var removing string
	select {
	case removing = <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the last release did not remove the tree")
	}
	if removing != oldDir {
		t.Fatalf("removing %s, want %s", removing, oldDir)
	}

	acquired := make(chan error, 2)
	var newDir string
	var releases []func()
	var mu sync.Mutex
	for _, s := range []Spec{b, a} {
		go func() {
			dir, rel, err := m.acquireCode(ctx, s)
			if err == nil {
				mu.Lock()
				releases = append(releases, rel)
				if s.FunctionName == "a" {
					newDir = dir
				}
				mu.Unlock()
			}
			acquired <- err
		}()
	}
	for range 2 {
		select {
		case err := <-acquired:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("acquiring a code tree waited for another tree's removal")
		}
	}
	if newDir == oldDir {
		t.Fatalf("the new tree of the same code reuses %s, which is being removed", oldDir)
	}
	close(unblock)
	<-released
	if _, err := os.Stat(oldDir); !os.IsNotExist(err) {
		t.Errorf("the released tree %s is still there: %v", oldDir, err)
	}
	if b, err := os.ReadFile(filepath.Join(newDir, "file.txt")); err != nil || string(b) != "a" {
		t.Errorf("the new tree lost its file after the old one was removed: %q, %v", b, err)
	}
	for _, rel := range releases {
		rel()
	}
}

// TestCodeTreeChurn acquires and releases trees of one package from many
// goroutines: every acquire sees a whole tree, whatever removals run.
func TestCodeTreeChurn(t *testing.T) {
	m := newManager(t, Options{WorkDir: t.TempDir()})
	s := spec("c", "provided.al2023", "bootstrap", zipOf(map[string]zipEntry{"d/file.txt": {body: "c"}}), nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				dir, release, err := m.acquireCode(context.Background(), s)
				if err != nil {
					t.Error(err)
					return
				}
				if b, err := os.ReadFile(filepath.Join(dir, "d", "file.txt")); err != nil || string(b) != "c" {
					t.Errorf("acquired tree %s: %q, %v", dir, b, err)
				}
				release()
			}
		}()
	}
	wg.Wait()
	left, _ := filepath.Glob(filepath.Join(m.workDir, "code-*"))
	if len(left) != 0 {
		t.Errorf("code trees left after every release: %v", left)
	}
}
