package lambda_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

// hookStore is a bbolt store whose writes a test can watch, hold or fail.
type hookStore struct {
	lambda.Store
	saves atomic.Int32 // SaveFunction calls

	mu       sync.Mutex
	onSave   func() error        // before SaveFunction; its error fails it
	onDelete func(digest string) // before DeleteCode
	events   []string            // "put D", "deleted D", in order
}

func (h *hookStore) SaveFunction(ctx context.Context, fn *lambda.Function) error {
	h.saves.Add(1)
	h.mu.Lock()
	hook := h.onSave
	h.mu.Unlock()
	if hook != nil {
		if err := hook(); err != nil {
			return err
		}
	}
	return h.Store.SaveFunction(ctx, fn)
}

func (h *hookStore) PutCode(ctx context.Context, digest string, zip []byte) error {
	err := h.Store.PutCode(ctx, digest, zip)
	h.record("put " + digest)
	return err
}

func (h *hookStore) DeleteCode(ctx context.Context, digest string) error {
	h.mu.Lock()
	hook := h.onDelete
	h.mu.Unlock()
	if hook != nil {
		hook(digest)
	}
	err := h.Store.DeleteCode(ctx, digest)
	h.record("deleted " + digest)
	return err
}

func (h *hookStore) record(ev string) {
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
}

func (h *hookStore) setSave(f func() error) {
	h.mu.Lock()
	h.onSave = f
	h.mu.Unlock()
}

func (h *hookStore) setDelete(f func(string)) {
	h.mu.Lock()
	h.onDelete = f
	h.mu.Unlock()
}

func (h *hookStore) digests(t *testing.T) []string {
	t.Helper()
	d, err := h.CodeDigests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// recordingExecutor runs each invocation when its Wait is called, loading
// its code as a cold start does, and records the configurations that ran.
// With hold set, a Wait first reports on holding and waits for hold.
type recordingExecutor struct {
	hold    chan struct{}
	holding chan struct{}

	mu  sync.Mutex
	ran []lambda.Config
}

func (x *recordingExecutor) Provision(lambda.ProvisionTarget, int, func(lambda.ProvisionProgress)) {}
func (x *recordingExecutor) Retire(lambda.RetireTarget)                                            {}

func (x *recordingExecutor) Start(t lambda.InvocationTarget, inv lambda.Invocation, admit lambda.Admit) (lambda.Execution, error) {
	release, err := admit(false)
	if err != nil {
		return nil, err
	}
	return &recordedRun{x: x, t: t, inv: inv, release: release}, nil
}

type recordedRun struct {
	x       *recordingExecutor
	t       lambda.InvocationTarget
	inv     lambda.Invocation
	release func()
	once    sync.Once
	res     lambda.InvocationResult
	err     error
}

func (r *recordedRun) Wait(ctx context.Context) (lambda.InvocationResult, error) {
	r.once.Do(func() {
		defer r.release()
		if r.x.hold != nil {
			r.x.holding <- struct{}{}
			<-r.x.hold
		}
		if _, err := r.t.Code(ctx); err != nil {
			r.err = err
			return
		}
		r.x.mu.Lock()
		r.x.ran = append(r.x.ran, r.t.Config)
		r.x.mu.Unlock()
		r.res = lambda.InvocationResult{Payload: r.inv.Payload}
	})
	return r.res, r.err
}

func (x *recordingExecutor) last(t *testing.T) lambda.Config {
	t.Helper()
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.ran) == 0 {
		t.Fatal("nothing ran")
	}
	return x.ran[len(x.ran)-1]
}

