package lambdaapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// bigPackage is a stored (uncompressed) zip of size random bytes, and its
// digest as Lambda reports it.
func bigPackage(t *testing.T, size int) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "blob", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(w, rand.Reader, int64(size)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), base64.StdEncoding.EncodeToString(sum[:])
}

// storedDigests opens the store of a stopped server and lists its packages.
func storedDigests(t *testing.T, dataDir string) []string {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(dataDir, "reservoir.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := st.CodeDigests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(d)
	return d
}

// storeHighWater returns how much of the store file bbolt has ever
// allocated: its highest page, times the page size.
func storeHighWater(t *testing.T, path string) int64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var size int64
	if err := db.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil }); err != nil {
		t.Fatal(err)
	}
	return size
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func createWith(t *testing.T, c *awslambda.Client, name string, zip []byte) string {
	t.Helper()
	out, err := c.CreateFunction(context.Background(), &awslambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.RuntimePython312, Handler: aws.String("handler.handler"),
		Role: aws.String(callerRole(t, c)), Code: &types.FunctionCode{ZipFile: zip},
	})
	if err != nil {
		t.Fatalf("CreateFunction %s: %v", name, err)
	}
	return aws.ToString(out.CodeSha256)
}

// packageSize is the size of the packages TestSDKReplacedCodeIsCollected
// uploads: 1 MB, or 128 KB under -race, whose shadowing of bbolt's copies of
// megabyte values into its memory map makes each update take most of a
// second (what is raced is the same at either size).
func packageSize() int {
	if raceEnabled {
		return 128 << 10
	}
	return 1 << 20
}

// maxDBAfterUpdates bounds the store file after 40 updates of a package of
// size n: 8n. With the replaced packages collected, at most two packages are
// live at a time (the one serving and the one being stored), and bbolt
// reuses the pages a delete frees once the transactions that could still
// read them are over, so about 3n of pages are ever in use. While under its
// 16 MB allocation step, bbolt sizes the file to its memory map, the power of
// two above that: 4n, as measured; the bound allows one doubling more. The
// 40 packages kept, as before, took 40n: a 64 MB file for 1 MB packages.
func maxDBAfterUpdates(n int) int64 { return 8 * int64(n) }

