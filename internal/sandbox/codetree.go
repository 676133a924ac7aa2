package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// A codeTree is a deployment package unzipped once and shared, read-only, by
// every environment running that code (AWS's /var/task is read-only too).
// Starting an environment then costs a process start, not an unzip: 100
// provisioned environments of one version share one tree.
//
// Each tree has a directory of its own, never reused: the last release
// removes it outside Manager.codeMu, which every environment start takes,
// while a new acquire of the same code extracts a new tree elsewhere.
type codeTree struct {
	once sync.Once
	dir  string
	err  error
	refs int // guarded by Manager.codeMu
}

// acquireCode returns the unzipped tree of spec's code, extracting it on
// first use, and a release to call when the environment is done with it.
func (m *Manager) acquireCode(ctx context.Context, spec Spec) (string, func(), error) {
	return m.acquireTree(ctx, spec.CodeSha256, "code", func(dir string) error { return extractReadOnly(ctx, spec, dir) })
}

// acquireTree returns the tree stored under key, making it with extract on
// first use, and a release to call when the environment is done with it.
// Code trees are keyed by their digest, layer trees by layerKey, which no
// digest can equal.
func (m *Manager) acquireTree(ctx context.Context, key, kind string, extract func(dir string) error) (string, func(), error) {
	m.codeMu.Lock()
	t := m.codes[key]
	if t == nil {
		sum := sha256.Sum256([]byte(key)) // the digest is base64: it may hold '/'
		m.codeTrees++
		name := fmt.Sprintf("%s-%s-%d", kind, hex.EncodeToString(sum[:12]), m.codeTrees)
		t = &codeTree{dir: filepath.Join(m.workDir, name)}
		m.codes[key] = t
	}
	t.refs++
	m.codeMu.Unlock()

	release := func() {
		m.codeMu.Lock()
		t.refs--
		last := t.refs == 0
		if last && m.codes[key] == t {
			delete(m.codes, key)
		}
		m.codeMu.Unlock()
		if !last {
			return
		}
		// Nobody holds t nor can find it: its directory is ours alone.
		if err := m.removeTree(t.dir); err != nil {
			m.log.Warn("removing code directory", "dir", t.dir, "err", err)
		}
	}
	t.once.Do(func() { t.err = extract(t.dir) })
	if t.err != nil {
		release()
		return "", nil, t.err
	}
	return t.dir, release, nil
}

func extractReadOnly(ctx context.Context, spec Spec, dir string) error {
	zip, err := spec.Code(ctx)
	if err != nil {
		return fmt.Errorf("sandbox: code of %s: %w", spec.FunctionName, err)
	}
	if err := extract(zip, dir); err != nil {
		_ = removeReadOnly(dir)
		return err
	}
	return makeReadOnly(dir)
}

// makeReadOnly takes the write bits off a tree: directories keep their
// execute bit, files their own; nobody writes.
func makeReadOnly(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.Chmod(path, info.Mode().Perm()&^0o222)
	})
}

// removeReadOnly removes a tree whose directories were made read-only.
func removeReadOnly(dir string) error {
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(path, 0o755)
		}
		return nil
	})
	return os.RemoveAll(dir)
}
