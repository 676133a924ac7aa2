package terraform

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// TestTerraform prepares Terraform once and runs the scenarios in parallel,
// each with its own Reservoir and working directory.
func TestTerraform(t *testing.T) {
	tc := setupToolchain(t)
	t.Run("ProvisionedConcurrencyLifecycle", func(t *testing.T) {
		t.Parallel()
		testLifecycle(t, tc)
	})
	t.Run("ReservedConcurrency", func(t *testing.T) {
		t.Parallel()
		testReserved(t, tc)
	})
	t.Run("LoggingConfig", func(t *testing.T) {
		t.Parallel()
		testLogging(t, tc)
	})
	t.Run("LogGroup", func(t *testing.T) {
		t.Parallel()
		testLogGroup(t, tc)
	})
	t.Run("MetricAlarm", func(t *testing.T) {
		t.Parallel()
		testAlarm(t, tc)
	})
	t.Run("AutoScaling", func(t *testing.T) {
		t.Parallel()
		testAutoScaling(t, tc)
	})
	t.Run("ProductionStack", func(t *testing.T) {
		t.Parallel()
		testStack(t, tc)
	})
	t.Run("EventInvokeConfig", func(t *testing.T) {
		t.Parallel()
		testEventInvokeConfig(t, tc)
	})
	t.Run("Permission", func(t *testing.T) {
		t.Parallel()
		testPermission(t, tc)
	})
	t.Run("IAMPolicy", func(t *testing.T) {
		t.Parallel()
		testIAMPolicy(t, tc)
	})
	t.Run("Layers", func(t *testing.T) {
		t.Parallel()
		testLayers(t, tc)
	})
	t.Run("FunctionURL", func(t *testing.T) {
		t.Parallel()
		testFunctionURL(t, tc)
	})
}

// testAlarm applies an aws_cloudwatch_metric_alarm on a function's
// AWS/Lambda Throttles (provider 5.100.0's SDK speaks CloudWatch's query
// protocol, seen on the wire), plans clean, changes the period, imports the alarm into a fresh
// state, and destroys it, checking Reservoir through the SDK.
func testAlarm(t *testing.T, tc *toolchain) {
	srv := reservoirtest.Start(t)
	rec := newRecorder(t, srv.URL)
	cw := cloudwatch.NewFromConfig(srv.AWSConfig(t))
	w := tc.workdir(t)
	conf := alarmConfig{Endpoint: rec.URL, Zip: w.writeZip("function.zip"), Function: "tf-alarm", Period: 60}
	const addr = "aws_cloudwatch_metric_alarm.throttles"
	alarm := func(t *testing.T) *cwtypes.MetricAlarm {
		t.Helper()
		out, err := cw.DescribeAlarms(t.Context(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"tf-alarm-throttles"}})
		if err != nil {
			t.Fatalf("DescribeAlarms: %v", err)
		}
		if len(out.MetricAlarms) == 0 {
			return nil
		}
		return &out.MetricAlarms[0]
	}
	defer rec.checkNoServerErrors(t)
	steps := []struct {
		name string
		f    func(t *testing.T, w *workdir)
	}{
		{"Apply", func(t *testing.T, w *workdir) {
			w.writeFile("main.tf", render(t, alarmHCL, conf))
			w.must("init", "-input=false", "-no-color")
			wantOutput(t, w.apply(), "Resources: 2 added, 0 changed, 0 destroyed.")
			w.planIsClean()
			a := alarm(t)
			if a == nil || aws.ToString(a.MetricName) != "Throttles" || aws.ToString(a.Namespace) != "AWS/Lambda" || aws.ToInt32(a.Period) != 60 ||
				len(a.Dimensions) != 1 || aws.ToString(a.Dimensions[0].Value) != "tf-alarm" {
				t.Errorf("alarm = %+v", a)
			}
			// Provider 5.100.0's SDK sends CloudWatch the query protocol.
			query := 0
			for _, e := range rec.exchanges() {
				if e.Path == "/" && e.Action == "PutMetricAlarm" {
					query++
				}
			}
			if query != 1 {
				t.Errorf("the provider sent %d query-protocol PutMetricAlarm requests, want 1:\n%s", query, rec.dump())
			}
		}},
		{"ChangePeriod", func(t *testing.T, w *workdir) {
			conf.Period = 300
			w.writeFile("main.tf", render(t, alarmHCL, conf))
			changes, _ := w.applyJSON()
			wantChanges(t, changes, map[string]string{addr: "update"})
			w.planIsClean()
			if a := alarm(t); a == nil || aws.ToInt32(a.Period) != 300 {
				t.Errorf("alarm after the change = %+v", a)
			}
		}},
		{"Import", func(t *testing.T, w *workdir) {
			w.must("state", "rm", addr)
			w.must("import", "-input=false", "-no-color", addr, "tf-alarm-throttles")
			w.planIsClean()
		}},
		{"Destroy", func(t *testing.T, w *workdir) {
			wantOutput(t, w.must("destroy", "-auto-approve", "-input=false", "-no-color"), "Resources: 2 destroyed.")
			if a := alarm(t); a != nil {
				t.Errorf("the alarm outlived destroy: %+v", a)
			}
		}},
	}
	for _, st := range steps {
		if !t.Run(st.name, func(t *testing.T) { st.f(t, w.bind(t)) }) {
			t.Logf("exchanges:\n%s", rec.dump())
			t.FailNow()
		}
	}
}

