package storetest

import (
	"time"

	"github.com/reservoir-dev/reservoir/internal/iam"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// FullFunction returns a function with every field set to a non-zero value:
// three published versions, aliases with and without routing weights, a
// reservation, provisioned configs carrying live state (which a store must not
// persist), tags, environment variables, and times with nanoseconds in a
// non-UTC zone. Each call returns fresh values.
func FullFunction(scope lambda.Scope, name string) *lambda.Function {
	zone := time.FixedZone("UTC+2", 2*60*60)
	base := time.Date(2024, 5, 17, 9, 30, 15, 123456789, zone)
	reserved := 7
	zero, one, maxAge := 0, 1, 21600
	yes, corsAge := true, 600
	config := func(version string, n int) lambda.Config {
		return lambda.Config{
			Version:          version,
			Description:      "version " + version + " of " + name,
			Runtime:          "python3.12",
			Handler:          "app.handler",
			Role:             "arn:aws:iam::" + scope.Account + ":role/" + name + "-role",
			MemorySize:       128 * (n + 1),
			Timeout:          3 + n,
			EphemeralStorage: 512 + n,
			Architectures:    []string{"x86_64"},
			PackageType:      "Zip",
			Environment:      map[string]string{"STAGE": "v" + version, "EMPTY": "", "N": string(rune('0' + n))},
			TracingMode:      "PassThrough",
			Logging:          lambda.Logging{Format: lambda.LogFormatText, LogGroup: "/custom/" + name + "/" + version},
			CodeSha256:       "c2hhMjU2LW9mLXZlcnNpb24t/" + version + "+=",
			CodeSize:         int64(1000 + n),
			Layers: []lambda.LayerRef{
				{Arn: scope.LayerARN("deps") + ":" + version, CodeSha256: "bGF5ZXI=/" + version, CodeSize: int64(10 + n)},
				{Arn: scope.LayerARN("tools") + ":1", CodeSha256: "dG9vbHM=", CodeSize: 7},
			},
			Vpc:               &lambda.VpcConfig{SubnetIDs: []string{"subnet-1", "subnet-2"}, SecurityGroupIDs: []string{"sg-" + version}, IPv6DualStack: n%2 == 0},
			DeadLetterTarget:  "arn:aws:sqs:" + scope.Region + ":" + scope.Account + ":dlq-" + name,
			SnapStartApplyOn:  "PublishedVersions",
			FileSystems:       []lambda.FileSystem{{Arn: "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0", LocalMountPath: "/mnt/efs"}},
			KMSKeyArn:         "arn:aws:kms:" + scope.Region + ":" + scope.Account + ":key/" + version,
			RuntimeUpdateOn:   "Manual",
			RuntimeVersionArn: "arn:aws:lambda:" + scope.Region + "::runtime:abc" + version,
			LastModified:      base.Add(time.Duration(n) * time.Hour),
			RevisionID:        "rev-" + version,
		}
	}
	latest := config(lambda.LatestVersion, 9)
	latest.Architectures = []string{"arm64"}
	latest.TracingMode = "Active"
	latest.Logging = lambda.Logging{Format: lambda.LogFormatJSON, ApplicationLogLevel: "TRACE", SystemLogLevel: "WARN",
		LogGroup: "/aws/lambda/" + name + "-json"}
	return &lambda.Function{
		Scope:       scope,
		Name:        name,
		Latest:      latest,
		Versions:    []lambda.Config{config("1", 1), config("2", 2), config("4", 4)},
		LastVersion: 5, // version 5 was published and deleted
		Aliases: map[string]*lambda.Alias{
			"live": {
				Name:                     "live",
				FunctionVersion:          "4",
				Description:              "production",
				RevisionID:               "alias-rev-live",
				AdditionalVersionWeights: map[string]float64{"2": 0.25},
			},
			"canary": {
				Name:                     "canary",
				FunctionVersion:          "2",
				Description:              "canary",
				RevisionID:               "alias-rev-canary",
				AdditionalVersionWeights: map[string]float64{"1": 0.1, "4": 0.333333333333},
			},
			"dev": {
				Name:            "dev",
				FunctionVersion: lambda.LatestVersion,
				RevisionID:      "alias-rev-dev",
			},
		},
		ReservedConcurrency: &reserved,
		Provisioned: map[string]*lambda.ProvisionedConfig{
			"1": {
				Qualifier:    "1",
				Requested:    2,
				LastModified: base.Add(10 * time.Minute),
				Status:       lambda.ProvisionedReady,
				Allocated:    2,
				Available:    1,
			},
			"live": {
				Qualifier:    "live",
				Requested:    5,
				LastModified: base.Add(20 * time.Minute),
				Status:       lambda.ProvisionedFailed,
				StatusReason: "FUNCTION_ERROR_INIT_FAILURE",
				Allocated:    3,
				Available:    3,
			},
		},
		Tags:          map[string]string{"team": "platform", "cost-center": "42", "empty": ""},
		RecursiveLoop: "Allow",
		EventInvoke: map[string]*lambda.EventInvokeConfig{
			lambda.LatestVersion: {
				Qualifier:                lambda.LatestVersion,
				MaximumRetryAttempts:     &zero,
				MaximumEventAgeInSeconds: &maxAge,
				OnSuccess:                "arn:aws:lambda:" + scope.Region + ":" + scope.Account + ":function:on-success",
				OnFailure:                "arn:aws:sqs:" + scope.Region + ":" + scope.Account + ":failures",
				LastModified:             base.Add(30 * time.Minute),
			},
			"live": {
				Qualifier:            "live",
				MaximumRetryAttempts: &one,
				LastModified:         base.Add(40 * time.Minute),
			},
		},
		Policies: map[string][]lambda.Statement{
			lambda.LatestVersion: {
				{Sid: "s3", Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com",
					SourceArn: "arn:aws:s3:::bucket", SourceAccount: scope.Account},
				{Sid: "xaccount", Action: "lambda:*", Principal: "210987654321", PrincipalOrgID: "o-abcdefghij",
					EventSourceToken: "tok.en", InvokedViaFunctionURL: true},
			},
			"live": {
				{Sid: "url", Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionURLAuthType: "NONE"},
			},
		},
		URLs: map[string]*lambda.FunctionURLConfig{
			lambda.LatestVersion: {
				Qualifier:  lambda.LatestVersion,
				URLID:      lambda.NewURLID(scope, name, lambda.LatestVersion),
				AuthType:   lambda.URLAuthNone,
				InvokeMode: lambda.InvokeModeBuf,
				Cors: &lambda.Cors{AllowCredentials: &yes, AllowHeaders: []string{"x-custom", "content-type"},
					AllowMethods: []string{"GET", "POST"}, AllowOrigins: []string{"https://example.com", "*"},
					ExposeHeaders: []string{"x-request-id"}, MaxAge: &corsAge},
				CreationTime:     base.Add(50 * time.Minute),
				LastModifiedTime: base.Add(55 * time.Minute),
			},
			"live": {
				Qualifier:        "live",
				URLID:            lambda.NewURLID(scope, name, "live"),
				AuthType:         lambda.URLAuthIAM,
				InvokeMode:       lambda.InvokeModeStream,
				CreationTime:     base.Add(60 * time.Minute),
				LastModifiedTime: base.Add(60 * time.Minute),
			},
		},
	}
}

// FullRole returns a role with every field set to a non-zero value: tags,
// two inline policies, and three managed policies attached out of ARN order
// (a store must keep the attach order). Each call returns fresh values.
func FullRole(account, name string) iam.Role {
	return iam.Role{
		Account:                  account,
		Name:                     name,
		ID:                       "AROA" + account + name,
		Path:                     "/service-role/lambda/",
		AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		Description:              "role " + name,
		MaxSessionDuration:       7200,
		CreateDate:               time.Date(2023, 11, 2, 14, 0, 1, 987654321, time.FixedZone("UTC-5", -5*60*60)),
		Tags:                     map[string]string{"owner": "ops", "env": "test"},
		InlinePolicies: map[string]string{
			"logs":  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`,
			"empty": `{"Statement":[]}`,
		},
		AttachedPolicies: []string{
			"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
			"arn:aws:iam::" + account + ":policy/app/" + name,
			"arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
		},
	}
}

// FullPolicy returns a customer managed policy with every field set to a
// non-zero value: three versions out of id order (a store must keep their
// order), the default not the last, and tags. Each call returns fresh values.
func FullPolicy(account, name string) iam.ManagedPolicy {
	created := time.Date(2024, 2, 3, 4, 5, 6, 700000000, time.FixedZone("UTC+2", 2*60*60))
	return iam.ManagedPolicy{
		Account:          account,
		Name:             name,
		ID:               "ANPA" + account + name,
		Path:             "/app/" + name + "/",
		Description:      "policy " + name,
		CreateDate:       created,
		UpdateDate:       created.Add(2 * time.Hour),
		DefaultVersionID: "v4",
		Versions: []iam.PolicyVersion{
			{ID: "v1", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`, CreateDate: created},
			{ID: "v4", Document: "{\n  \"Statement\": {\"Effect\": \"Deny\", \"Action\": \"s3:*\", \"Resource\": \"*\"}\n}", CreateDate: created.Add(time.Hour)},
			{ID: "v3", Document: `{"Statement":[{"Effect":"Allow","Action":"sqs:ReceiveMessage","Resource":"arn:aws:sqs:*:*:q"}]}`, CreateDate: created.Add(2 * time.Hour)},
		},
		NextVersion: 5,
		Tags:        map[string]string{"owner": "ops", "empty": ""},
	}
}
