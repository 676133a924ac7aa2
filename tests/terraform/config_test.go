package terraform

import (
	"strings"
	"testing"
	"text/template"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/reservoir-dev/reservoir/reservoirtest"
)

// Account and region of every configuration: the provider signs with the
// access key, and Reservoir takes a 12-digit access key as the account.
const (
	account = "123456789012"
	region  = "us-east-1"
)

// providerSecret is providerHCL's secret_key.
const providerSecret = "reservoir"

// startSigV4 starts a server that checks every signature (--auth sigv4),
// knowing the account's secret as providerHCL has it, with o's other
// options; the SDK config it returns signs as the provider does.
func startSigV4(t *testing.T, o reservoirtest.Options) (*reservoirtest.Server, aws.Config) {
	t.Helper()
	o.Credentials = map[string]string{account: providerSecret}
	srv := reservoirtest.StartWith(t, o)
	cfg := srv.AWSConfig(t)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(account, providerSecret, "")
	return srv, cfg
}

// providerHCL points the AWS provider at endpoint for Lambda, IAM, STS and
// CloudWatch Logs.
const providerHCL = `terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region                      = "{{.Region}}"
  access_key                  = "{{.Account}}"
  secret_key                  = "reservoir" # providerSecret
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = false

  endpoints {
    lambda = "{{.Endpoint}}"
    iam    = "{{.Endpoint}}"
    sts    = "{{.Endpoint}}"
    logs       = "{{.Endpoint}}"
    cloudwatch = "{{.Endpoint}}"
    applicationautoscaling = "{{.Endpoint}}"
  }
}
`

// lifecycleHCL is the scenario of the issue: a role, two published
// functions with reserved concurrency, an alias, and the two examples of
// the aws_lambda_provisioned_concurrency_config documentation, one by alias
// name and one by function version. They sit on different functions because
// a version may carry only one provisioned config: on one function the
// version config and the alias (which points at that same, latest version)
// would conflict.
const lifecycleHCL = providerHCL + `
resource "aws_iam_role" "example" {
  name = "reservoir-tf-lambda"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Action    = "sts:AssumeRole"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })
}

resource "aws_lambda_function" "alias_example" {
  function_name                  = "{{.AliasFunction}}"
  role                           = aws_iam_role.example.arn
  handler                        = "index.handler"
  runtime                        = "python3.12"
  filename                       = "{{.Zip}}"
  source_code_hash               = filebase64sha256("{{.Zip}}")
  publish                        = true
  reserved_concurrent_executions = 10
}

resource "aws_lambda_alias" "example" {
  name             = "live"
  function_name    = aws_lambda_function.alias_example.function_name
  function_version = aws_lambda_function.alias_example.version
}

# Documentation example 1: by alias name.
resource "aws_lambda_provisioned_concurrency_config" "by_alias" {
  function_name                     = aws_lambda_alias.example.function_name
  provisioned_concurrent_executions = {{.AliasProvisioned}}
  qualifier                         = aws_lambda_alias.example.name
}

resource "aws_lambda_function" "version_example" {
  function_name                  = "{{.VersionFunction}}"
  role                           = aws_iam_role.example.arn
  handler                        = "index.handler"
  runtime                        = "python3.12"
  filename                       = "{{.Zip}}"
  source_code_hash               = filebase64sha256("{{.Zip}}")
  publish                        = true
  reserved_concurrent_executions = 10
}
{{if .ManageVersionConfig}}
# Documentation example 2: by function version.
resource "aws_lambda_provisioned_concurrency_config" "by_version" {
  function_name                     = aws_lambda_function.version_example.function_name
  provisioned_concurrent_executions = {{.VersionProvisioned}}
  qualifier                         = aws_lambda_function.version_example.version
{{- if .VersionSkipDestroy}}
  skip_destroy                      = true
{{- end}}
}
{{end}}
{{- if .ImportAliasConfig}}
import {
  to = aws_lambda_provisioned_concurrency_config.by_alias
  id = "{{.AliasFunction}},live"
}
{{end}}`

