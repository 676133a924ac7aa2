package iam

// ErrorCode is the IAM error code a broken rule carries. The wire layer maps
// each code to its HTTP status in one table; the domain only decides which
// code and which message.
type ErrorCode string

// The IAM error codes the domain returns, spelled as IAM spells them.
const (
	CodeNoSuchEntity            ErrorCode = "NoSuchEntity"
	CodeEntityAlreadyExists     ErrorCode = "EntityAlreadyExists"
	CodeDeleteConflict          ErrorCode = "DeleteConflict"
	CodeLimitExceeded           ErrorCode = "LimitExceeded"
	CodeValidationError         ErrorCode = "ValidationError"
	CodeMalformedPolicyDocument ErrorCode = "MalformedPolicyDocument"
	CodeInvalidInput            ErrorCode = "InvalidInput"
	CodeAccessDenied            ErrorCode = "AccessDenied"
)

// Error is a request that broke an IAM rule. Code and Message are what the
// client sees; any other error a Service method returns is a server failure.
type Error struct {
	Code    ErrorCode
	Message string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

func newError(code ErrorCode, msg string) *Error { return &Error{Code: code, Message: msg} }

func errNoSuchRole(name string) *Error {
	return newError(CodeNoSuchEntity, "The role with name "+name+" cannot be found.")
}

func errRoleExists(name string) *Error {
	return newError(CodeEntityAlreadyExists, "Role with name "+name+" already exists.")
}