// testLifecycle applies the configuration, imports both configs
// again (CLI and import block), changes the provisioned concurrency, drops a
// config with skip_destroy, and destroys the rest, checking Reservoir through the
// SDK after each step. The steps depend on each other: the first failure
// stops the sequence.
func testLifecycle(t *testing.T, tc *toolchain) {
	srv := reservoirtest.Start(t)
	rec := newRecorder(t, srv.URL)
	lc := lambda.NewFromConfig(srv.AWSConfig(t))
	ic := iam.NewFromConfig(srv.AWSConfig(t))
	w := tc.workdir(t)
	conf := lifecycleConfig{
		Endpoint:            rec.URL,
		Zip:                 w.writeZip("function.zip"),
		AliasFunction:       "tf-by-alias",
		VersionFunction:     "tf-by-version",
		AliasProvisioned:    2,
		VersionProvisioned:  1,
		ManageVersionConfig: true,
	}
	const (
		byAlias   = "aws_lambda_provisioned_concurrency_config.by_alias"
		byVersion = "aws_lambda_provisioned_concurrency_config.by_version"
	)
	step := func(name string, f func(t *testing.T, w *workdir)) {
		if !t.Run(name, func(t *testing.T) {
			w := w.bind(t)
			w.writeFile("main.tf", render(t, lifecycleHCL, conf))
			f(t, w)
		}) {
			t.FailNow()
		}
	}
	defer rec.checkNoServerErrors(t)

	step("Apply", func(t *testing.T, w *workdir) {
		w.must("init", "-input=false", "-no-color")
		out := w.apply()
		wantOutput(t, out, "Resources: 6 added, 0 changed, 0 destroyed.")

		role, err := ic.GetRole(t.Context(), &iam.GetRoleInput{RoleName: aws.String("reservoir-tf-lambda")})
		if err != nil {
			t.Fatalf("GetRole: %v", err)
		}
		if got, want := aws.ToString(role.Role.Arn), "arn:aws:iam::"+account+":role/reservoir-tf-lambda"; got != want {
			t.Errorf("role ARN = %s, want %s", got, want)
		}
		for _, fn := range []string{conf.AliasFunction, conf.VersionFunction} {
			wantReserved(t, lc, fn, 10)
			got, err := lc.GetFunction(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
			if err != nil {
				t.Fatalf("GetFunction %s: %v", fn, err)
			}
			if r := aws.ToString(got.Configuration.Role); r != aws.ToString(role.Role.Arn) {
				t.Errorf("%s: role = %s, want the role Terraform made", fn, r)
			}
		}
		alias, err := lc.GetAlias(t.Context(), &lambda.GetAliasInput{FunctionName: aws.String(conf.AliasFunction), Name: aws.String("live")})
		if err != nil {
			t.Fatalf("GetAlias: %v", err)
		}
		if v := aws.ToString(alias.FunctionVersion); v != "1" {
			t.Errorf("alias live points at version %q, want 1 (publish = true)", v)
		}
		// Terraform waits for READY: the configs are ready when apply returns.
		wantProvisioned(t, lc, conf.AliasFunction, "live", 2)
		wantProvisioned(t, lc, conf.VersionFunction, "1", 1)
	})

	step("PlanIsClean", func(t *testing.T, w *workdir) {
		w.planIsClean()
	})

	step("ImportCLI", func(t *testing.T, w *workdir) {
		w.must("state", "rm", "-no-color", byVersion)
		mark := rec.mark()
		out := w.must("import", "-input=false", "-no-color", byVersion, conf.VersionFunction+",1")
		wantOutput(t, out, "Import successful!")
		wantRequest(t, rec.since(mark), "GET", "/2019-09-30/functions/"+conf.VersionFunction+"/provisioned-concurrency", "Qualifier=1")
		// The clean plan after ImportBlock covers this import too.
	})

	step("ImportBlock", func(t *testing.T, w *workdir) {
		w.must("state", "rm", "-no-color", byAlias)
		conf.ImportAliasConfig = true
		w.writeFile("main.tf", render(t, lifecycleHCL, conf))
		out := w.apply()
		wantOutput(t, out, "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.")
		wantOutput(t, out, "Resources: 1 imported, 0 added, 0 changed, 0 destroyed.")
		// Both imported configs read back exactly as configured.
		w.planIsClean()
		conf.ImportAliasConfig = false
	})

	// The imports come first: skip_destroy is not read from AWS, so an
	// imported config has it unset. This step also turns it on for
	// by_version, for the next step.
	step("UpdateProvisioned", func(t *testing.T, w *workdir) {
		conf.AliasProvisioned, conf.VersionProvisioned = 4, 3
		conf.VersionSkipDestroy = true
		w.writeFile("main.tf", render(t, lifecycleHCL, conf))
		changes, summary := w.planJSON()
		wantChanges(t, changes, map[string]string{byAlias: "update", byVersion: "update"})
		if summary != (planSummary{Change: 2}) {
			t.Errorf("plan summary = %+v, want 2 to change and nothing else", summary)
		}
		mark := rec.mark()
		w.must("apply", "-input=false", "-no-color", "tfplan")
		wantRequest(t, rec.since(mark), "PUT", "/2019-09-30/functions/"+conf.AliasFunction+"/provisioned-concurrency", "Qualifier=live")
		wantRequest(t, rec.since(mark), "PUT", "/2019-09-30/functions/"+conf.VersionFunction+"/provisioned-concurrency", "Qualifier=1")
		wantProvisioned(t, lc, conf.AliasFunction, "live", 4)
		wantProvisioned(t, lc, conf.VersionFunction, "1", 3)
		w.planIsClean()
	})

	// skip_destroy only matters when Terraform destroys the config while its
	// function stays: destroying the function removes its configs in AWS
	// too. So the by_version block is removed from the configuration (the
	// usual way to stop managing a resource): Terraform plans a destroy, and
	// with skip_destroy = true it must only forget the config.
	step("SkipDestroy", func(t *testing.T, w *workdir) {
		conf.ManageVersionConfig = false
		w.writeFile("main.tf", render(t, lifecycleHCL, conf))
		mark := rec.mark()
		wantOutput(t, w.apply(), "Resources: 0 added, 0 changed, 1 destroyed.")
		for _, e := range rec.since(mark) {
			if e.Method == "DELETE" {
				t.Errorf("skip_destroy = true, yet the provider sent %s", e)
			}
		}
		wantProvisioned(t, lc, conf.VersionFunction, "1", 3)
		wantProvisioned(t, lc, conf.AliasFunction, "live", 4)
	})

	step("Destroy", func(t *testing.T, w *workdir) {
		out := w.must("destroy", "-auto-approve", "-input=false", "-no-color")
		wantOutput(t, out, "Resources: 5 destroyed.")

		list, err := lc.ListFunctions(t.Context(), &lambda.ListFunctionsInput{})
		if err != nil {
			t.Fatalf("ListFunctions: %v", err)
		}
		if len(list.Functions) != 0 {
			t.Errorf("ListFunctions after destroy: %d functions, want none", len(list.Functions))
		}
		for _, fn := range []string{conf.AliasFunction, conf.VersionFunction} {
			_, err := lc.GetFunction(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
			var nf *types.ResourceNotFoundException
			if !errors.As(err, &nf) {
				t.Errorf("GetFunction %s after destroy: err = %v, want ResourceNotFoundException", fn, err)
			}
		}
		// The config kept by skip_destroy went with its function.
		_, err = lc.GetProvisionedConcurrencyConfig(t.Context(), &lambda.GetProvisionedConcurrencyConfigInput{
			FunctionName: aws.String(conf.VersionFunction), Qualifier: aws.String("1"),
		})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("GetProvisionedConcurrencyConfig after destroy: err = %v, want ResourceNotFoundException", err)
		}
		_, err = ic.GetRole(t.Context(), &iam.GetRoleInput{RoleName: aws.String("reservoir-tf-lambda")})
		var nse *iamtypes.NoSuchEntityException
		if !errors.As(err, &nse) {
			t.Errorf("GetRole after destroy: err = %v, want NoSuchEntity", err)
		}
	})
}

// testReserved moves reserved_concurrent_executions 10 → 20 → 0 → unset and
// checks that each value reaches Reservoir and reads back without drift.
func testReserved(t *testing.T, tc *toolchain) {
	srv := reservoirtest.Start(t)
	rec := newRecorder(t, srv.URL)
	lc := lambda.NewFromConfig(srv.AWSConfig(t))
	w := tc.workdir(t)
	conf := reservedConfig{Endpoint: rec.URL, Zip: w.writeZip("function.zip"), Function: "tf-reserved", Reserved: 10}
	const addr = "aws_lambda_function.example"
	step := func(name string, f func(t *testing.T, w *workdir)) {
		if !t.Run(name, func(t *testing.T) {
			w := w.bind(t)
			w.writeFile("main.tf", render(t, reservedHCL, conf))
			f(t, w)
		}) {
			t.FailNow()
		}
	}
	defer rec.checkNoServerErrors(t)

	step("Create10", func(t *testing.T, w *workdir) {
		w.must("init", "-input=false", "-no-color")
		wantOutput(t, w.apply(), "Resources: 1 added, 0 changed, 0 destroyed.")
		wantReserved(t, lc, conf.Function, 10)
	})

	// change applies a new value, whose plan must be exactly one in-place
	// update of the function, then checks for drift.
	change := func(t *testing.T, w *workdir, reserved int) {
		t.Helper()
		conf.Reserved = reserved
		w.writeFile("main.tf", render(t, reservedHCL, conf))
		changes, summary := w.applyJSON()
		wantChanges(t, changes, map[string]string{addr: "update"})
		if summary != (planSummary{Change: 1}) {
			t.Errorf("plan summary = %+v, want 1 to change and nothing else", summary)
		}
		w.planIsClean()
	}

	step("Update20", func(t *testing.T, w *workdir) {
		change(t, w, 20)
		wantReserved(t, lc, conf.Function, 20)
		wantUnreserved(t, lc, 1000-20)
	})

	// 0 is a valid reservation (every invoke throttles); it must not read
	// back as "no reservation".
	step("Update0", func(t *testing.T, w *workdir) {
		change(t, w, 0)
		wantReserved(t, lc, conf.Function, 0)
	})

	step("Remove", func(t *testing.T, w *workdir) {
		mark := rec.mark()
		change(t, w, -1)
		wantRequest(t, rec.since(mark), "DELETE", "/2017-10-31/functions/"+conf.Function+"/concurrency", "")
		got, err := lc.GetFunctionConcurrency(t.Context(), &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(conf.Function)})
		if err != nil {
			t.Fatalf("GetFunctionConcurrency: %v", err)
		}
		if got.ReservedConcurrentExecutions != nil {
			t.Errorf("reservation after removing the attribute = %d, want none", *got.ReservedConcurrentExecutions)
		}
		fn, err := lc.GetFunction(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(conf.Function)})
		if err != nil {
			t.Fatalf("GetFunction: %v", err)
		}
		if fn.Concurrency != nil {
			t.Errorf("GetFunction shows Concurrency %+v, want none", fn.Concurrency)
		}
		wantUnreserved(t, lc, 1000)
	})
}

