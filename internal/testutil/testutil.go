// Package testutil holds what Reservoir's tests share: building a Go
// function into a deployment package, watching the processes a server
// starts, and killing a writer mid-write to check what survives (kill9.go).
// It is imported by tests only.
package testutil

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// GoBootstrapZip builds the Go main package in dir (CGO disabled, with any
// extra `go build` arguments, e.g. "-tags", "lambda.norpc") and returns a
// zip that holds it as an executable "bootstrap", the form provided.al2023
// functions take.
func GoBootstrapZip(dir string, buildArgs ...string) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "reservoir-bootstrap-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "bootstrap")
	if err := BuildGo(dir, bin, buildArgs...); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	return BootstrapZip(raw)
}

// BuildGo builds the Go main package in dir into out, statically (CGO off).
func BuildGo(dir, out string, buildArgs ...string) error {
	args := append(append([]string{"build"}, buildArgs...), "-o", out, dir)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", dir, err, msg)
	}
	return nil
}

// BootstrapZip zips an executable as "bootstrap", mode 0755.
func BootstrapZip(executable []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(executable); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Children lists the live (not zombie) child processes of pid, each as
// "PID (command)". It reads /proc and fails where there is none.
func Children(pid int) ([]string, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	want := strconv.Itoa(pid)
	var out []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // not a process, or gone
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndex(s, ")")
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == want && f[0] != "Z" {
			out = append(out, s[:i+1])
		}
	}
	return out, nil
}

// SharedDir returns a new directory that every user may write, removed
// when the test ends: for a test and its functions to exchange files. An
// isolated function (running as a user of its own, with a private /tmp)
// sees it only when the server shares it (ShareDirs).
func SharedDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// READMESection returns the text of the module's README.md under the
// heading ("## Features", "### Metrics"), up to the next heading of the
// same or a higher level.
func READMESection(t testing.TB, heading string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	raw, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	start := strings.Index(readme, "\n"+heading+"\n")
	if start < 0 {
		t.Fatalf("README.md has no %q", heading)
	}
	rest := readme[start+len(heading)+2:]
	level := heading[:strings.IndexByte(heading, ' ')+1] // "## "
	for i := 0; i < len(rest); {
		line := rest[i:]
		if j := strings.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
		if strings.HasPrefix(line, "#") {
			hashes := line[:strings.IndexFunc(line, func(r rune) bool { return r != '#' })]
			if len(hashes) <= len(level)-1 && !inCodeBlock(rest[:i]) {
				return rest[:i]
			}
		}
		i += len(line) + 1
	}
	return rest
}

// inCodeBlock reports whether text ends inside a ``` block.
func inCodeBlock(text string) bool { return strings.Count(text, "```")%2 == 1 }

// OperationNames returns the API operation names (CreateFunction,
// ListProvisionedConcurrencyConfigs, Invoke...) that text mentions.
func OperationNames(text string) map[string]bool {
	out := map[string]bool{}
	for _, m := range operationRE.FindAllString(text, -1) {
		out[m] = true
	}
	return out
}

var operationRE = regexp.MustCompile(`\b(?:(?:Create|Get|Update|Delete|List|Put|Publish|Tag|Untag|Invoke|Add|Remove|Attach|Detach|Set)[A-Z][A-Za-z0-9]*|Invoke)\b`)

// CheckREADMERow fails t unless the row of the README section under
// heading whose line starts with rowPrefix names (as op matches them)
// exactly the operations in served: one error per operation served but not
// named and per operation named but not served.
func CheckREADMERow(t testing.TB, heading, rowPrefix string, op *regexp.Regexp, served []string) {
	t.Helper()
	var row string
	for _, line := range strings.Split(READMESection(t, heading), "\n") {
		if strings.HasPrefix(line, rowPrefix) {
			row = line
		}
	}
	if row == "" {
		t.Fatalf("README's %q has no row starting %q", heading, rowPrefix)
	}
	named := map[string]bool{}
	for _, m := range op.FindAllString(row, -1) {
		named[m] = true
	}
	for _, s := range served {
		if !named[s] {
			t.Errorf("README's row %q does not name %s, which is served", rowPrefix, s)
		}
	}
	for n := range named {
		if !slices.Contains(served, n) {
			t.Errorf("README's row %q names %s, which is not served", rowPrefix, n)
		}
	}
}
