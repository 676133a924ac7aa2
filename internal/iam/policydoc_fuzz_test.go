package iam_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/iam"
)

// FuzzCreatePolicyDocument: any document is either accepted (and then is a
// JSON object) or refused with MalformedPolicyDocument, LimitExceeded or a
// ValidationError; the validator never panics.
func FuzzCreatePolicyDocument(f *testing.F) {
	for _, s := range []string{
		policyDoc, trust, `{}`, `[]`, `{"Statement":[]}`, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*"}}`,
		`{"Statement":[null]}`, `{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`, `{"Version":1}`, `"x"`, `{"Statement":"s"}`,
		`{"Statement":[{"Effect":"Deny","NotAction":["a:*"],"NotResource":"arn:x","Condition":{"a":{"b":"c"}}}]}`, "{\"Statement\":{}} x",
	} {
		f.Add(s)
	}
	svc, err := iam.NewService(context.Background(), newMemStore(), fixedClock)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := svc.CreatePolicy(context.Background(), acct, iam.CreatePolicyInput{Name: "p", Document: doc})
		if err == nil {
			var obj map[string]any
			if json.Unmarshal([]byte(doc), &obj) != nil {
				t.Fatalf("accepted a document that is not a JSON object: %q", doc)
			}
			if err := svc.DeletePolicy(context.Background(), acct, p.ARN()); err != nil {
				t.Fatal(err)
			}
			return
		}
		var e *iam.Error
		if !errors.As(err, &e) || (e.Code != iam.CodeMalformedPolicyDocument && e.Code != iam.CodeLimitExceeded && e.Code != iam.CodeValidationError) {
			t.Fatalf("document %q: %v", doc, err)
		}
	})
}
