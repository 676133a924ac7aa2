package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// A function's layers are merged into one read-only tree per layer set (the
// same digests in the same order), made once and shared like code trees by
// every environment of every function using that set: an environment start
// then costs no unzip, however many layers it has.
//
// An isolated environment sees the tree at /opt, as on Lambda. An
// unisolated one cannot mount: it gets the tree at its own path, and the
// variables through which runtimes find libraries (PATH, LD_LIBRARY_PATH,
// PYTHONPATH, NODE_PATH) name that path where Lambda's name /opt.

// optView is where an isolated environment sees its layers.
const optView = "/opt"

// layerKey identifies a layer set among the trees; it starts with a NUL,
// which no digest (base64) holds.
func layerKey(digests []string) string {
	return "\x00layers\x00" + strings.Join(digests, "\x00")
}

// acquireLayers returns the merged tree of spec's layers ("" when it has
// none) and its release.
func (m *Manager) acquireLayers(ctx context.Context, spec Spec) (string, func(), error) {
	if len(spec.Layers) == 0 {
		return "", func() {}, nil
	}
	return m.acquireTree(ctx, layerKey(spec.Layers), "layers", func(dir string) error {
		err := mergeLayers(ctx, spec, dir)
		if err != nil {
			_ = removeReadOnly(dir)
		}
		return err
	})
}

// mergeLayers extracts each layer into a directory of its own (with the
// checks every package gets), then moves its entries into dir in order: a
// later layer's file or link replaces what an earlier one had at its path.
// Parents are made real directories before their children are placed, so
// nothing is ever written through a link an earlier layer made.
func mergeLayers(ctx context.Context, spec Spec, dir string) error {
	if spec.LayerCode == nil {
		return fmt.Errorf("sandbox: %s has layers and no way to load them", spec.FunctionName)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	for i, digest := range spec.Layers {
		zip, err := spec.LayerCode(ctx, digest)
		if err != nil {
			return fmt.Errorf("sandbox: layer %d of %s: %w", i+1, spec.FunctionName, err)
		}
		part := fmt.Sprintf("%s.part%d", dir, i)
		if err := extract(zip, part); err != nil {
			_ = os.RemoveAll(part)
			return fmt.Errorf("layer %d: %w", i+1, err)
		}
		err = overlay(part, dir)
		if rerr := os.RemoveAll(part); err == nil && rerr != nil {
			err = fmt.Errorf("sandbox: %w", rerr)
		}
		if err != nil {
			return err
		}
	}
	return makeReadOnly(dir)
}

// overlay moves the tree src onto dst, replacing what dst has at each path.
func overlay(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil || rel == "." {
			return err
		}
		target := filepath.Join(dst, rel)
		have, lerr := os.Lstat(target)
		exists := lerr == nil
		if lerr != nil && !errors.Is(lerr, fs.ErrNotExist) {
			return fmt.Errorf("sandbox: %w", lerr)
		}
		if d.IsDir() {
			if exists && have.IsDir() {
				return nil
			}
			if exists {
				if err := os.Remove(target); err != nil {
					return fmt.Errorf("sandbox: %w", err)
				}
			}
			return os.Mkdir(target, 0o755)
		}
		if exists {
			if err := os.RemoveAll(target); err != nil {
				return fmt.Errorf("sandbox: %w", err)
			}
		}
		if d.Type()&fs.ModeSymlink != 0 {
			link, err := os.Readlink(path)
			if err != nil {
				return fmt.Errorf("sandbox: %w", err)
			}
			return os.Symlink(link, target)
		}
		if err := os.Rename(path, target); err != nil {
			return copyFile(path, target)
		}
		return nil
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	return nil
}

// layerVars are the variables through which runtimes find the libraries
// of layers under opt (the path the environment sees them at), with the
// lists Lambda documents ("Layer paths for each Lambda runtime"): PATH
// and LD_LIBRARY_PATH name opt/bin and opt/lib by default; Python looks in
// opt/python and opt/python/lib/python3.X/site-packages; Node.js in
// opt/nodejs/node_modules and opt/nodejs/nodeNN/node_modules.
func layerVars(runtime, opt string) map[string]string {
	family, _ := runtimeFamily(runtime)
	switch family {
	case familyPython:
		return map[string]string{"PYTHONPATH": filepath.Join(opt, "python", "lib", strings.TrimSuffix(runtime, ".x"), "site-packages") +
			":" + filepath.Join(opt, "python")}
	case familyNode:
		major := strings.TrimSuffix(strings.TrimPrefix(runtime, "nodejs"), ".x")
		return map[string]string{"NODE_PATH": filepath.Join(opt, "nodejs", "node"+major, "node_modules") +
			":" + filepath.Join(opt, "nodejs", "node_modules")}
	}
	return nil
}
