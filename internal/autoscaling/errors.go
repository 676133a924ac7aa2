package autoscaling

import "fmt"

// ErrorCode is the Application Auto Scaling exception a broken rule carries,
// as botocore's model spells it.
type ErrorCode string

// The error codes the domain returns.
const (
	CodeValidation       ErrorCode = "ValidationException"
	CodeObjectNotFound   ErrorCode = "ObjectNotFoundException"
	CodeConcurrentUpdate ErrorCode = "ConcurrentUpdateException"
	CodeLimitExceeded    ErrorCode = "LimitExceededException"
	CodeResourceNotFound ErrorCode = "ResourceNotFoundException"
	CodeTooManyTags      ErrorCode = "TooManyTagsException"
	CodeInvalidNextToken ErrorCode = "InvalidNextTokenException"
)

// Error is a request that broke an Application Auto Scaling rule.
type Error struct {
	Code    ErrorCode
	Message string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

func newErr(code ErrorCode, format string, args ...any) *Error {
	if len(args) == 0 {
		return &Error{Code: code, Message: format}
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Messages. AWS's wording where it is seen in AWS's answers; the ones marked
// "chosen" are Reservoir's.
const (
	msgUnsupported      = "Unsupported service namespace, resource type or scalable dimension"
	msgMinOverMax       = "Minimum capacity cannot be greater than maximum capacity"
	msgNewTargetNeedsMM = "MinCapacity and MaxCapacity are required for registering a new scalable target" // chosen
	msgLatest           = "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
	msgNegative         = "Capacity cannot be negative" // chosen
)

func errNoTarget(r ResourceID) *Error {
	return newErr(CodeObjectNotFound, "No scalable target registered for service namespace: lambda, resource ID: %s, scalable dimension: %s", r, DimensionLambdaPC)
}

func errNoTargetFound(r ResourceID) *Error {
	return newErr(CodeObjectNotFound, "No scalable target found for service namespace: lambda, resource ID: %s, scalable dimension: %s", r, DimensionLambdaPC)
}

func errNoPolicy(r ResourceID, name string) *Error {
	return newErr(CodeObjectNotFound, "No scaling policy found for service namespace: lambda, resource ID: %s, scalable dimension: %s, policy name: %s", r, DimensionLambdaPC, name)
}

func errNoScheduled(r ResourceID, name string) *Error {
	return newErr(CodeObjectNotFound, "No scheduled action found for service namespace: lambda, resource ID: %s, scalable dimension: %s, scheduled action name: %s", r, DimensionLambdaPC, name)
}