// TestSDKReplacedCodeIsCollected: forty UpdateFunctionCode calls with
// distinct 1 MB packages (128 KB under -race) leave only the package $LATEST
// uses, in a store file of bounded size; UpdateFunctionCode calls refused for
// a stale RevisionId leave no package behind.
func TestSDKReplacedCodeIsCollected(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", DataDir: dir})
	c := sdkClient(t, srv)
	size := packageSize()
	first, _ := bigPackage(t, size)
	createWith(t, c, "big", first)
	var last string
	for i := range 40 {
		zip, digest := bigPackage(t, size)
		out, err := c.UpdateFunctionCode(ctx, &awslambda.UpdateFunctionCodeInput{FunctionName: aws.String("big"), ZipFile: zip})
		if err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		if aws.ToString(out.CodeSha256) != digest {
			t.Fatalf("update %d answered CodeSha256 %s, want %s", i, aws.ToString(out.CodeSha256), digest)
		}
		last = digest
	}
	for range 3 {
		zip, _ := bigPackage(t, 1<<10)
		_, err := c.UpdateFunctionCode(ctx, &awslambda.UpdateFunctionCodeInput{FunctionName: aws.String("big"), ZipFile: zip,
			RevisionId: aws.String("00000000-0000-0000-0000-000000000000")})
		var pf *types.PreconditionFailedException
		if !errors.As(err, &pf) {
			t.Fatalf("update with a stale RevisionId: %v, want PreconditionFailedException", err)
		}
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if got := storedDigests(t, dir); !slices.Equal(got, []string{last}) {
		t.Errorf("stored packages %v, want only $LATEST's %s", got, last)
	}
	// The file's high-water mark, not its length: bbolt grows the file in
	// 16 MiB steps ahead of use once its map is larger than that (the store
	// maps 1 GiB from the start), so the length says nothing of reuse.
	used := storeHighWater(t, filepath.Join(dir, "reservoir.db"))
	t.Logf("store in use after 40 updates of %d bytes: %d bytes", size, used)
	if max := maxDBAfterUpdates(size); used > max {
		t.Errorf("store uses %d bytes after 40 updates of a %d-byte package, want at most %d: replaced packages are kept", used, size, max)
	}
}

// TestSDKSharedCodeSurvives: a package is shared by every function and
// version that uses it, in any account: deleting or updating one of them
// keeps it for the others, and it goes with the last.
func TestSDKSharedCodeSurvives(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", DataDir: dir})
	c := sdkClient(t, srv)
	other := awslambda.NewFromConfig(srv.AWSConfigFor("210987654321", "us-east-1"))
	shared := zipOf(t, map[string]string{"handler.py": "def handler(e, c):\n    return 'shared'\n"})
	own := zipOf(t, map[string]string{"handler.py": "def handler(e, c):\n    return 'own'\n"})
	p := createWith(t, c, "one", shared)
	createWith(t, c, "two", shared)
	createWith(t, other, "three", shared)
	if _, err := c.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: aws.String("one")}); err != nil {
		t.Fatal(err)
	}
	download := func(client *awslambda.Client, name, qualifier string) int {
		t.Helper()
		in := &awslambda.GetFunctionInput{FunctionName: aws.String(name)}
		if qualifier != "" {
			in.Qualifier = aws.String(qualifier)
		}
		fn, err := client.GetFunction(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(aws.ToString(fn.Code.Location))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if _, err := c.UpdateFunctionCode(ctx, &awslambda.UpdateFunctionCodeInput{FunctionName: aws.String("one"), ZipFile: own}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: aws.String("two")}); err != nil {
		t.Fatal(err)
	}
	if code := download(other, "three", ""); code != 200 {
		t.Errorf("the other account's function lost the shared package: %d", code)
	}
	if code := download(c, "one", "1"); code != 200 {
		t.Errorf("version 1 lost the shared package: %d", code)
	}
	if _, err := other.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: aws.String("three")}); err != nil {
		t.Fatal(err)
	}
	if code := download(c, "one", "1"); code != 200 {
		t.Errorf("version 1 lost the shared package when the last other function went: %d", code)
	}
	if _, err := c.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: aws.String("one"), Qualifier: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(own)
	if got, want := storedDigests(t, dir), sorted(base64.StdEncoding.EncodeToString(sum[:])); !slices.Equal(got, want) {
		t.Errorf("stored packages %v, want only one's own %v (the shared %s went with its last user)", got, want, p)
	}
}

// logRecords keeps the log records a server writes.
type logRecords struct {
	mu   *sync.Mutex
	recs *[]slog.Record
}

func (l logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l logRecords) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	*l.recs = append(*l.recs, r.Clone())
	l.mu.Unlock()
	return nil
}
func (l logRecords) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l logRecords) WithGroup(string) slog.Handler      { return l }

// TestSDKUnreferencedCodeSweptAtStart: a package an earlier run left in the
// store without a function (a crash between storing it and writing the
// function) is deleted, and logged, when the server starts again; the
// packages functions use stay.
func TestSDKUnreferencedCodeSweptAtStart(t *testing.T) {
	dir := t.TempDir()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", DataDir: dir})
	kept := createWith(t, sdkClient(t, srv), "kept", zipOf(t, echoZip))
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	orphan, digest := bigPackage(t, 1<<10)
	st, err := boltstore.Open(filepath.Join(dir, "reservoir.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutCode(context.Background(), digest, orphan); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var recs []slog.Record
	srv = reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", DataDir: dir,
		Logger: slog.New(logRecords{mu: &mu, recs: &recs})})
	if _, err := sdkClient(t, srv).GetFunction(context.Background(), &awslambda.GetFunctionInput{FunctionName: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if got := storedDigests(t, dir); !slices.Equal(got, []string{kept}) {
		t.Errorf("stored packages after a restart %v, want only the function's %s", got, kept)
	}
	logged := false
	mu.Lock()
	for _, r := range recs {
		r.Attrs(func(a slog.Attr) bool {
			if strings.Contains(a.Value.String(), digest) {
				logged = true
			}
			return true
		})
	}
	mu.Unlock()
	if !logged {
		t.Errorf("the sweep did not log the package it deleted (%s)", digest)
	}
}