// testLogging moves a function's logging_config from none to JSON (AWS's
// INFO levels filled in), to JSON with levels and a group of its own, and
// back to Text, checking each step reaches Reservoir and plans clean.
func testLogging(t *testing.T, tc *toolchain) {
	srv := reservoirtest.Start(t)
	rec := newRecorder(t, srv.URL)
	lc := lambda.NewFromConfig(srv.AWSConfig(t))
	w := tc.workdir(t)
	conf := loggingConfig{Endpoint: rec.URL, Zip: w.writeZip("function.zip"), Function: "tf-logging"}
	const addr = "aws_lambda_function.example"
	defer rec.checkNoServerErrors(t)
	steps := []struct {
		name                         string
		format, app, system, group   string
		wantApp, wantSystem, wantGrp string
	}{
		{"Default", "", "", "", "", "", "", "/aws/lambda/tf-logging"},
		{"JSON", "JSON", "", "", "", "INFO", "INFO", "/aws/lambda/tf-logging"},
		{"JSONLevelsAndGroup", "JSON", "DEBUG", "WARN", "/team/tf-logging", "DEBUG", "WARN", "/team/tf-logging"},
		{"Text", "Text", "", "", "/aws/lambda/tf-logging", "", "", "/aws/lambda/tf-logging"},
	}
	for i, st := range steps {
		if !t.Run(st.name, func(t *testing.T) {
			w := w.bind(t)
			conf.Format, conf.AppLevel, conf.SystemLevel, conf.Group = st.format, st.app, st.system, st.group
			w.writeFile("main.tf", render(t, loggingHCL, conf))
			if i == 0 {
				w.must("init", "-input=false", "-no-color")
				wantOutput(t, w.apply(), "Resources: 1 added, 0 changed, 0 destroyed.")
			} else {
				changes, summary := w.applyJSON()
				wantChanges(t, changes, map[string]string{addr: "update"})
				if summary != (planSummary{Change: 1}) {
					t.Errorf("plan summary = %+v, want 1 to change and nothing else", summary)
				}
			}
			w.planIsClean()
			fn, err := lc.GetFunction(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(conf.Function)})
			if err != nil {
				t.Fatalf("GetFunction: %v", err)
			}
			got := fn.Configuration.LoggingConfig
			wantFormat := types.LogFormat(st.format)
			if wantFormat == "" {
				wantFormat = types.LogFormatText
			}
			if got == nil || got.LogFormat != wantFormat || string(got.ApplicationLogLevel) != st.wantApp ||
				string(got.SystemLogLevel) != st.wantSystem || aws.ToString(got.LogGroup) != st.wantGrp {
				t.Errorf("LoggingConfig = %+v, want %s %q %q %s", got, wantFormat, st.wantApp, st.wantSystem, st.wantGrp)
			}
		}) {
			t.FailNow()
		}
	}
}

