package sandbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func layerSpec(zips ...[]byte) Spec {
	byDigest := map[string][]byte{}
	var digests []string
	for i, z := range zips {
		d := string(rune('a' + i))
		byDigest[d] = z
		digests = append(digests, d)
	}
	return Spec{FunctionName: "f", Layers: digests, LayerCode: func(_ context.Context, d string) ([]byte, error) {
		if z, ok := byDigest[d]; ok {
			return z, nil
		}
		return nil, errors.New("no such layer")
	}}
}

// TestMergeLayersOrderAndLinks: later layers replace earlier files, links
// and directories at their paths; a later layer's file under a path an
// earlier layer made a link never goes through the link; the tree is
// read-only.
func TestMergeLayersOrderAndLinks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "merged")
	spec := layerSpec(
		zipOf(map[string]zipEntry{
			"bin/tool":    {body: "first", mode: 0o755},
			"keep.txt":    {body: "kept"},
			"sub/a.txt":   {body: "a"},
			"via":         {body: "sub", symlink: true},
			"file-to-dir": {body: "file"},
		}),
		zipOf(map[string]zipEntry{
			"bin/tool":          {body: "second", mode: 0o755},
			"via/b.txt":         {body: "b"},
			"file-to-dir/c.txt": {body: "c"},
		}),
	)
	if err := mergeLayers(context.Background(), spec, dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = removeReadOnly(dir) })
	read := func(rel string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		return string(b)
	}
	if got := read("bin/tool"); got != "second" {
		t.Errorf("bin/tool = %q, want the second layer's", got)
	}
	if got := read("keep.txt"); got != "kept" {
		t.Errorf("keep.txt = %q", got)
	}
	if got := read("via/b.txt"); got != "b" {
		t.Errorf("via/b.txt = %q", got)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "via")); err != nil || !fi.IsDir() {
		t.Errorf("via should now be a real directory: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sub", "b.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file was written through the first layer's link: %v", err)
	}
	if got := read("file-to-dir/c.txt"); got != "c" {
		t.Errorf("file-to-dir/c.txt = %q", got)
	}
	fi, err := os.Stat(filepath.Join(dir, "bin", "tool"))
	if err != nil || fi.Mode().Perm()&0o222 != 0 || fi.Mode().Perm()&0o100 == 0 {
		t.Errorf("bin/tool mode %v (%v): want executable, read-only", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("the per-layer directories stayed: %v", entries)
	}
}

// TestMergeLayersRefusesBadLayer: a layer that is not a zip fails the merge
// and leaves nothing behind.
func TestMergeLayersRefusesBadLayer(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "merged")
	err := mergeLayers(context.Background(), layerSpec(zipOf(map[string]zipEntry{"a": {body: "a"}}), []byte("not a zip")), dir)
	if !errors.Is(err, ErrInvalidCode) {
		t.Fatalf("error %v, want ErrInvalidCode", err)
	}
	_ = removeReadOnly(dir)
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}
