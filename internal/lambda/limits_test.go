package lambda_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// TestInvokePayloadLimits: 6 MB synchronous, 1 MB asynchronous (the Invoke
// API reference; AWS raised the asynchronous limit from 256 KB).
func TestInvokePayloadLimits(t *testing.T) {
	svc := newService(t, &gateExecutor{}, 0, lambda.AsyncOptions{})
	mustCreate(t, svc, "f", false)
	const kb, mb = 1024, 1024 * 1024
	for _, c := range []struct {
		invocationType string
		size           int
		status         int // 0: refused
		message        string
	}{
		{"RequestResponse", 6 * mb, 200, ""},
		{"RequestResponse", 6*mb + 1, 0, "Request must be smaller than 6291456 bytes for the InvokeFunction operation"},
		{"DryRun", 6 * mb, 204, ""},
		{"Event", 257 * kb, 202, ""},
		{"Event", 900 * kb, 202, ""},
		{"Event", mb, 202, ""},
		{"Event", mb + 1, 0, "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)"},
	} {
		out, err := svc.Invoke(context.Background(), sc, lambda.InvokeInput{FunctionName: "f", InvocationType: c.invocationType,
			Payload: bytes.Repeat([]byte("x"), c.size)})
		if c.status != 0 {
			if err != nil || out.StatusCode != c.status {
				t.Errorf("%s of %d bytes: %d %v, want %d", c.invocationType, c.size, out.StatusCode, err, c.status)
			}
			continue
		}
		var de *lambda.Error
		if !errors.As(err, &de) || de.Kind != lambda.KindRequestTooLarge || de.Message != c.message {
			t.Errorf("%s of %d bytes: %v, want RequestTooLarge %q", c.invocationType, c.size, err, c.message)
		}
	}
}

// TestMemoryLimits: the model allows 128..32768 MB, a function's quota is
// 10240 MB, refused in AWS's quota sentence.
func TestMemoryLimits(t *testing.T) {
	svc := newService(t, &gateExecutor{}, 0, lambda.AsyncOptions{})
	mustCreate(t, svc, "f", false)
	const quota = "'MemorySize' value failed to satisfy constraint: Member must have value less than or equal to 10240"
	for _, c := range []struct {
		memory  int
		message string // "" accepted
	}{
		{128, ""},
		{10240, ""},
		{127, "1 validation error detected: Value '127' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128"},
		{10241, quota},
		{32768, quota},
		{32769, "1 validation error detected: Value '32769' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 32768"},
	} {
		m := c.memory
		_, err := svc.UpdateFunctionConfiguration(context.Background(), sc, lambda.FunctionInput{FunctionName: "f", MemorySize: &m})
		check := func(op string, err error) {
			t.Helper()
			var de *lambda.Error
			switch {
			case c.message == "" && err != nil:
				t.Errorf("%s with %d MB: %v", op, m, err)
			case c.message != "" && (!errors.As(err, &de) || de.Kind != lambda.KindValidation || de.Message != c.message):
				t.Errorf("%s with %d MB: %v, want ValidationException %q", op, m, err, c.message)
			}
		}
		check("UpdateFunctionConfiguration", err)
		rt, role := "python3.12", "arn:aws:iam::123456789012:role/r"
		_, err = svc.CreateFunction(context.Background(), sc, lambda.FunctionInput{FunctionName: "g", Runtime: &rt, Role: &role,
			MemorySize: &m, HasCode: true, ZipFile: zipBytes(t)})
		check("CreateFunction", err)
		if err == nil {
			if err := svc.DeleteFunction(context.Background(), sc, "g", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// zipBytes is a deployment package with one Python handler.
func zipBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("index.py")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("def handler(e, c): return e\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