// lifecycleConfig fills lifecycleHCL.
type lifecycleConfig struct {
	shared
	Endpoint            string
	Zip                 string
	AliasFunction       string
	VersionFunction     string
	AliasProvisioned    int
	VersionProvisioned  int
	ManageVersionConfig bool // false: the by_version block is gone
	VersionSkipDestroy  bool
	ImportAliasConfig   bool // add an import block for by_alias
}

// reservedHCL is one function whose reserved concurrency the test changes.
const reservedHCL = providerHCL + `
resource "aws_lambda_function" "example" {
  function_name    = "{{.Function}}"
  role             = "arn:aws:iam::{{.Account}}:role/reservoir-tf-reserved"
  handler          = "index.handler"
  runtime          = "python3.12"
  filename         = "{{.Zip}}"
  source_code_hash = filebase64sha256("{{.Zip}}")
{{- if ge .Reserved 0}}
  reserved_concurrent_executions = {{.Reserved}}
{{- end}}
}
`

// reservedConfig fills reservedHCL.
type reservedConfig struct {
	shared
	Endpoint string
	Zip      string
	Function string
	Reserved int // -1: attribute left out
}

// loggingHCL is one function whose logging_config block the test changes.
const loggingHCL = providerHCL + `
resource "aws_lambda_function" "example" {
  function_name    = "{{.Function}}"
  role             = "arn:aws:iam::{{.Account}}:role/reservoir-tf-logging"
  handler          = "index.handler"
  runtime          = "python3.12"
  filename         = "{{.Zip}}"
  source_code_hash = filebase64sha256("{{.Zip}}")
{{- if .Format}}

  logging_config {
    log_format = "{{.Format}}"
{{- if .AppLevel}}
    application_log_level = "{{.AppLevel}}"
{{- end}}
{{- if .SystemLevel}}
    system_log_level = "{{.SystemLevel}}"
{{- end}}
{{- if .Group}}
    log_group = "{{.Group}}"
{{- end}}
  }
{{- end}}
}
`

// logGroupHCL is a function's log group, managed by Terraform before the
// function (depends_on), as AWS's documentation of aws_lambda_function
// shows it.
const logGroupHCL = providerHCL + `
resource "aws_cloudwatch_log_group" "example" {
  name              = "/aws/lambda/{{.Function}}"
  retention_in_days = {{.Retention}}
  tags = {
{{- range $k, $v := .Tags}}
    {{$k}} = "{{$v}}"
{{- end}}
  }
}

resource "aws_lambda_function" "example" {
  function_name    = "{{.Function}}"
  role             = "arn:aws:iam::{{.Account}}:role/reservoir-tf-logs"
  handler          = "index.handler"
  runtime          = "python3.12"
  filename         = "{{.Zip}}"
  source_code_hash = filebase64sha256("{{.Zip}}")
  depends_on       = [aws_cloudwatch_log_group.example]
}
`

// logGroupConfig fills logGroupHCL.
type logGroupConfig struct {
	shared
	Endpoint  string
	Zip       string
	Function  string
	Retention int
	Tags      map[string]string
}

// alarmHCL is a function and an alarm on its AWS/Lambda Throttles.
const alarmHCL = providerHCL + `
resource "aws_lambda_function" "example" {
  function_name    = "{{.Function}}"
  role             = "arn:aws:iam::{{.Account}}:role/reservoir-tf-alarm"
  handler          = "index.handler"
  runtime          = "python3.12"
  filename         = "{{.Zip}}"
  source_code_hash = filebase64sha256("{{.Zip}}")
}

resource "aws_cloudwatch_metric_alarm" "throttles" {
  alarm_name          = "{{.Function}}-throttles"
  alarm_description   = "{{.Function}} is throttled"
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  statistic           = "Sum"
  period              = {{.Period}}
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  dimensions = {
    FunctionName = aws_lambda_function.example.function_name
  }
  tags = {
    team = "core"
  }
}
`