func wantOutput(t *testing.T, out, want string) {
	t.Helper()
	if !strings.Contains(out, want) {
		t.Errorf("terraform output lacks %q:\n%s", want, out)
	}
}

// wantChanges asserts the exact set of planned changes (address → action).
func wantChanges(t *testing.T, got []plannedChange, want map[string]string) {
	t.Helper()
	seen := map[string]string{}
	for _, c := range got {
		seen[c.Address] = c.Action
	}
	for addr, action := range want {
		if seen[addr] != action {
			t.Errorf("plan: %s action = %q, want %q", addr, seen[addr], action)
		}
	}
	for addr, action := range seen {
		if _, ok := want[addr]; !ok {
			t.Errorf("plan: unexpected %s of %s", action, addr)
		}
	}
}

// wantRequest asserts that the provider sent a request with this method and
// path (and query, when not empty).
func wantRequest(t *testing.T, log []exchange, method, path, query string) {
	t.Helper()
	if !slices.ContainsFunc(log, func(e exchange) bool {
		return e.Method == method && e.Path == path && (query == "" || e.Query == query)
	}) {
		t.Errorf("provider sent no %s %s?%s; it sent:\n%v", method, path, query, log)
	}
}

func wantReserved(t *testing.T, lc *lambda.Client, fn string, n int32) {
	t.Helper()
	got, err := lc.GetFunctionConcurrency(t.Context(), &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(fn)})
	if err != nil {
		t.Fatalf("GetFunctionConcurrency %s: %v", fn, err)
	}
	if got.ReservedConcurrentExecutions == nil || *got.ReservedConcurrentExecutions != n {
		t.Errorf("%s: reserved concurrency = %v, want %d", fn, got.ReservedConcurrentExecutions, n)
	}
}

