package cloudwatch

import (
	"fmt"
	"strings"
)

// ErrorCode is the CloudWatch error code a broken rule carries, spelled as
// the "code" of the exception's error trait in botocore's model (the code the
// query and JSON protocols send). The wire layer maps each code to its HTTP
// status in one table; the domain decides only the code and the message.
type ErrorCode string

// The error codes the domain returns, with the model's shape and status.
const (
	// InvalidParameterValueException, 400.
	CodeInvalidParameterValue ErrorCode = "InvalidParameterValue"
	// MissingRequiredParameterException, 400.
	CodeMissingParameter ErrorCode = "MissingParameter"
	// InvalidParameterCombinationException, 400.
	CodeInvalidParameterCombination ErrorCode = "InvalidParameterCombination"
	// InvalidNextToken, 400.
	CodeInvalidNextToken ErrorCode = "InvalidNextToken"
	// LimitExceededFault, 400 (PutMetricAlarm).
	CodeLimitExceeded ErrorCode = "LimitExceeded"
	// ResourceNotFound, 404: the code DeleteAlarms and SetAlarmState use.
	CodeResourceNotFound ErrorCode = "ResourceNotFound"
	// ResourceNotFoundException, 404: the code TagResource, UntagResource
	// and ListTagsForResource use; its shape carries ResourceType and
	// ResourceId.
	CodeResourceNotFoundException ErrorCode = "ResourceNotFoundException"
	// InvalidFormatFault, 400 (SetAlarmState's StateReasonData).
	CodeInvalidFormat ErrorCode = "InvalidFormat"
)

// Error is a request that broke a CloudWatch rule. Code and Message are what
// the client sees; any other error a Service method returns is a server
// failure (InternalServiceError).
type Error struct {
	Code    ErrorCode
	Message string
	// ResourceType and ResourceID are set on ResourceNotFoundException,
	// whose shape carries them.
	ResourceType string
	ResourceID   string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

func newError(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// errInvalidValue is AWS's InvalidParameterValue for a member.
func errInvalidValue(format string, args ...any) *Error {
	return newError(CodeInvalidParameterValue, format, args...)
}

// errMissing is AWS's MissingParameter: "The parameter X is required."
func errMissing(member string) *Error {
	return newError(CodeMissingParameter, "The parameter %s is required.", member)
}

// violations collects broken model constraints and reports them as AWS's
// query services do: "1 validation error detected: Value 'x' at
// 'alarmName' failed to satisfy constraint: Member must have length less
// than or equal to 255", several joined by "; ". CloudWatch sends these as
// InvalidParameterValue... chosen: AWS's CloudWatch answers constraint
// violations with the ValidationError code on the query protocol, which the
// model does not list; we report the model's InvalidParameterValue.
type violations []string

func (v *violations) add(member, constraint string, args ...any) {
	*v = append(*v, "Value at '"+member+"' failed to satisfy constraint: "+fmt.Sprintf(constraint, args...))
}

func (v violations) err() error {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return errInvalidValue("1 validation error detected: %s", v[0])
	default:
		return errInvalidValue("%d validation errors detected: %s", len(v), strings.Join(v, "; "))
	}
}

// The constraint sentences of AWS's validation messages.
const (
	cMaxLen   = "Member must have length less than or equal to %d"
	cMinLen   = "Member must have length greater than or equal to %d"
	cMaxValue = "Member must have value less than or equal to %d"
	cMinValue = "Member must have value greater than or equal to %d"
	cEnum     = "Member must satisfy enum value set: [%s]"
	cPattern  = "Member must satisfy regular expression pattern: %s"
)
