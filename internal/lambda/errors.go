package lambda

import (
	"fmt"
	"strings"
)

// Kind classifies a domain error. The wire layer maps each Kind to one AWS
// error type and HTTP status (lambdaapi's error table); the domain never
// speaks HTTP.
type Kind int

// The kinds of errors the domain reports.
const (
	KindResourceNotFound Kind = iota + 1
	KindResourceConflict
	KindInvalidParameterValue
	// KindLimitExceededParameter is an InvalidParameterValueException that AWS
	// sends without the "Type" member (the concurrency limit messages).
	KindLimitExceededParameter
	KindValidation
	KindProvisionedConfigNotFound
	KindPreconditionFailed
	KindTooManyRequests
	KindAccessDenied
	KindRequestTooLarge
	KindInvalidRequestContent
	KindInvalidZipFile
	KindServiceUnavailable
	// KindInvalidRuntime: the runtime cannot run here (e.g. its interpreter is missing).
	KindInvalidRuntime
	// KindPolicyLengthExceeded: a resource policy would pass MaxPolicySize.
	KindPolicyLengthExceeded
)

// Error is a client-visible domain error: its Message is AWS's own sentence.
type Error struct {
	Kind    Kind
	Message string
	// Reason is set on throttles (KindTooManyRequests).
	Reason string
}

func (e *Error) Error() string { return e.Message }

func newErr(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

func errFunctionNotFound(arn string) *Error {
	return newErr(KindResourceNotFound, "Function not found: %s", arn)
}

func errAliasNotFound(arn string) *Error {
	return newErr(KindResourceNotFound, "Cannot find alias arn: %s", arn)
}

// Messages AWS uses for the concurrency rules.
const (
	msgQualifiedNotAllowed      = "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN."
	msgProvisionedOnLatestPut   = "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
	msgProvisionedNeedsVersion  = "The function resource provided must be an alias or a published version."
	msgProvisionedNotFound      = "No Provisioned Concurrency Config found for this function"
	msgProvisionedOverReserved  = "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"
	msgAliasOnProvisionedVer    = "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version"
	msgVersionPointedByProvAias = "Version is pointed by a Provisioned Concurrency alias"
)

// PayloadTooLarge is Invoke's answer to a payload of size bytes over the
// limit of its invocation type ("" is RequestResponse). AWS words the two
// limits differently; the Event sentence is the one AWS sent for its former
// 256 KB limit ("264496 byte payload is too large for the Event invocation
// type (limit 262144 bytes)"), now with 1 MB.
func PayloadTooLarge(invocationType string, size int64) *Error {
	if invocationType == InvokeEvent {
		return newErr(KindRequestTooLarge, "%d byte payload is too large for the Event invocation type (limit %d bytes)", size, MaxAsyncPayload)
	}
	return newErr(KindRequestTooLarge, "Request must be smaller than %d bytes for the InvokeFunction operation", MaxSyncPayload)
}

// Conflicts with a function whose creation or update is under way: AWS's
// sentences (Invoke of a Pending function; an update or PublishVersion of a
// Pending one; of one whose update is InProgress). arn is unqualified.
func errInvokePending() *Error {
	return newErr(KindResourceConflict, "The operation cannot be performed at this time. The function is currently in the following state: Pending")
}

func errUpdatePending(arn string) *Error {
	return newErr(KindResourceConflict, "The operation cannot be performed at this time. The resource %s is currently in the following state: 'Pending'. StateReasonCode: 'Creating'", arn)
}

func errUpdateInProgress(arn string) *Error {
	return newErr(KindResourceConflict, "The operation cannot be performed at this time. An update is in progress for resource: %s", arn)
}

func errReservedBelowMinimum(floor int) *Error {
	return newErr(KindLimitExceededParameter, "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [%d].", floor)
}

func errReservedBelowProvisioned(r, provisioned int) *Error {
	// AWS's sentence starts with a space and has two spaces after the field name.
	return newErr(KindLimitExceededParameter, " ReservedConcurrentExecutions  %d should not be lower than function's total provisioned concurrency [%d].", r, provisioned)
}

func errProvisionedBelowMinimum(floor int) *Error {
	return newErr(KindLimitExceededParameter, "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [%d].", floor)
}

func errProvisionedOverUnreserved(unreserved int) *Error {
	return newErr(KindLimitExceededParameter, "Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [%d].", unreserved)
}

// Validation collects constraint violations and renders them the way AWS
// does: "1 validation error detected: Value 'x' at 'field' failed to satisfy
// constraint: Member must ...", joined with "; " when there are several.
type Validation struct {
	problems []string
}

// Add records that value (already rendered; use Quote or "null") at field
// breaks constraint.
func (v *Validation) Add(value, field, constraint string) {
	v.problems = append(v.problems, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", value, field, constraint))
}

// Err returns the collected problems as one ValidationException, or nil.
func (v *Validation) Err() error {
	switch len(v.problems) {
	case 0:
		return nil
	case 1:
		return newErr(KindValidation, "1 validation error detected: %s", v.problems[0])
	default:
		return newErr(KindValidation, "%d validation errors detected: %s", len(v.problems), strings.Join(v.problems, "; "))
	}
}

// Quote renders a value as AWS quotes it in validation messages.
func Quote(v any) string { return fmt.Sprintf("'%v'", v) }

// MinInt checks n ≥ lo.
func (v *Validation) MinInt(n *int, lo int, field string) {
	if n != nil && *n < lo {
		v.Add(Quote(*n), field, fmt.Sprintf("Member must have value greater than or equal to %d", lo))
	}
}

// MaxInt checks n ≤ hi.
func (v *Validation) MaxInt(n *int, hi int, field string) {
	if n != nil && *n > hi {
		v.Add(Quote(*n), field, fmt.Sprintf("Member must have value less than or equal to %d", hi))
	}
}

// Required checks that a member is present.
func (v *Validation) Required(present bool, field string) {
	if !present {
		v.Add("null", field, "Member must not be null")
	}
}

// Length checks lo ≤ len(s) ≤ hi.
func (v *Validation) Length(s string, lo, hi int, field string) {
	n := len([]rune(s))
	switch {
	case n < lo:
		v.Add(Quote(s), field, fmt.Sprintf("Member must have length greater than or equal to %d", lo))
	case hi > 0 && n > hi:
		v.Add(Quote(s), field, fmt.Sprintf("Member must have length less than or equal to %d", hi))
	}
}
