package logs

import (
	"fmt"
	"strings"
)

// ErrorCode is the CloudWatch Logs error code a broken rule carries, spelled
// as botocore's model spells the exception. The wire layer maps each code to
// its HTTP status in one table; the domain decides only the code and message.
type ErrorCode string

// The error codes the domain returns.
const (
	CodeInvalidParameter      ErrorCode = "InvalidParameterException"
	CodeResourceNotFound      ErrorCode = "ResourceNotFoundException"
	CodeResourceAlreadyExists ErrorCode = "ResourceAlreadyExistsException"
	CodeTooManyTags           ErrorCode = "TooManyTagsException"
	CodeValidation            ErrorCode = "ValidationException"
)

// Error is a request that broke a CloudWatch Logs rule. Code and Message are
// what the client sees; any other error a Service method returns is a server
// failure.
type Error struct {
	Code    ErrorCode
	Message string
	// ResourceName is set on TooManyTagsException, whose shape carries it.
	ResourceName string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

func newError(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Messages. Those AWS is seen to send are verbatim; the ones marked "chosen"
// are undocumented, and these are Reservoir's wording.
const (
	msgGroupNotFound   = "The specified log group does not exist."
	msgStreamNotFound  = "The specified log stream does not exist."
	msgGroupExists     = "The specified log group already exists"
	msgStreamExists    = "The specified log stream already exists"
	msgReservedPrefix  = "Log groups starting with AWS/ are reserved for AWS."
	msgOrderByPrefix   = "Cannot order by LastEventTime with a logStreamNamePrefix."
	msgChronological   = "Log events in a single PutLogEvents request must be in chronological order."
	msgSpan24h         = "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
	msgInvalidPattern  = "Invalid filter pattern"
	msgUnclosedJSON    = "If a filter pattern starts with '{' it must end with '}'"
	msgTooManyTags     = "A resource can have no more than 50 tags."
	msgInvalidResource = "Invalid resourceArn"
	// chosen: moto's wording, which its AWS-verified tests use for GetLogEvents.
	msgInvalidToken = "The specified nextToken is invalid."
	// chosen: the model's documentation of the members, as a sentence.
	msgPrefixAndPattern = "logGroupNamePrefix and logGroupNamePattern are mutually exclusive. Only one of these parameters can be passed."
	msgNamesAndPrefix   = "logStreamNames and logStreamNamePrefix are mutually exclusive. Only one of these parameters can be passed."
	msgNameOrIdentifier = "You must include either logGroupIdentifier or logGroupName, but not both."
	msgIdentifiersAlone = "If you specify logGroupIdentifiers, the only other filter that you can choose to specify is includeLinkedAccounts."
)

func errGroupNotFound() *Error  { return newError(CodeResourceNotFound, msgGroupNotFound) }
func errStreamNotFound() *Error { return newError(CodeResourceNotFound, msgStreamNotFound) }
func errInvalid(msg string) *Error {
	return &Error{Code: CodeInvalidParameter, Message: msg}
}

// violations collects broken model constraints and reports them the way AWS
// does: "1 validation error detected: Value at 'limit' failed to satisfy
// constraint: Member must have value less than or equal to 50", several
// joined by "; ". AWS no longer echoes the offending value (moto's
// AWS-verified tests show "Value at 'logGroupIdentifier'"), so neither do we.
type violations []string

func (v *violations) add(member, constraint string, args ...any) {
	*v = append(*v, "Value at '"+member+"' failed to satisfy constraint: "+fmt.Sprintf(constraint, args...))
}

// err returns the InvalidParameterException for the violations, or nil.
func (v violations) err() error {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return errInvalid("1 validation error detected: " + v[0])
	default:
		return errInvalid(fmt.Sprintf("%d validation errors detected: %s", len(v), strings.Join(v, "; ")))
	}
}

// The constraint sentences of AWS's validation messages.
const (
	cMaxLen   = "Member must have length less than or equal to %d"
	cMinLen   = "Member must have length greater than or equal to %d"
	cPattern  = "Member must satisfy regular expression pattern: %s"
	cMaxValue = "Member must have value less than or equal to %d"
	cMinValue = "Member must have value greater than or equal to %d"
	cEnum     = "Member must satisfy enum value set: [%s]"
)