// alarmConfig fills alarmHCL.
type alarmConfig struct {
	shared
	Endpoint string
	Zip      string
	Function string
	Period   int
}

// loggingConfig fills loggingHCL.
type loggingConfig struct {
	shared
	Endpoint string
	Zip      string
	Function string
	// Format is log_format ("": no logging_config block); the others are
	// left out when empty.
	Format, AppLevel, SystemLevel, Group string
}

// render executes an HCL template.
func render(t *testing.T, text string, data any) string {
	t.Helper()
	tmpl, err := template.New("hcl").Option("missingkey=error").Parse(text)
	if err != nil {
		t.Fatalf("parse HCL template: %v", err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, data); err != nil {
		t.Fatalf("render HCL template: %v", err)
	}
	return b.String()
}

// shared gives every config struct the values all templates use.
type shared struct{}

func (shared) Account() string { return account }
func (shared) Region() string  { return region }

// scalingHCL is the provisioned concurrency of a function's alias managed
// by Application Auto Scaling, as production modules write it: the alias's
// provisioned concurrency config (its count left to the policy), a scalable
// target on the alias, a target-tracking policy on
// LambdaProvisionedConcurrencyUtilization, and a scheduled action for a
// weekday-morning peak.
const scalingHCL = providerHCL + `
resource "aws_lambda_function" "example" {
  function_name    = "{{.Function}}"
  role             = "arn:aws:iam::{{.Account}}:role/reservoir-tf-scaling"
  handler          = "index.handler"
  runtime          = "python3.12"
  filename         = "{{.Zip}}"
  source_code_hash = filebase64sha256("{{.Zip}}")
  publish          = true
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.example.function_name
  function_version = aws_lambda_function.example.version
}

resource "aws_lambda_provisioned_concurrency_config" "live" {
  function_name                     = aws_lambda_alias.live.function_name
  qualifier                         = aws_lambda_alias.live.name
  provisioned_concurrent_executions = 1

  lifecycle {
    ignore_changes = [provisioned_concurrent_executions]
  }
}

resource "aws_appautoscaling_target" "pc" {
  depends_on         = [aws_lambda_provisioned_concurrency_config.live]
  service_namespace  = "lambda"
  scalable_dimension = "lambda:function:ProvisionedConcurrency"
  resource_id        = "function:${aws_lambda_alias.live.function_name}:${aws_lambda_alias.live.name}"
  min_capacity       = 1
  max_capacity       = {{.Max}}
  tags = {
    team = "core"
  }
}

resource "aws_appautoscaling_policy" "util" {
  name               = "util"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.pc.service_namespace
  scalable_dimension = aws_appautoscaling_target.pc.scalable_dimension
  resource_id        = aws_appautoscaling_target.pc.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = {{.Target}}
    scale_in_cooldown  = 120
    scale_out_cooldown = 0
    predefined_metric_specification {
      predefined_metric_type = "LambdaProvisionedConcurrencyUtilization"
    }
  }
}

resource "aws_appautoscaling_scheduled_action" "peak" {
  name               = "peak"
  service_namespace  = aws_appautoscaling_target.pc.service_namespace
  scalable_dimension = aws_appautoscaling_target.pc.scalable_dimension
  resource_id        = aws_appautoscaling_target.pc.resource_id
  schedule           = "cron(0 8 ? * MON-FRI *)"
  timezone           = "Europe/Paris"

  scalable_target_action {
    min_capacity = 2
    max_capacity = {{.Max}}
  }
}
`

// scalingConfig fills scalingHCL.
type scalingConfig struct {
	shared
	Endpoint string
	Zip      string
	Function string
	Max      int
	Target   float64
}
