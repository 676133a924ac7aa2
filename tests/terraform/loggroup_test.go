package terraform

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// testLogGroup manages a function's log group with aws_cloudwatch_log_group
// (retention and tags) and a function that depends on it: apply, a clean
// plan, import, an update of both, and destroy, checking Reservoir through
// the SDK after each step.
func testLogGroup(t *testing.T, tc *toolchain) {
	srv := reservoirtest.Start(t)
	rec := newRecorder(t, srv.URL)
	cwl := cloudwatchlogs.NewFromConfig(srv.AWSConfig(t))
	lc := lambda.NewFromConfig(srv.AWSConfig(t))
	w := tc.workdir(t)
	conf := logGroupConfig{Endpoint: rec.URL, Zip: w.writeZip("function.zip"), Function: "tf-logs",
		Retention: 7, Tags: map[string]string{"team": "core"}}
	const (
		group = "/aws/lambda/tf-logs"
		addr  = "aws_cloudwatch_log_group.example"
	)
	defer rec.checkNoServerErrors(t)
	wantGroup := func(t *testing.T, retention int, tags map[string]string) {
		t.Helper()
		out, err := cwl.DescribeLogGroups(t.Context(), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(group)})
		if err != nil {
			t.Fatalf("DescribeLogGroups: %v", err)
		}
		if len(out.LogGroups) != 1 || aws.ToInt32(out.LogGroups[0].RetentionInDays) != int32(retention) {
			t.Fatalf("log groups %+v, want %s with %d days", out.LogGroups, group, retention)
		}
		got, err := cwl.ListTagsForResource(t.Context(), &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: out.LogGroups[0].LogGroupArn})
		if err != nil || fmt.Sprint(got.Tags) != fmt.Sprint(tags) {
			t.Errorf("tags = %v (%v), want %v", got.Tags, err, tags)
		}
	}
	step := func(name string, f func(t *testing.T, w *workdir)) {
		if !t.Run(name, func(t *testing.T) {
			w := w.bind(t)
			w.writeFile("main.tf", render(t, logGroupHCL, conf))
			f(t, w)
		}) {
			t.FailNow()
		}
	}

	step("Apply", func(t *testing.T, w *workdir) {
		w.must("init", "-input=false", "-no-color")
		wantOutput(t, w.apply(), "Resources: 2 added, 0 changed, 0 destroyed.")
		wantGroup(t, 7, map[string]string{"team": "core"})
		if _, err := lc.GetFunction(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(conf.Function)}); err != nil {
			t.Errorf("GetFunction: %v", err)
		}
	})
	step("PlanIsClean", func(t *testing.T, w *workdir) { w.planIsClean() })
	step("Import", func(t *testing.T, w *workdir) {
		w.must("state", "rm", "-no-color", addr)
		wantOutput(t, w.must("import", "-input=false", "-no-color", addr, group), "Import successful!")
		w.planIsClean()
	})
	step("Update", func(t *testing.T, w *workdir) {
		conf.Retention, conf.Tags = 14, map[string]string{"team": "platform", "env": "dev"}
		w.writeFile("main.tf", render(t, logGroupHCL, conf))
		changes, summary := w.applyJSON()
		wantChanges(t, changes, map[string]string{addr: "update"})
		if summary != (planSummary{Change: 1}) {
			t.Errorf("plan summary = %+v, want 1 to change", summary)
		}
		wantGroup(t, 14, map[string]string{"env": "dev", "team": "platform"})
		w.planIsClean()
	})
	step("Destroy", func(t *testing.T, w *workdir) {
		wantOutput(t, w.must("destroy", "-auto-approve", "-input=false", "-no-color"), "Resources: 2 destroyed.")
		out, err := cwl.DescribeLogGroups(t.Context(), &cloudwatchlogs.DescribeLogGroupsInput{})
		if err != nil || len(out.LogGroups) != 0 {
			t.Errorf("log groups after destroy: %v %+v", err, out)
		}
		_, err = cwl.ListTagsForResource(t.Context(), &cloudwatchlogs.ListTagsForResourceInput{
			ResourceArn: aws.String("arn:aws:logs:" + region + ":" + account + ":log-group:" + group)})
		var nf *logstypes.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("ListTagsForResource after destroy: %v, want ResourceNotFoundException", err)
		}
	})
	t.Logf("the provider's CloudWatch Logs calls:\n%s", logsCalls(rec))
}

// logsCalls lists the provider's requests to CloudWatch Logs.
func logsCalls(rec *recorder) string {
	s := ""
	for _, e := range rec.exchanges() {
		if e.Target != "" {
			s += "  " + e.String() + "\n"
		}
	}
	return s
}
