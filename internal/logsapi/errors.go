package logsapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/logs"
)

// wireError is the one error table: every code the domain returns is a 400
// of the same name, as botocore's model declares them (none has its own
// status); TooManyTagsException also carries resourceName.
func wireError(err error) (*awsproto.RPCError, bool) {
	var e *logs.Error
	if !errors.As(err, &e) {
		return nil, false
	}
	switch e.Code {
	case logs.CodeInvalidParameter, logs.CodeResourceNotFound, logs.CodeResourceAlreadyExists, logs.CodeValidation:
		return &awsproto.RPCError{Status: http.StatusBadRequest, Code: string(e.Code), Message: e.Message}, true
	case logs.CodeTooManyTags:
		we := &awsproto.RPCError{Status: http.StatusBadRequest, Code: string(e.Code), Message: e.Message}
		if e.ResourceName != "" {
			we.Fields = map[string]string{"resourceName": e.ResourceName}
		}
		return we, true
	}
	return nil, false
}

// required collects the required members a request lacks, in the model's
// order, and reports them as AWS does: InvalidParameterException "1
// validation error detected: Value null at 'logGroupName' failed to satisfy
// constraint: Member must not be null".
type required []string

// need records member as missing when absent is true.
func (r *required) need(member string, absent bool) {
	if absent {
		*r = append(*r, member)
	}
}

func (r required) err() error {
	if len(r) == 0 {
		return nil
	}
	parts := make([]string, len(r))
	for i, m := range r {
		parts[i] = "Value null at '" + m + "' failed to satisfy constraint: Member must not be null"
	}
	head := "1 validation error detected: "
	if len(r) > 1 {
		head = fmt.Sprintf("%d validation errors detected: ", len(r))
	}
	return &awsproto.RPCError{Status: http.StatusBadRequest, Code: string(logs.CodeInvalidParameter),
		Message: head + strings.Join(parts, "; ")}
}