func wantUnreserved(t *testing.T, lc *lambda.Client, n int32) {
	t.Helper()
	got, err := lc.GetAccountSettings(t.Context(), &lambda.GetAccountSettingsInput{})
	if err != nil {
		t.Fatalf("GetAccountSettings: %v", err)
	}
	if got.AccountLimit == nil || aws.ToInt32(got.AccountLimit.UnreservedConcurrentExecutions) != n {
		t.Errorf("UnreservedConcurrentExecutions = %+v, want %d", got.AccountLimit, n)
	}
}

// wantProvisioned asserts a READY config with n environments requested,
// allocated and available.
func wantProvisioned(t *testing.T, lc *lambda.Client, fn, qualifier string, n int32) {
	t.Helper()
	got, err := lc.GetProvisionedConcurrencyConfig(t.Context(), &lambda.GetProvisionedConcurrencyConfigInput{
		FunctionName: aws.String(fn), Qualifier: aws.String(qualifier),
	})
	if err != nil {
		t.Fatalf("GetProvisionedConcurrencyConfig %s:%s: %v", fn, qualifier, err)
	}
	if got.Status != types.ProvisionedConcurrencyStatusEnumReady ||
		aws.ToInt32(got.RequestedProvisionedConcurrentExecutions) != n ||
		aws.ToInt32(got.AllocatedProvisionedConcurrentExecutions) != n ||
		aws.ToInt32(got.AvailableProvisionedConcurrentExecutions) != n {
		t.Errorf("%s:%s: status %s requested %d allocated %d available %d, want READY with %d",
			fn, qualifier, got.Status, aws.ToInt32(got.RequestedProvisionedConcurrentExecutions),
			aws.ToInt32(got.AllocatedProvisionedConcurrentExecutions), aws.ToInt32(got.AvailableProvisionedConcurrentExecutions), n)
	}
}
