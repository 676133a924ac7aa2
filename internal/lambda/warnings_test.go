package lambda_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

// recordLog keeps the records logged through it.
type recordLog struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *recordLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *recordLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}
func (l *recordLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *recordLog) WithGroup(string) slog.Handler      { return l }

// warnings returns the attributes of the warnings about function.
func (l *recordLog) warnings(function string) []map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]string
	for _, r := range l.records {
		attrs := map[string]string{"msg": r.Message}
		r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
		if r.Level == slog.LevelWarn && attrs["function"] == function {
			out = append(out, attrs)
		}
	}
	return out
}

// fakeRuntimes is a machine with python3 3.12 and node 20, nothing else.
type fakeRuntimes struct{}

func (fakeRuntimes) CheckRuntime(rt string) lambda.RuntimeCheck {
	switch {
	case rt == "python3.12", rt == "nodejs20.x", strings.HasPrefix(rt, "provided"):
		return lambda.RuntimeCheck{}
	case strings.HasPrefix(rt, "nodejs"):
		return lambda.RuntimeCheck{Substitute: "/usr/bin/node 20.20.2"}
	case strings.HasPrefix(rt, "python"):
		return lambda.RuntimeCheck{Substitute: "/usr/bin/python3 3.12.1"}
	}
	return lambda.RuntimeCheck{Missing: "no " + rt + " here"}
}

// noUnixMode marks, for zipModes, an entry without Unix modes (made on FAT,
// as Windows tools make them).
const noUnixMode = fs.ModeIrregular

// zipModes makes a package of empty files with the given modes.
func zipModes(t *testing.T, files map[string]fs.FileMode) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, mode := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		switch mode {
		case noUnixMode:
		case 0:
			// As Python's zipfile.writestr writes a ZipInfo it was given:
			// made on Unix, no mode bits at all.
			h.CreatorVersion = 3<<8 | 20
		default:
			h.SetMode(mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if mode&fs.ModeSymlink != 0 {
			_, _ = w.Write([]byte("index.py"))
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestWarningsAtCreateAndUpdate: what Lambda could not run is accepted, as
// AWS accepts it, and logged when the function takes it: files others may
// not read, runtimes this machine cannot run, interpreters of another
// version than the runtime names.
func TestWarningsAtCreateAndUpdate(t *testing.T) {
	log := &recordLog{}
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := lambda.NewService(context.Background(), lambda.Options{Store: st, Executor: &gateExecutor{},
		Logger: slog.New(log), Runtimes: fakeRuntimes{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(); st.Close() })
	ctx := context.Background()
	role := "arn:aws:iam::123456789012:role/r"
	create := func(name, rt string, zip []byte) {
		t.Helper()
		if _, err := svc.CreateFunction(ctx, sc, lambda.FunctionInput{FunctionName: name, Runtime: &rt, Role: &role,
			Handler: new("index.handler"), HasCode: true, ZipFile: zip}); err != nil {
			t.Fatalf("create %s (%s): %v", name, rt, err)
		}
	}
	readable := zipModes(t, map[string]fs.FileMode{"index.py": 0o644})

	create("private", "python3.12", zipModes(t, map[string]fs.FileMode{
		"index.py": 0o600, "lib/zero.py": 0, "ok.py": 0o644, "bin/tool": 0o755, "dos.py": noUnixMode,
		"lib/": fs.ModeDir | 0o700, "link.py": fs.ModeSymlink | 0o777,
	}))
	w := log.warnings("private")
	if len(w) != 1 || w[0]["files"] != "index.py (0600), lib/zero.py (0000)" && w[0]["files"] != "lib/zero.py (0000), index.py (0600)" {
		t.Errorf("warnings about a package with unreadable files: %v", w)
	} else if !strings.Contains(w[0]["why"], "read permission for others") {
		t.Errorf("the warning does not say why: %v", w[0])
	}

	// Changing to readable code warns of nothing; back to unreadable warns.
	if _, err := svc.UpdateFunctionCode(ctx, sc, lambda.FunctionInput{FunctionName: "private", ZipFile: readable, HasCode: true}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateFunctionCode(ctx, sc, lambda.FunctionInput{FunctionName: "private",
		ZipFile: zipModes(t, map[string]fs.FileMode{"index.py": 0o640}), HasCode: true}, false); err != nil {
		t.Fatal(err)
	}
	if w := log.warnings("private"); len(w) != 2 || w[1]["files"] != "index.py (0640)" {
		t.Errorf("warnings after two code updates: %v", w)
	}

	for rt, want := range map[string]string{
		"python3.12": "", "provided.al2023": "", "nodejs20.x": "",
		"java21": "missing", "ruby3.3": "missing", "nodejs24.x": "interpreter", "python3.13": "interpreter",
	} {
		name := "rt-" + strings.ReplaceAll(rt, ".", "-")
		create(name, rt, readable)
		w := log.warnings(name)
		switch {
		case want == "" && len(w) != 0:
			t.Errorf("%s: warnings %v, want none", rt, w)
		case want != "" && (len(w) != 1 || w[0][want] != fakeRuntimes{}.CheckRuntime(rt).Missing+fakeRuntimes{}.CheckRuntime(rt).Substitute || w[0]["runtime"] != rt):
			t.Errorf("%s: warnings %v, want one with %s", rt, w, want)
		}
	}
	// A runtime changed by UpdateFunctionConfiguration is checked too.
	if _, err := svc.UpdateFunctionConfiguration(ctx, sc, lambda.FunctionInput{FunctionName: "rt-python3-12", Runtime: new("java21")}); err != nil {
		t.Fatal(err)
	}
	if w := log.warnings("rt-python3-12"); len(w) != 1 || w[0]["missing"] == "" {
		t.Errorf("after changing to java21: %v", w)
	}

	// A container image gets its own answer, not the one about Runtime.
	_, err = svc.CreateFunction(ctx, sc, lambda.FunctionInput{FunctionName: "image", Role: &role, PackageType: new("Image"),
		HasCode: true, ImageURI: "123456789012.dkr.ecr.us-east-1.amazonaws.com/fn:latest"})
	var de *lambda.Error
	if !errors.As(err, &de) || de.Kind != lambda.KindInvalidParameterValue || !strings.Contains(de.Message, "container images") {
		t.Errorf("create from an image: %v", err)
	}
}
