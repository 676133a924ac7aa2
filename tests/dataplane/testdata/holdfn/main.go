// Command holdfn is a test function built with aws-lambda-go. It observes its
// own concurrency: each invocation drops a marker file in MARK_DIR, counts
// the markers present (the executions in flight, as the function sees them),
// holds for hold_ms, and removes its marker. Each initialization leaves an
// init-* file naming its AWS_LAMBDA_INITIALIZATION_TYPE. INIT_HOLD_MS makes
// initialization take that long; FAIL_INIT_WHEN, set to an initialization
// type, makes initializations of that type fail (leaving initfail-* files).
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	HoldMS int  `json:"hold_ms"`
	Fail   bool `json:"fail"`
	Done   bool `json:"done"` // leave a done-* file (for async events)
}

type result struct {
	InFlight int    `json:"in_flight"`
	InitType string `json:"init_type"`
	PID      int    `json:"pid"`
}

func main() {
	dir := os.Getenv("MARK_DIR")
	initType := os.Getenv("AWS_LAMBDA_INITIALIZATION_TYPE")
	if ms, err := strconv.Atoi(os.Getenv("INIT_HOLD_MS")); err == nil {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	if w := os.Getenv("FAIL_INIT_WHEN"); w != "" && w == initType {
		_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("initfail-%d", os.Getpid())), nil, 0o644)
		fmt.Fprintln(os.Stderr, "holdfn: init failing on purpose")
		os.Exit(3)
	}
	_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("init-%d", os.Getpid())), []byte(initType), 0o644)
	lambda.Start(func(ctx context.Context, e event) (result, error) {
		lc, _ := lambdacontext.FromContext(ctx)
		marker := filepath.Join(dir, "run-"+lc.AwsRequestID)
		_ = os.WriteFile(marker, nil, 0o644)
		defer os.Remove(marker)
		entries, _ := os.ReadDir(dir)
		n := 0
		for _, en := range entries {
			if strings.HasPrefix(en.Name(), "run-") {
				n++
			}
		}
		time.Sleep(time.Duration(e.HoldMS) * time.Millisecond)
		if e.Done {
			_ = os.WriteFile(filepath.Join(dir, "done-"+lc.AwsRequestID), nil, 0o644)
		}
		if e.Fail {
			return result{}, fmt.Errorf("failing on purpose")
		}
		return result{InFlight: n, InitType: initType, PID: os.Getpid()}, nil
	})
}
