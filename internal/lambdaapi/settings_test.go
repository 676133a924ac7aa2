package lambdaapi_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// TestSDKSettingsKept: every setting CreateFunction and
// UpdateFunctionConfiguration take is stored and shown back as AWS shows
// it, in both answers and in GetFunction, across a restart; published
// versions keep theirs; bad values are refused and change nothing.
func TestSDKSettingsKept(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", DataDir: dir})
	c := sdkClient(t, srv)
	const dlq = "arn:aws:sqs:us-east-1:123456789012:dlq"
	const efs = "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0"
	const kms = "arn:aws:kms:us-east-1:123456789012:key/1234"
	out, err := c.CreateFunction(ctx, &awslambda.CreateFunctionInput{
		FunctionName: aws.String("s"), Runtime: types.RuntimePython312, Handler: aws.String("handler.handler"),
		Role: aws.String(callerRole(t, c)), Code: &types.FunctionCode{ZipFile: zipOf(t, echoZip)},
		VpcConfig:         &types.VpcConfig{SubnetIds: []string{"subnet-b", "subnet-a"}, SecurityGroupIds: []string{"sg-1"}, Ipv6AllowedForDualStack: aws.Bool(true)},
		DeadLetterConfig:  &types.DeadLetterConfig{TargetArn: aws.String(dlq)},
		TracingConfig:     &types.TracingConfig{Mode: types.TracingModeActive},
		SnapStart:         &types.SnapStart{ApplyOn: types.SnapStartApplyOnPublishedVersions},
		EphemeralStorage:  &types.EphemeralStorage{Size: aws.Int32(2048)},
		FileSystemConfigs: []types.FileSystemConfig{{Arn: aws.String(efs), LocalMountPath: aws.String("/mnt/data")}},
		KMSKeyArn:         aws.String(kms),
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, cfg *types.FunctionConfiguration, snapStatus types.SnapStartOptimizationStatus) {
		t.Helper()
		if cfg.VpcConfig == nil || !slices.Equal(cfg.VpcConfig.SubnetIds, []string{"subnet-b", "subnet-a"}) ||
			!slices.Equal(cfg.VpcConfig.SecurityGroupIds, []string{"sg-1"}) || !strings.HasPrefix(aws.ToString(cfg.VpcConfig.VpcId), "vpc-") ||
			len(aws.ToString(cfg.VpcConfig.VpcId)) != 21 || !aws.ToBool(cfg.VpcConfig.Ipv6AllowedForDualStack) {
			t.Errorf("%s: VpcConfig %+v", what, cfg.VpcConfig)
		}
		if cfg.DeadLetterConfig == nil || aws.ToString(cfg.DeadLetterConfig.TargetArn) != dlq {
			t.Errorf("%s: DeadLetterConfig %+v", what, cfg.DeadLetterConfig)
		}
		if cfg.TracingConfig == nil || cfg.TracingConfig.Mode != types.TracingModeActive {
			t.Errorf("%s: TracingConfig %+v", what, cfg.TracingConfig)
		}
		if cfg.SnapStart == nil || cfg.SnapStart.ApplyOn != types.SnapStartApplyOnPublishedVersions || cfg.SnapStart.OptimizationStatus != snapStatus {
			t.Errorf("%s: SnapStart %+v", what, cfg.SnapStart)
		}
		if cfg.EphemeralStorage == nil || aws.ToInt32(cfg.EphemeralStorage.Size) != 2048 {
			t.Errorf("%s: EphemeralStorage %+v", what, cfg.EphemeralStorage)
		}
		if len(cfg.FileSystemConfigs) != 1 || aws.ToString(cfg.FileSystemConfigs[0].Arn) != efs || aws.ToString(cfg.FileSystemConfigs[0].LocalMountPath) != "/mnt/data" {
			t.Errorf("%s: FileSystemConfigs %+v", what, cfg.FileSystemConfigs)
		}
		if aws.ToString(cfg.KMSKeyArn) != kms {
			t.Errorf("%s: KMSKeyArn %q", what, aws.ToString(cfg.KMSKeyArn))
		}
	}
	check("create", &types.FunctionConfiguration{VpcConfig: out.VpcConfig, DeadLetterConfig: out.DeadLetterConfig, TracingConfig: out.TracingConfig,
		SnapStart: out.SnapStart, EphemeralStorage: out.EphemeralStorage, FileSystemConfigs: out.FileSystemConfigs, KMSKeyArn: out.KMSKeyArn},
		types.SnapStartOptimizationStatusOff)
	v, err := c.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: aws.String("s")})
	if err != nil {
		t.Fatal(err)
	}
	if v.SnapStart == nil || v.SnapStart.OptimizationStatus != types.SnapStartOptimizationStatusOn {
		t.Errorf("published version SnapStart %+v", v.SnapStart)
	}

	// Refusals change nothing.
	for _, bad := range []*awslambda.UpdateFunctionConfigurationInput{
		{DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String("not-an-arn")}},
		{SnapStart: &types.SnapStart{ApplyOn: "Always"}},
		{EphemeralStorage: &types.EphemeralStorage{Size: aws.Int32(511)}},
		{FileSystemConfigs: []types.FileSystemConfig{{Arn: aws.String(efs), LocalMountPath: aws.String("/data")}}},
		{Runtime: types.RuntimeNodejs20x}, // SnapStart is not for Node.js
	} {
		bad.FunctionName = aws.String("s")
		if _, err := c.UpdateFunctionConfiguration(ctx, bad); err == nil {
			t.Errorf("update %+v accepted", bad)
		}
	}
	_, err = c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("s"), Runtime: types.RuntimeNodejs20x})
	wantAPIError(t, "SnapStart runtime", err, "InvalidParameterValueException", "nodejs20.x is not supported for SnapStart enabled functions.")

	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	srv = reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate", DataDir: dir})
	c = sdkClient(t, srv)
	got, err := c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("s")})
	if err != nil {
		t.Fatal(err)
	}
	check("after a restart", got.Configuration, types.SnapStartOptimizationStatusOff)

	// Clearing: the VPC shows emptied, the dead-letter target and file systems go.
	up, err := c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("s"),
		VpcConfig: &types.VpcConfig{SubnetIds: []string{}, SecurityGroupIds: []string{}}, DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String("")},
		FileSystemConfigs: []types.FileSystemConfig{}, SnapStart: &types.SnapStart{ApplyOn: types.SnapStartApplyOnNone}})
	if err != nil {
		t.Fatal(err)
	}
	if up.VpcConfig == nil || len(up.VpcConfig.SubnetIds) != 0 || aws.ToString(up.VpcConfig.VpcId) != "" || up.DeadLetterConfig != nil ||
		len(up.FileSystemConfigs) != 0 || up.SnapStart.ApplyOn != types.SnapStartApplyOnNone {
		t.Errorf("cleared: vpc %+v dlq %+v fs %+v snap %+v", up.VpcConfig, up.DeadLetterConfig, up.FileSystemConfigs, up.SnapStart)
	}
	v1, err := c.GetFunctionConfiguration(ctx, &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String("s"), Qualifier: aws.String("1")})
	if err != nil {
		t.Fatal(err)
	}
	check("version 1", &types.FunctionConfiguration{VpcConfig: v1.VpcConfig, DeadLetterConfig: v1.DeadLetterConfig, TracingConfig: v1.TracingConfig,
		SnapStart: v1.SnapStart, EphemeralStorage: v1.EphemeralStorage, FileSystemConfigs: v1.FileSystemConfigs, KMSKeyArn: v1.KMSKeyArn},
		types.SnapStartOptimizationStatusOn)
}

