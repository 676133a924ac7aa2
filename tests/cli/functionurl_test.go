package cli

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

type functionURLConfig struct {
	FunctionUrl, FunctionArn, AuthType, CreationTime, LastModifiedTime, InvokeMode string
	Cors                                                                           *struct {
		AllowOrigins, AllowMethods []string
		MaxAge                     *int
	}
}

// TestFunctionURLs: the AWS CLI's create/get/update/list/delete of function
// URL configs and their errors, then curl on the URL as the CLI printed it,
// refused until add-permission grants both actions a NONE URL needs.
func TestFunctionURLs(t *testing.T) {
	c := start(t)
	const fn = "cli-web"
	c.createFunction(fn)
	arn := "arn:aws:lambda:" + region + ":" + account + ":function:" + fn

	var created functionURLConfig
	c.json(&created, "create-function-url-config", "--function-name", fn, "--auth-type", "NONE",
		"--cors", `{"AllowOrigins":["*"],"AllowMethods":["GET","POST"],"MaxAge":60}`)
	if created.FunctionArn != arn || created.AuthType != "NONE" || created.InvokeMode != "BUFFERED" || created.Cors == nil ||
		created.Cors.MaxAge == nil || *created.Cors.MaxAge != 60 || !strings.HasPrefix(created.FunctionUrl, "http://") ||
		!strings.Contains(created.FunctionUrl, ".lambda-url."+region+".localhost:") {
		t.Fatalf("create = %+v", created)
	}
	c.fails("ResourceConflictException", "FunctionUrlConfig exists for this Lambda function",
		"create-function-url-config", "--function-name", fn, "--auth-type", "AWS_IAM")
	c.fails("ValidationException", "failed to satisfy constraint",
		"get-function-url-config", "--function-name", fn, "--qualifier", "1")
	var up functionURLConfig
	c.json(&up, "update-function-url-config", "--function-name", fn, "--auth-type", "AWS_IAM")
	if up.AuthType != "AWS_IAM" || up.FunctionUrl != created.FunctionUrl || up.Cors == nil || up.LastModifiedTime == "" {
		t.Fatalf("update = %+v", up)
	}
	c.json(&up, "update-function-url-config", "--function-name", fn, "--auth-type", "NONE")
	var list struct{ FunctionUrlConfigs []functionURLConfig }
	c.json(&list, "list-function-url-configs", "--function-name", fn)
	if len(list.FunctionUrlConfigs) != 1 || list.FunctionUrlConfigs[0].FunctionUrl != created.FunctionUrl {
		t.Fatalf("list = %+v", list)
	}

	// curl on the URL exactly as printed: curl resolves *.localhost itself.
	// Without the two permissions README documents, AWS's 403; with them,
	// the function's answer.
	if curl, err := exec.LookPath("curl"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		curlURL := func() ([]byte, error) {
			return exec.CommandContext(ctx, curl, "-sS", "--fail-with-body", "-H", "Content-Type: application/json",
				"-d", `{"from":"curl"}`, created.FunctionUrl+"hello?name=curl").Output()
		}
		if out, err := curlURL(); err == nil || string(out) != `{"Message":"Forbidden"}` {
			t.Fatalf("curl without permissions: %v %s", err, out)
		}
		c.json(nil, "add-permission", "--function-name", fn, "--statement-id", "url", "--action", "lambda:InvokeFunctionUrl",
			"--principal", "*", "--function-url-auth-type", "NONE")
		if out, err := curlURL(); err == nil || string(out) != `{"Message":"Forbidden"}` {
			t.Fatalf("curl with lambda:InvokeFunctionUrl only: %v %s", err, out)
		}
		c.json(nil, "add-permission", "--function-name", fn, "--statement-id", "invoke", "--action", "lambda:InvokeFunction",
			"--principal", "*", "--invoked-via-function-url")
		out, err := curlURL()
		if err != nil {
			t.Fatalf("curl %s: %v\n%s", created.FunctionUrl, err, out)
		}
		var ev struct {
			RawPath, RawQueryString, Body string
			RequestContext                struct {
				HTTP struct{ Method, UserAgent string }
			}
		}
		if err := json.Unmarshal(out, &ev); err != nil || ev.RawPath != "/hello" || ev.RawQueryString != "name=curl" ||
			ev.Body != `{"from":"curl"}` || ev.RequestContext.HTTP.Method != "POST" || !strings.HasPrefix(ev.RequestContext.HTTP.UserAgent, "curl/") {
			t.Fatalf("curl answer %s: %v", out, err)
		}
	}

	c.json(nil, "delete-function-url-config", "--function-name", fn)
	c.fails("ResourceNotFoundException", "The resource you requested does not exist.", "get-function-url-config", "--function-name", fn)
}
