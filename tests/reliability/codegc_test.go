package reliability

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// TestCodeSurvivesConcurrentDelete: deleting a function while another one
// is created with the same deployment package must not delete the package
// the new function's acknowledged CreateFunction stored.
//
// Regression test for a bug this suite found (fixed): lambda.Service.collectCode, run by
// DeleteFunction, keeps only the digests of functions whose snapshot is
// published (entry.cur != nil). CreateFunction stores the package
// (PutCode) before it publishes the function, and UpdateFunctionCode stores
// it before mutate publishes the new snapshot; a DeleteFunction of another
// function using the same package that collects in between deletes the
// package. The new function is acknowledged (201) with no code: GetFunction's
// Code.Location answers 500, Invoke cannot load the code, and a restart keeps
// the function without its package.
func TestCodeSurvivesConcurrentDelete(t *testing.T) {
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := lambda.NewFromConfig(srv.AWSConfig(t))
	ctx := context.Background()
	create := func(name string, zip []byte) error {
		_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
			Role: aws.String(role), Code: &types.FunctionCode{ZipFile: zip},
		})
		return err
	}
	uniqueZip := func(s string) []byte {
		return zipOf(t, zipEntry{name: "bootstrap", mode: 0o755, data: []byte("#!/bin/sh\n# " + s + "\n")})
	}
	for _, racer := range []struct {
		name  string
		setup func(b string) error             // before the race
		write func(b string, zip []byte) error // races with the delete
	}{
		{"CreateFunction", func(string) error { return nil }, create},
		{"UpdateFunctionCode", func(b string) error { return create(b, uniqueZip("first "+b)) }, func(b string, zip []byte) error {
			_, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(b), ZipFile: zip})
			return err
		}},
	} {
		t.Run(racer.name, func(t *testing.T) {
			deadline := time.Now().Add(3 * time.Second)
			tries, lost := 0, 0
			var example string
			for time.Now().Before(deadline) && lost == 0 {
				tries++
				a, b := fmt.Sprintf("old-%s-%d", racer.name, tries), fmt.Sprintf("new-%s-%d", racer.name, tries)
				zip := uniqueZip(a)
				if err := create(a, zip); err != nil {
					t.Fatal(err)
				}
				if err := racer.setup(b); err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				var errB error
				wg.Add(2)
				go func() {
					defer wg.Done()
					_, _ = c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(a)})
				}()
				go func() {
					defer wg.Done()
					errB = racer.write(b, zip)
				}()
				wg.Wait()
				if errB != nil {
					t.Fatal(errB)
				}
				fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(b)})
				if err != nil {
					t.Fatal(err)
				}
				resp, err := http.Get(aws.ToString(fn.Code.Location))
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					lost++
					example = fmt.Sprintf("%s: GET %s answered %d %s", b, aws.ToString(fn.Code.Location), resp.StatusCode, body)
				}
				_, _ = c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(b)})
			}
			if lost > 0 {
				t.Errorf("regression: the package stored by an acknowledged %s was deleted by a concurrent DeleteFunction of another function using it (after %d tries): %s", racer.name, tries, example)
			}
			t.Logf("%d %s/DeleteFunction races tried", tries, racer.name)
		})
	}
}