// TestSDKRuntimeManagementAndRecursion: the runtime management and
// recursion configurations are stored and answered.
func TestSDKRuntimeManagementAndRecursion(t *testing.T) {
	ctx := context.Background()
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Executor: "simulate"})
	c := sdkClient(t, srv)
	createFn(t, c, "rm", true)
	arn := "arn:aws:lambda:us-east-1:123456789012:function:rm"
	get, err := c.GetRuntimeManagementConfig(ctx, &awslambda.GetRuntimeManagementConfigInput{FunctionName: aws.String("rm")})
	if err != nil || get.UpdateRuntimeOn != types.UpdateRuntimeOnAuto || aws.ToString(get.FunctionArn) != arn {
		t.Fatalf("default: %+v %v", get, err)
	}
	rv := "arn:aws:lambda:us-east-1::runtime:0123456789abcdef"
	put, err := c.PutRuntimeManagementConfig(ctx, &awslambda.PutRuntimeManagementConfigInput{FunctionName: aws.String("rm"), Qualifier: aws.String("1"),
		UpdateRuntimeOn: types.UpdateRuntimeOnManual, RuntimeVersionArn: aws.String(rv)})
	if err != nil || put.UpdateRuntimeOn != types.UpdateRuntimeOnManual || aws.ToString(put.RuntimeVersionArn) != rv || aws.ToString(put.FunctionArn) != arn+":1" {
		t.Fatalf("put: %+v %v", put, err)
	}
	get, err = c.GetRuntimeManagementConfig(ctx, &awslambda.GetRuntimeManagementConfigInput{FunctionName: aws.String("rm"), Qualifier: aws.String("1")})
	if err != nil || get.UpdateRuntimeOn != types.UpdateRuntimeOnManual || aws.ToString(get.RuntimeVersionArn) != rv {
		t.Fatalf("get version 1: %+v %v", get, err)
	}
	get, err = c.GetRuntimeManagementConfig(ctx, &awslambda.GetRuntimeManagementConfigInput{FunctionName: aws.String("rm")})
	if err != nil || get.UpdateRuntimeOn != types.UpdateRuntimeOnAuto {
		t.Fatalf("$LATEST unchanged: %+v %v", get, err)
	}
	_, err = c.PutRuntimeManagementConfig(ctx, &awslambda.PutRuntimeManagementConfigInput{FunctionName: aws.String("rm"), UpdateRuntimeOn: types.UpdateRuntimeOnManual})
	wantAPIError(t, "manual without ARN", err, "InvalidParameterValueException", "RuntimeVersionArn")

	rec, err := c.GetFunctionRecursionConfig(ctx, &awslambda.GetFunctionRecursionConfigInput{FunctionName: aws.String("rm")})
	if err != nil || rec.RecursiveLoop != types.RecursiveLoopTerminate {
		t.Fatalf("recursion default: %+v %v", rec, err)
	}
	if _, err := c.PutFunctionRecursionConfig(ctx, &awslambda.PutFunctionRecursionConfigInput{FunctionName: aws.String("rm"), RecursiveLoop: types.RecursiveLoopAllow}); err != nil {
		t.Fatal(err)
	}
	rec, err = c.GetFunctionRecursionConfig(ctx, &awslambda.GetFunctionRecursionConfigInput{FunctionName: aws.String("rm")})
	if err != nil || rec.RecursiveLoop != types.RecursiveLoopAllow {
		t.Fatalf("recursion after put: %+v %v", rec, err)
	}
	_, err = c.PutFunctionRecursionConfig(ctx, &awslambda.PutFunctionRecursionConfigInput{FunctionName: aws.String("rm"), RecursiveLoop: "Sometimes"})
	wantAPIError(t, "bad loop", err, "ValidationException", "Member must satisfy enum value set: [Allow, Terminate]")
	_, err = c.PutFunctionRecursionConfig(ctx, &awslambda.PutFunctionRecursionConfigInput{FunctionName: aws.String("nope"), RecursiveLoop: types.RecursiveLoopAllow})
	wantAPIError(t, "missing function", err, "ResourceNotFoundException", "Function not found")
}

// TestSDKRuntimeNotRunnable: a java21 function is created, with a warning
// naming what is missing, and its Invoke error names it too.
func TestSDKRuntimeNotRunnable(t *testing.T) {
	var mu sync.Mutex
	var recs []slog.Record
	srv := reservoirtest.StartWith(t, reservoirtest.Options{Logger: slog.New(logRecords{mu: &mu, recs: &recs})})
	c := sdkClient(t, srv)
	ctx := context.Background()
	if _, err := c.CreateFunction(ctx, &awslambda.CreateFunctionInput{
		FunctionName: aws.String("j"), Runtime: types.RuntimeJava21, Handler: aws.String("example.Handler::handleRequest"),
		Role: aws.String(callerRole(t, c)), Code: &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"example/Handler.class": "x"})},
	}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	warned := false
	for _, r := range recs {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "missing" && strings.Contains(a.Value.String(), "Java runtime client") {
				warned = true
			}
			return true
		})
	}
	mu.Unlock()
	if !warned {
		t.Error("no warning naming the missing Java runtime client at CreateFunction")
	}
	_, err := c.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("j")})
	wantAPIError(t, "invoke java21", err, "InvalidRuntimeException", "missing a Java runtime client")
}
