package lambda

import (
	"errors"
	"strings"
	"testing"
)

func TestParseFunctionName(t *testing.T) {
	tests := []struct {
		in   string
		form nameForm
		want FunctionRef
		err  string // substring of the ValidationException message
	}{
		{in: "fn", want: FunctionRef{Name: "fn"}},
		{in: "fn:1", want: FunctionRef{Name: "fn", Qualifier: "1"}},
		{in: "fn:$LATEST", want: FunctionRef{Name: "fn", Qualifier: "$LATEST"}},
		{in: "fn:live", want: FunctionRef{Name: "fn", Qualifier: "live"}},
		{in: "123456789012:function:fn", want: FunctionRef{Name: "fn", Account: "123456789012"}},
		{in: "123456789012:function:fn:live", want: FunctionRef{Name: "fn", Account: "123456789012", Qualifier: "live"}},
		{in: "arn:aws:lambda:us-west-2:123456789012:function:fn", want: FunctionRef{Name: "fn", Account: "123456789012", Region: "us-west-2"}},
		{in: "arn:aws:lambda:us-west-2:123456789012:function:fn:7", want: FunctionRef{Name: "fn", Account: "123456789012", Region: "us-west-2", Qualifier: "7"}},
		{in: "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:fn", want: FunctionRef{Name: "fn", Account: "123456789012", Region: "us-gov-west-1"}},
		{in: "my.fn", form: nameRead, want: FunctionRef{Name: "my.fn"}},
		{in: "my.fn", err: "regular expression pattern"},
		{in: "", err: "length greater than or equal to 1"},
		{in: strings.Repeat("a", 65), err: "length less than or equal to 64"},
		{in: strings.Repeat("a", 141), err: "length less than or equal to 140"},
		{in: "fn with space", err: "regular expression pattern"},
		{in: "arn:aws:s3:::bucket", err: "regular expression pattern"},
		{in: "fn:1:2", err: "regular expression pattern"},
		{in: "12345:function:fn", err: "regular expression pattern"},
	}
	for _, tt := range tests {
		got, err := ParseFunctionName(tt.in, tt.form)
		if tt.err != "" {
			var de *Error
			if !errors.As(err, &de) || de.Kind != KindValidation || !strings.Contains(de.Message, tt.err) {
				t.Errorf("ParseFunctionName(%q) error = %v, want ValidationException containing %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseFunctionName(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestValidationMessageForm(t *testing.T) {
	var v Validation
	n := 0
	v.MinInt(&n, 1, "provisionedConcurrentExecutions")
	if got := v.Err().Error(); got != "1 validation error detected: Value '0' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1" {
		t.Fatalf("message %q", got)
	}
	v.Required(false, "qualifier")
	if got := v.Err().Error(); !strings.HasPrefix(got, "2 validation errors detected: ") || !strings.Contains(got, "; Value null at 'qualifier' failed to satisfy constraint: Member must not be null") {
		t.Fatalf("message %q", got)
	}
}

// FuzzParseFunctionName: no input panics, and every accepted name is one the
// API's pattern allows, with a plain name of at most 64 characters.
func FuzzParseFunctionName(f *testing.F) {
	for _, s := range []string{"fn", "fn:1", "123456789012:function:fn:live", "arn:aws:lambda:us-west-2:123456789012:function:fn:$LATEST", "arn:::", ":::::::", "a:b:c:d:e:f:g:h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, form := range []nameForm{nameWrite, nameRead} {
			ref, err := ParseFunctionName(s, form)
			if err != nil {
				continue
			}
			if ref.Name == "" || len(ref.Name) > 64 || !plainNameRE.MatchString(strings.ReplaceAll(ref.Name, ".", "_")) {
				t.Fatalf("accepted %q with name %q", s, ref.Name)
			}
			if !functionNameReadRE.MatchString(s) {
				t.Fatalf("accepted %q that the pattern rejects", s)
			}
		}
	})
}