// checkGate makes a CheckCode that holds the calls it is armed for: each
// reports on entered and waits for release.
type checkGate struct {
	armed   atomic.Bool
	fail    atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func newCheckGate() *checkGate {
	return &checkGate{entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (g *checkGate) check([]byte) error {
	if g.fail.Load() {
		return errors.New("not a package any environment could unpack")
	}
	if g.armed.Load() {
		g.entered <- struct{}{}
		<-g.release
	}
	return nil
}

func (g *checkGate) await(t *testing.T) {
	t.Helper()
	select {
	case <-g.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the package check did not start")
	}
}

type fixture struct {
	svc  *lambda.Service
	st   *hookStore
	exec *recordingExecutor
	gate *checkGate
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	bolt, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: &hookStore{Store: bolt}, exec: &recordingExecutor{}, gate: newCheckGate()}
	f.svc, err = lambda.NewService(context.Background(), lambda.Options{Store: f.st, Executor: f.exec, CheckCode: f.gate.check})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.svc.Close(); bolt.Close() })
	return f
}

// pkg is a deployment package distinct for each content, and its digest.
func pkg(t *testing.T, content string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("index.py")
	_, _ = w.Write([]byte("def handler(e, c): return " + content + "\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), base64.StdEncoding.EncodeToString(sum[:])
}

func (f *fixture) create(name string, zip []byte) (lambda.Config, error) {
	rt, role := "python3.12", "arn:aws:iam::123456789012:role/r"
	return f.svc.CreateFunction(context.Background(), sc, lambda.FunctionInput{FunctionName: name, Runtime: &rt, Role: &role,
		HasCode: true, ZipFile: zip})
}

func (f *fixture) mustCreate(t *testing.T, name string, zip []byte) lambda.Config {
	t.Helper()
	c, err := f.create(name, zip)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) updateCode(name string, zip []byte) (lambda.Config, error) {
	return f.svc.UpdateFunctionCode(context.Background(), sc, lambda.FunctionInput{FunctionName: name, ZipFile: zip, HasCode: true}, false)
}

func (f *fixture) get(t *testing.T, name string) lambda.Config {
	t.Helper()
	v, err := f.svc.GetFunction(context.Background(), sc, name, "")
	if err != nil {
		t.Fatal(err)
	}
	return v.Config
}

func (f *fixture) invoke(name string) error {
	_, err := f.svc.Invoke(context.Background(), sc, lambda.InvokeInput{FunctionName: name, Payload: []byte(`{}`)})
	return err
}

// conflict checks that err is a ResourceConflictException with AWS's message.
func conflict(t *testing.T, what string, err error, message string) {
	t.Helper()
	var de *lambda.Error
	if !errors.As(err, &de) || de.Kind != lambda.KindResourceConflict || de.Message != message {
		t.Errorf("%s: %v, want ResourceConflictException %q", what, err, message)
	}
}

const (
	fnARN          = "arn:aws:lambda:us-east-1:123456789012:function:f"
	msgInvokePend  = "The operation cannot be performed at this time. The function is currently in the following state: Pending"
	msgUpdatePend  = "The operation cannot be performed at this time. The resource " + fnARN + " is currently in the following state: 'Pending'. StateReasonCode: 'Creating'"
	msgUpdateInPrg = "The operation cannot be performed at this time. An update is in progress for resource: " + fnARN
)

// TestCreateFunctionIsPendingWhileItsPackageIsChecked: while CreateFunction
// checks and stores the package, the function is visible as Pending: an
// Invoke, an update or a PublishVersion gets AWS's conflict. CreateFunction
// answers Pending; the function then is Active under a new RevisionId, after
// one durable function write.
func TestCreateFunctionIsPendingWhileItsPackageIsChecked(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	zip, _ := pkg(t, "1")
	f.gate.armed.Store(true)
	type result struct {
		cfg lambda.Config
		err error
	}
	done := make(chan result, 1)
	go func() {
		cfg, err := f.create("f", zip)
		done <- result{cfg, err}
	}()
	f.gate.await(t)

	if c := f.get(t, "f"); c.Phase != lambda.Creating {
		t.Errorf("GetFunction during creation: phase %v, want Creating (Pending)", c.Phase)
	}
	conflict(t, "Invoke", f.invoke("f"), msgInvokePend)
	timeout := 10
	_, err := f.svc.UpdateFunctionConfiguration(ctx, sc, lambda.FunctionInput{FunctionName: "f", Timeout: &timeout})
	conflict(t, "UpdateFunctionConfiguration", err, msgUpdatePend)
	_, err = f.updateCode("f", zip)
	conflict(t, "UpdateFunctionCode", err, msgUpdatePend)
	_, err = f.svc.PublishVersion(ctx, sc, "f", "", "", "")
	conflict(t, "PublishVersion", err, msgUpdatePend)
	_, err = f.create("f", zip)
	conflict(t, "CreateFunction of the same name", err, "Function already exist: f")

	close(f.gate.release)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	state, reason, code := r.cfg.Phase.State()
	if state != "Pending" || reason != "The function is being created." || code != "Creating" {
		t.Errorf("CreateFunction answered %s %q %s, want Pending, being created, Creating", state, reason, code)
	}
	if s, _, _ := r.cfg.Phase.LastUpdate(); s != "" {
		t.Errorf("CreateFunction answered LastUpdateStatus %q, want none", s)
	}
	got := f.get(t, "f")
	if got.Phase != lambda.Settled || got.RevisionID == r.cfg.RevisionID {
		t.Errorf("after CreateFunction: phase %v, RevisionId %s (created %s): want settled under a new RevisionId", got.Phase, got.RevisionID, r.cfg.RevisionID)
	}
	if n := f.st.saves.Load(); n != 1 {
		t.Errorf("CreateFunction wrote the function %d times, want once", n)
	}
	if err := f.invoke("f"); err != nil {
		t.Errorf("Invoke once Active: %v", err)
	}
}

// TestUpdateIsInProgressWhileItWorks: while UpdateFunctionCode checks and
// stores the package (and UpdateFunctionConfiguration writes), $LATEST is
// InProgress: invocations run the previous configuration, updates and
// PublishVersion get AWS's conflict. The answer is InProgress; the function
// then is Successful under a new RevisionId.
func TestUpdateIsInProgressWhileItWorks(t *testing.T) {
	ctx := context.Background()
	refused := func(t *testing.T, f *fixture, zip []byte) {
		t.Helper()
		timeout := 20
		_, err := f.svc.UpdateFunctionConfiguration(ctx, sc, lambda.FunctionInput{FunctionName: "f", Timeout: &timeout})
		conflict(t, "UpdateFunctionConfiguration", err, msgUpdateInPrg)
		_, err = f.updateCode("f", zip)
		conflict(t, "UpdateFunctionCode", err, msgUpdateInPrg)
		_, err = f.svc.PublishVersion(ctx, sc, "f", "", "", "")
		conflict(t, "PublishVersion", err, msgUpdateInPrg)
	}
	settled := func(t *testing.T, f *fixture, answered lambda.Config, before string) lambda.Config {
		t.Helper()
		if s, reason, code := answered.Phase.LastUpdate(); s != "InProgress" || reason != "The function is being created." || code != "Creating" {
			t.Errorf("the update answered LastUpdateStatus %s %q %s, want InProgress, being created, Creating", s, reason, code)
		}
		if s, _, _ := answered.Phase.State(); s != "Active" {
			t.Errorf("the update answered State %s, want Active", s)
		}
		got := f.get(t, "f")
		if got.Phase != lambda.Settled || got.RevisionID == answered.RevisionID || answered.RevisionID == before {
			t.Errorf("RevisionIds before, answered, after: %s %s %s (phase after %v): want three, settled", before, answered.RevisionID, got.RevisionID, got.Phase)
		}
		return got
	}

	t.Run("UpdateFunctionCode", func(t *testing.T) {
		f := newFixture(t)
		zip1, d1 := pkg(t, "1")
		zip2, d2 := pkg(t, "2")
		f.mustCreate(t, "f", zip1)
		before := f.get(t, "f")
		f.gate.armed.Store(true)
		done := make(chan error, 1)
		var answered lambda.Config
		go func() {
			var err error
			answered, err = f.updateCode("f", zip2)
			done <- err
		}()
		f.gate.await(t)
		if c := f.get(t, "f"); c.Phase != lambda.Updating || c.CodeSha256 != d2 {
			t.Errorf("GetFunction during the update: phase %v, code %s; want Updating (InProgress), the new code", c.Phase, c.CodeSha256)
		}
		if err := f.invoke("f"); err != nil || f.exec.last(t).CodeSha256 != d1 {
			t.Errorf("Invoke during the update ran %s (%v), want the previous code", f.exec.last(t).CodeSha256, err)
		}
		refused(t, f, zip2)
		f.gate.armed.Store(false)
		close(f.gate.release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := settled(t, f, answered, before.RevisionID); got.CodeSha256 != d2 {
			t.Errorf("code after the update %s, want %s", got.CodeSha256, d2)
		}
		if err := f.invoke("f"); err != nil || f.exec.last(t).CodeSha256 != d2 {
			t.Errorf("Invoke after the update ran %s (%v), want the new code", f.exec.last(t).CodeSha256, err)
		}
	})

	t.Run("UpdateFunctionConfiguration", func(t *testing.T) {
		f := newFixture(t)
		zip1, _ := pkg(t, "1")
		f.mustCreate(t, "f", zip1)
		before := f.get(t, "f")
		saving, release := make(chan struct{}, 1), make(chan struct{})
		f.st.setSave(func() error {
			saving <- struct{}{}
			<-release
			return nil
		})
		done := make(chan error, 1)
		var answered lambda.Config
		timeout := 15
		go func() {
			var err error
			answered, err = f.svc.UpdateFunctionConfiguration(ctx, sc, lambda.FunctionInput{FunctionName: "f", Timeout: &timeout})
			done <- err
		}()
		<-saving
		if c := f.get(t, "f"); c.Phase != lambda.Updating || c.Timeout != 15 {
			t.Errorf("GetFunction during the update: phase %v, timeout %d; want Updating (InProgress), 15", c.Phase, c.Timeout)
		}
		if err := f.invoke("f"); err != nil || f.exec.last(t).Timeout != before.Timeout {
			t.Errorf("Invoke during the update ran timeout %d (%v), want the previous %d", f.exec.last(t).Timeout, err, before.Timeout)
		}
		refused(t, f, zip1)
		f.st.setSave(nil)
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := settled(t, f, answered, before.RevisionID); got.Timeout != 15 {
			t.Errorf("timeout after the update %d, want 15", got.Timeout)
		}
	})
}

// TestFailedCreateAndUpdateLeaveNothing: a package the deep check refuses,
// or a function write that fails, undoes the creation or the update: the
// function is gone or as it was, settled, and no package it brought stays.
func TestFailedCreateAndUpdateLeaveNothing(t *testing.T) {
	f := newFixture(t)
	zip1, d1 := pkg(t, "1")
	zip2, _ := pkg(t, "2")

	f.gate.fail.Store(true)
	_, err := f.create("f", zip1)
	var de *lambda.Error
	if !errors.As(err, &de) || de.Kind != lambda.KindInvalidParameterValue {
		t.Errorf("CreateFunction of a refused package: %v, want InvalidParameterValueException", err)
	}
	f.gate.fail.Store(false)
	f.st.setSave(func() error { return errors.New("disk full") })
	if _, err := f.create("f", zip1); err == nil {
		t.Error("CreateFunction succeeded although its write failed")
	}
	if _, err := f.svc.GetFunction(context.Background(), sc, "f", ""); err == nil {
		t.Error("a failed CreateFunction left its function")
	}
	if d := f.st.digests(t); len(d) != 0 {
		t.Errorf("failed creations left packages %v", d)
	}

	f.st.setSave(nil)
	f.mustCreate(t, "f", zip1)
	before := f.get(t, "f")
	f.gate.fail.Store(true)
	if _, err := f.updateCode("f", zip2); err == nil {
		t.Error("UpdateFunctionCode of a refused package succeeded")
	}
	f.gate.fail.Store(false)
	f.st.setSave(func() error { return errors.New("disk full") })
	if _, err := f.updateCode("f", zip2); err == nil {
		t.Error("UpdateFunctionCode succeeded although its write failed")
	}
	f.st.setSave(nil)
	if got := f.get(t, "f"); got.Phase != lambda.Settled || got.RevisionID != before.RevisionID || got.CodeSha256 != d1 {
		t.Errorf("after failed updates: %+v, want the function as it was (%s, %s)", got, before.RevisionID, d1)
	}
	if d := f.st.digests(t); !slices.Equal(d, []string{d1}) {
		t.Errorf("packages after failed updates %v, want only %s", d, d1)
	}
	if err := f.invoke("f"); err != nil {
		t.Errorf("Invoke after failed updates: %v", err)
	}
}

// TestInvokeRacingCodeUpdateRunsTheNewCode: an invocation of $LATEST
// admitted just before an UpdateFunctionCode, whose environment loads its
// code only after the update collected the replaced package, runs once more
// on the new code instead of failing.
func TestInvokeRacingCodeUpdateRunsTheNewCode(t *testing.T) {
	f := newFixture(t)
	zip1, d1 := pkg(t, "1")
	zip2, d2 := pkg(t, "2")
	f.mustCreate(t, "f", zip1)
	f.exec.hold, f.exec.holding = make(chan struct{}), make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() { done <- f.invoke("f") }()
	<-f.exec.holding
	if _, err := f.updateCode("f", zip2); err != nil {
		t.Fatal(err)
	}
	if d := f.st.digests(t); !slices.Equal(d, []string{d2}) {
		t.Fatalf("packages after the update %v, want only the new one %s (%s collected)", d, d2, d1)
	}
	close(f.exec.hold)
	if err := <-done; err != nil {
		t.Fatalf("the invocation racing the update: %v", err)
	}
	if got := f.exec.last(t).CodeSha256; got != d2 {
		t.Errorf("the invocation racing the update ran %s, want the new code %s", got, d2)
	}
}

// TestCollectionKeepsOffOtherWork: while a collection's delete of one
// package is stuck in the store, uploads of other packages and invocations
// go on; an upload of the package being deleted stores it only once the
// delete is over, so the function that takes it keeps it.
func TestCollectionKeepsOffOtherWork(t *testing.T) {
	f := newFixture(t)
	zipA, dA := pkg(t, "a")
	zipB, _ := pkg(t, "b")
	zipC, _ := pkg(t, "c")
	zipD, dD := pkg(t, "d")
	f.mustCreate(t, "gone", zipA)
	f.mustCreate(t, "other", zipB)
	deleting, release := make(chan struct{}, 1), make(chan struct{})
	f.st.setDelete(func(d string) {
		if d == dA {
			deleting <- struct{}{}
			<-release
		}
	})
	deleted := make(chan error, 1)
	go func() { deleted <- f.svc.DeleteFunction(context.Background(), sc, "gone", "") }()
	<-deleting

	work := make(chan error, 3)
	go func() { _, err := f.create("new", zipC); work <- err }()
	go func() { _, err := f.updateCode("other", zipD); work <- err }()
	go func() { work <- f.invoke("other") }()
	for range 3 {
		select {
		case err := <-work:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("an upload or invocation of other code waited for the delete of a package")
		}
	}
	retaken := make(chan error, 1)
	go func() { _, err := f.create("again", zipA); retaken <- err }()
	close(release)
	if err := <-deleted; err != nil {
		t.Fatal(err)
	}
	if err := <-retaken; err != nil {
		t.Fatal(err)
	}
	f.st.mu.Lock()
	events := slices.Clone(f.st.events)
	f.st.mu.Unlock()
	del := slices.Index(events, "deleted "+dA)
	if reput := len(events) - 1 - slices.Index(reversed(events), "put "+dA); del < 0 || reput < del {
		t.Errorf("the re-upload of %s was stored before its delete ended: %v", dA, events)
	}
	if _, err := f.st.Code(context.Background(), dA); err != nil {
		t.Errorf("the package of the function created during its delete is gone: %v", err)
	}
	if d := f.st.digests(t); !slices.Contains(d, dD) {
		t.Errorf("packages %v lack %s", d, dD)
	}
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}
