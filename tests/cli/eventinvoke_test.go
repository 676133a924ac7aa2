package cli

import (
	"testing"
)

type eventInvokeConfig struct {
	FunctionArn              string
	LastModified             float64
	MaximumRetryAttempts     *int
	MaximumEventAgeInSeconds *int
	DestinationConfig        struct {
		OnSuccess, OnFailure struct{ Destination *string }
	}
}

// TestEventInvokeConfigs: the AWS CLI's put/update/get/list/delete of event
// invoke configs, and its errors.
func TestEventInvokeConfigs(t *testing.T) {
	c := start(t)
	const fn, dest = "cli-async", "cli-async-dest"
	c.createFunction(fn)
	c.createFunction(dest)
	arn := "arn:aws:lambda:" + region + ":" + account + ":function:"

	var put eventInvokeConfig
	c.json(&put, "put-function-event-invoke-config", "--function-name", fn, "--maximum-retry-attempts", "1",
		"--destination-config", `{"OnFailure":{"Destination":"`+arn+dest+`"}}`)
	if put.FunctionArn != arn+fn+":$LATEST" || put.MaximumRetryAttempts == nil || *put.MaximumRetryAttempts != 1 ||
		put.DestinationConfig.OnFailure.Destination == nil || *put.DestinationConfig.OnFailure.Destination != arn+dest || put.LastModified < 1.7e9 {
		t.Fatalf("put = %+v", put)
	}
	var up eventInvokeConfig
	c.json(&up, "update-function-event-invoke-config", "--function-name", fn, "--maximum-event-age-in-seconds", "3600")
	if up.MaximumRetryAttempts == nil || *up.MaximumRetryAttempts != 1 || up.MaximumEventAgeInSeconds == nil || *up.MaximumEventAgeInSeconds != 3600 ||
		up.DestinationConfig.OnFailure.Destination == nil {
		t.Fatalf("update (merge) = %+v", up)
	}
	var got eventInvokeConfig
	c.json(&got, "get-function-event-invoke-config", "--function-name", fn)
	if got.MaximumEventAgeInSeconds == nil || *got.MaximumEventAgeInSeconds != 3600 || got.LastModified < put.LastModified {
		t.Fatalf("get = %+v", got)
	}
	var list struct{ FunctionEventInvokeConfigs []eventInvokeConfig }
	c.json(&list, "list-function-event-invoke-configs", "--function-name", fn)
	if len(list.FunctionEventInvokeConfigs) != 1 || list.FunctionEventInvokeConfigs[0].FunctionArn != arn+fn+":$LATEST" {
		t.Fatalf("list = %+v", list)
	}
	c.fails("ValidationException", "Member must have value less than or equal to 2",
		"put-function-event-invoke-config", "--function-name", fn, "--maximum-retry-attempts", "5")
	c.fails("InvalidParameterValueException", "You can't specify the function as a destination for itself.",
		"update-function-event-invoke-config", "--function-name", fn, "--destination-config", `{"OnSuccess":{"Destination":"`+arn+fn+`"}}`)
	c.json(nil, "delete-function-event-invoke-config", "--function-name", fn)
	c.fails("ResourceNotFoundException", "The function "+arn+fn+":$LATEST doesn't have an EventInvokeConfig",
		"get-function-event-invoke-config", "--function-name", fn)
}
