package lambda_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

// fakeRoles knows the roles Lambda can assume, and counts the questions.
type fakeRoles struct {
	mu        sync.Mutex
	assumable map[string]bool
	asked     []string
}

func (f *fakeRoles) LambdaCanAssume(ctx context.Context, role string) (bool, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, role)
	return f.assumable[role], "not in the test's IAM"
}

func (f *fakeRoles) questions() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.asked)
}

func TestExecutionRoles(t *testing.T) {
	const (
		good    = "arn:aws:iam::123456789012:role/good"
		bad     = "arn:aws:iam::123456789012:role/bad"
		foreign = "arn:aws:iam::210987654321:role/good"
	)
	for _, strict := range []bool{false, true} {
		roles := &fakeRoles{assumable: map[string]bool{good: true, foreign: true}}
		st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
		if err != nil {
			t.Fatal(err)
		}
		svc, err := lambda.NewService(context.Background(), lambda.Options{Store: st, Executor: &gateExecutor{}, Roles: roles, StrictRoles: strict})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { svc.Close(); st.Close() })
		create := func(name, role string) error {
			rt := "python3.12"
			_, err := svc.CreateFunction(context.Background(), sc, lambda.FunctionInput{FunctionName: name, Runtime: &rt, Role: &role,
				HasCode: true, ZipFile: zipBytes(t)})
			return err
		}
		update := func(name, role string) error {
			_, err := svc.UpdateFunctionConfiguration(context.Background(), sc, lambda.FunctionInput{FunctionName: name, Role: &role})
			return err
		}
		kind := func(err error) lambda.Kind {
			var de *lambda.Error
			if errors.As(err, &de) {
				return de.Kind
			}
			return 0
		}
		// A role of another account: refused in either mode, before IAM is asked.
		if k := kind(create("f-foreign", foreign)); k != lambda.KindAccessDenied {
			t.Errorf("strict=%v: create with a role of another account: kind %v, want AccessDenied", strict, k)
		}
		wantBad := lambda.Kind(0)
		if strict {
			wantBad = lambda.KindInvalidParameterValue
		}
		if k := kind(create("f-bad", bad)); k != wantBad {
			t.Errorf("strict=%v: create with a role Lambda cannot assume: kind %v, want %v", strict, k, wantBad)
		}
		if err := create("f", good); err != nil {
			t.Fatalf("strict=%v: create with a good role: %v", strict, err)
		}
		if k := kind(update("f", bad)); k != wantBad {
			t.Errorf("strict=%v: change to a role Lambda cannot assume: kind %v, want %v", strict, k, wantBad)
		}
		if k := kind(update("f", foreign)); k != lambda.KindAccessDenied {
			t.Errorf("strict=%v: change to a role of another account: kind %v, want AccessDenied", strict, k)
		}
		// Naming the role the function already has asks IAM nothing.
		before := roles.questions()
		current := good
		if !strict {
			current = bad // the default mode took the change above
		}
		if err := update("f", current); err != nil {
			t.Errorf("strict=%v: update naming the function's own role: %v", strict, err)
		}
		if n := roles.questions() - before; n != 0 {
			t.Errorf("strict=%v: update naming the function's own role asked IAM %d times", strict, n)
		}
		if slices.Contains(roles.asked, foreign) {
			t.Errorf("strict=%v: IAM was asked about a role of another account", strict)
		}
	}
}
