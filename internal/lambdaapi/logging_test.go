package lambdaapi_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// wantLogging checks a configuration's LoggingConfig member.
func wantLogging(t *testing.T, what string, got *types.LoggingConfig, want types.LoggingConfig) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: no LoggingConfig", what)
		return
	}
	if got.LogFormat != want.LogFormat || got.ApplicationLogLevel != want.ApplicationLogLevel ||
		got.SystemLogLevel != want.SystemLogLevel || aws.ToString(got.LogGroup) != aws.ToString(want.LogGroup) {
		t.Errorf("%s: LoggingConfig {%s %q %q %s}, want {%s %q %q %s}", what,
			got.LogFormat, got.ApplicationLogLevel, got.SystemLogLevel, aws.ToString(got.LogGroup),
			want.LogFormat, want.ApplicationLogLevel, want.SystemLogLevel, aws.ToString(want.LogGroup))
	}
}

// TestSDKLoggingConfig: LoggingConfig as CreateFunction,
// UpdateFunctionConfiguration and the Get operations see it through the
// SDK: AWS's defaults, INFO levels for a bare JSON, levels refused with Text,
// the model's constraints, published versions keeping theirs, and all of it
// across a restart.
func TestSDKLoggingConfig(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{DataDir: dir, Executor: "simulate"})
	c := sdkClient(t, srv)
	create := func(name string, lc *types.LoggingConfig) (*lambda.CreateFunctionOutput, error) {
		return c.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name), Runtime: types.RuntimePython312, Handler: aws.String("handler.handler"),
			Role: aws.String(callerRole(t, c)), Code: &types.FunctionCode{ZipFile: zipOf(t, echoZip)}, LoggingConfig: lc,
		})
	}
	text := func(group string) types.LoggingConfig {
		return types.LoggingConfig{LogFormat: types.LogFormatText, LogGroup: aws.String(group)}
	}

	plain, err := create("plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantLogging(t, "create without LoggingConfig", plain.LoggingConfig, text("/aws/lambda/plain"))

	js, err := create("js", &types.LoggingConfig{LogFormat: types.LogFormatJson})
	if err != nil {
		t.Fatal(err)
	}
	jsonInfo := types.LoggingConfig{LogFormat: types.LogFormatJson, ApplicationLogLevel: types.ApplicationLogLevelInfo,
		SystemLogLevel: types.SystemLogLevelInfo, LogGroup: aws.String("/aws/lambda/js")}
	wantLogging(t, "create with JSON alone", js.LoggingConfig, jsonInfo)

	// Refusals change nothing and create nothing.
	var ipv *types.InvalidParameterValueException
	_, err = create("textlevel", &types.LoggingConfig{LogFormat: types.LogFormatText, ApplicationLogLevel: types.ApplicationLogLevelDebug})
	if !errors.As(err, &ipv) || !strings.Contains(aws.ToString(ipv.Message), `LogLevel is not supported when LogFormat is set to "Text"`) {
		t.Errorf("Text with a level: %v", err)
	}
	_, err = create("nolevel", &types.LoggingConfig{SystemLogLevel: types.SystemLogLevelWarn})
	if !errors.As(err, &ipv) {
		t.Errorf("a level without a format (Text by default): %v", err)
	}
	for _, bad := range []struct {
		lc    types.LoggingConfig
		field string
	}{
		{types.LoggingConfig{LogFormat: "json"}, "loggingConfig.logFormat"},
		{types.LoggingConfig{LogFormat: types.LogFormatJson, ApplicationLogLevel: "VERBOSE"}, "loggingConfig.applicationLogLevel"},
		{types.LoggingConfig{LogFormat: types.LogFormatJson, SystemLogLevel: "ERROR"}, "loggingConfig.systemLogLevel"},
		{types.LoggingConfig{LogGroup: aws.String("bad group!")}, "loggingConfig.logGroup"},
		{types.LoggingConfig{LogGroup: aws.String(strings.Repeat("g", 513))}, "loggingConfig.logGroup"},
	} {
		_, err := create("invalid", &bad.lc)
		if err == nil || !strings.Contains(err.Error(), "ValidationException") || !strings.Contains(err.Error(), "at '"+bad.field+"' failed to satisfy constraint") {
			t.Errorf("%+v: %v", bad.lc, err)
		}
	}
	if _, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("invalid")}); err == nil {
		t.Error("a refused CreateFunction created the function")
	}

	// Updates keep what they leave out; a level goes with JSON only.
	up, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("js"),
		LoggingConfig: &types.LoggingConfig{ApplicationLogLevel: types.ApplicationLogLevelDebug, LogGroup: aws.String("/team/js")}})
	if err != nil {
		t.Fatal(err)
	}
	jsonDebug := types.LoggingConfig{LogFormat: types.LogFormatJson, ApplicationLogLevel: types.ApplicationLogLevelDebug,
		SystemLogLevel: types.SystemLogLevelInfo, LogGroup: aws.String("/team/js")}
	wantLogging(t, "update of the level and group", up.LoggingConfig, jsonDebug)
	v1, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("js")})
	if err != nil {
		t.Fatal(err)
	}
	wantLogging(t, "published version", v1.LoggingConfig, jsonDebug)
	before, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("js")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("js"),
		LoggingConfig: &types.LoggingConfig{LogFormat: types.LogFormatText, SystemLogLevel: types.SystemLogLevelDebug}})
	if !errors.As(err, &ipv) {
		t.Errorf("update to Text with a level: %v", err)
	}
	after, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("js")})
	if err != nil || aws.ToString(after.Configuration.RevisionId) != aws.ToString(before.Configuration.RevisionId) {
		t.Errorf("a refused update changed the function: %v", err)
	}
	up, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("js"),
		LoggingConfig: &types.LoggingConfig{LogFormat: types.LogFormatText}})
	if err != nil {
		t.Fatal(err)
	}
	wantLogging(t, "update to Text", up.LoggingConfig, text("/team/js"))
	if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("js")}); err != nil {
		t.Fatal(err)
	}

	// Every read sees the same, and a restart keeps it.
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	c = sdkClient(t, reservoirtest.StartWith(t, reservoirtest.Options{DataDir: dir, Executor: "simulate"}))
	fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("js"), Qualifier: aws.String("1")})
	if err != nil {
		t.Fatal(err)
	}
	wantLogging(t, "GetFunction of version 1 after a restart", fn.Configuration.LoggingConfig, jsonDebug)
	cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("js")})
	if err != nil {
		t.Fatal(err)
	}
	wantLogging(t, "GetFunctionConfiguration of $LATEST after a restart", cfg.LoggingConfig, text("/team/js"))
	versions, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("js")})
	if err != nil || len(versions.Versions) != 3 {
		t.Fatalf("versions: %+v %v", versions, err)
	}
	wantLogging(t, "listed version 1", versions.Versions[1].LoggingConfig, jsonDebug)
	wantLogging(t, "listed version 2", versions.Versions[2].LoggingConfig, text("/team/js"))
	list, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range list.Functions {
		if aws.ToString(f.FunctionName) == "plain" {
			wantLogging(t, "listed plain", f.LoggingConfig, text("/aws/lambda/plain"))
		}
	}
}
