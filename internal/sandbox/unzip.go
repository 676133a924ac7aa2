package sandbox

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// MaxUnzippedBytes is Lambda's limit on a function's unzipped code (250 MB).
const MaxUnzippedBytes = 262144000

// maxSymlinkTarget bounds the content of a symlink entry.
const maxSymlinkTarget = 4096

// entryName validates a zip entry name and returns it cleaned, relative to
// the code root ("" for the root itself).
func entryName(name string) (string, error) {
	if name == "" || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%w: bad entry name %q", ErrInvalidCode, name)
	}
	if strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) || (len(name) > 1 && name[1] == ':') {
		return "", fmt.Errorf("%w: absolute path %q", ErrInvalidCode, name)
	}
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return "", fmt.Errorf("%w: path traversal in %q", ErrInvalidCode, name)
		}
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", nil
	}
	return clean, nil
}

// linkTarget validates the target of a symlink entry at name. The target
// must be relative, may climb with ".." only at its start and no higher than
// the link's own directory, and never climbs after descending (so that
// "d/../x" cannot leave the root when d is itself a link). With every link
// obeying this, and links never created inside a linked directory, following
// any chain of links stays inside the root.
func linkTarget(name, target string) error {
	if target == "" || strings.ContainsRune(target, 0) || path.IsAbs(target) || strings.Contains(target, `\`) {
		return fmt.Errorf("%w: symlink %q points to %q", ErrInvalidCode, name, target)
	}
	up, descended := 0, false
	for _, part := range strings.Split(target, "/") {
		switch part {
		case "", ".":
		case "..":
			if descended {
				return fmt.Errorf("%w: symlink %q points to %q", ErrInvalidCode, name, target)
			}
			up++
		default:
			descended = true
		}
	}
	depth := 0
	if dir := path.Dir(name); dir != "." {
		depth = strings.Count(dir, "/") + 1
	}
	if up > depth {
		return fmt.Errorf("%w: symlink %q points outside the code root", ErrInvalidCode, name)
	}
	return nil
}

func checkZip(data []byte) (int64, error) {
	r, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrInvalidCode, err)
	}
	var total int64
	for _, f := range r.File {
		name, err := entryName(f.Name)
		if err != nil {
			return 0, err
		}
		if f.Mode()&fs.ModeSymlink != 0 {
			target, err := readLink(f)
			if err != nil {
				return 0, err
			}
			if err := linkTarget(name, target); err != nil {
				return 0, err
			}
			continue
		}
		total += int64(f.UncompressedSize64)
		if f.UncompressedSize64 > MaxUnzippedBytes || total > MaxUnzippedBytes {
			return 0, fmt.Errorf("%w: unzipped size must be smaller than %d bytes", ErrInvalidCode, MaxUnzippedBytes)
		}
	}
	return total, nil
}

func readLink(f *zip.File) (string, error) {
	rc, err := f.Open()
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidCode, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxSymlinkTarget+1))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidCode, err)
	}
	if len(b) > maxSymlinkTarget {
		return "", fmt.Errorf("%w: symlink %q target too long", ErrInvalidCode, f.Name)
	}
	return string(b), nil
}

// extract unpacks a deployment package into dest, which must not exist.
// Names are validated first (no absolute paths, no "..", symlinks pointing
// inside); files and directories are written before any symlink is created,
// files are opened with O_NOFOLLOW, so nothing is ever written through a
// link; at most MaxUnzippedBytes are written, whatever the headers claim.
func extract(data []byte, dest string) error {
	if _, err := checkZip(data); err != nil {
		return err
	}
	r, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidCode, err)
	}
	if err := os.Mkdir(dest, 0o755); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	type link struct{ name, target string }
	var links []link
	budget := int64(MaxUnzippedBytes)
	for _, f := range r.File {
		name, _ := entryName(f.Name)
		if name == "" {
			continue
		}
		target := filepath.Join(dest, filepath.FromSlash(name))
		mode := f.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			t, err := readLink(f)
			if err != nil {
				return err
			}
			links = append(links, link{target, t})
		case mode.IsDir() || strings.HasSuffix(f.Name, "/"):
			if err := os.MkdirAll(target, 0o755); err != nil {
				return fmt.Errorf("%w: %v", ErrInvalidCode, err)
			}
		case mode.IsRegular():
			n, err := writeEntry(f, target, budget)
			if err != nil {
				return err
			}
			budget -= n
		default:
			// devices, pipes and the like are skipped
		}
	}
	for _, l := range links {
		if err := mkdirNoLinks(dest, filepath.Dir(l.name)); err != nil {
			return err
		}
		if err := os.Symlink(l.target, l.name); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidCode, err)
		}
	}
	return nil
}

// writeEntry writes one file, at most budget bytes, and returns its size.
func writeEntry(f *zip.File, target string, budget int64) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrInvalidCode, err)
	}
	perm := f.Mode().Perm()
	if perm == 0 {
		perm = 0o644
	}
	perm |= 0o600
	rc, err := f.Open()
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrInvalidCode, err)
	}
	defer rc.Close()
	w, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, perm)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrInvalidCode, err)
	}
	n, err := io.Copy(w, io.LimitReader(rc, budget+1))
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrFormat) {
			return 0, fmt.Errorf("%w: %v", ErrInvalidCode, err)
		}
		return 0, fmt.Errorf("sandbox: unzip: %w", err)
	}
	if n > budget {
		return 0, fmt.Errorf("%w: unzipped size must be smaller than %d bytes", ErrInvalidCode, MaxUnzippedBytes)
	}
	// OpenFile's mode is filtered by the umask; set it exactly.
	if err := os.Chmod(target, perm); err != nil {
		return 0, fmt.Errorf("sandbox: unzip: %w", err)
	}
	return n, nil
}

// mkdirNoLinks creates dir (inside root) and its parents, failing if any of
// them is a symlink.
func mkdirNoLinks(root, dir string) error {
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("%w: %q outside the code root", ErrInvalidCode, dir)
	}
	cur := root
	if rel == "." {
		return nil
	}
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(cur, 0o755); err != nil {
				return fmt.Errorf("%w: %v", ErrInvalidCode, err)
			}
		case err != nil:
			return fmt.Errorf("sandbox: unzip: %w", err)
		case fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%w: symlink inside the linked directory %q", ErrInvalidCode, rel)
		case !fi.IsDir():
			return fmt.Errorf("%w: %q is not a directory", ErrInvalidCode, rel)
		}
	}
	return nil
}
