package iamapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/iam"
)

// statusOf is the one table of the HTTP status of each domain error code,
// as the IAM model gives it.
func statusOf(code iam.ErrorCode) (int, bool) {
	switch code {
	case iam.CodeNoSuchEntity:
		return http.StatusNotFound, true
	case iam.CodeEntityAlreadyExists, iam.CodeDeleteConflict, iam.CodeLimitExceeded:
		return http.StatusConflict, true
	case iam.CodeValidationError, iam.CodeMalformedPolicyDocument, iam.CodeInvalidInput:
		return http.StatusBadRequest, true
	case iam.CodeAccessDenied:
		return http.StatusForbidden, true
	}
	return 0, false
}

// wireError is an error of the protocol itself, found before any domain
// rule: a bad action, form or parameter.
type wireError struct {
	status  int
	code    string
	message string
}

func (e *wireError) Error() string { return e.code + ": " + e.message }

func errMissingAction() *wireError {
	return &wireError{http.StatusBadRequest, "MissingAction", "The request is missing an action or a required parameter."}
}

func errMalformedQuery() *wireError {
	return &wireError{http.StatusBadRequest, "MalformedQueryString", "The request body or query string is not valid form encoding."}
}

func errInvalidAction(action, version string) *wireError {
	return &wireError{http.StatusBadRequest, "InvalidAction", "Could not find operation " + action + " for version " + version}
}

func errMethodNotAllowed(method string) *wireError {
	return &wireError{http.StatusMethodNotAllowed, "MethodNotAllowed", "The " + method + " method is not allowed; use GET or POST."}
}

// errNotAnInteger rejects a parameter that should be an integer.
func errNotAnInteger(param, value string) *wireError {
	return &wireError{http.StatusBadRequest, string(iam.CodeValidationError),
		"1 validation error detected: Value '" + value + "' at '" + lowerFirst(param) + "' failed to satisfy constraint: Member must be an integer"}
}

// errMissingParameter rejects a request without a required parameter that
// may be empty, which the domain cannot tell from an absent one.
func errMissingParameter(param string) *wireError {
	return &wireError{http.StatusBadRequest, string(iam.CodeValidationError),
		"1 validation error detected: Value null at '" + lowerFirst(param) + "' failed to satisfy constraint: Member must not be null"}
}

// writeError is the one place that writes the error envelope. An error that
// is neither a domain nor a wire error becomes a generic ServiceFailure and
// is logged, never shown to the client.
func writeError(w http.ResponseWriter, log *slog.Logger, namespace, reqID string, err error) {
	status, code, msg := http.StatusInternalServerError, "ServiceFailure",
		"Request processing has failed due to some unknown error, exception or failure."
	var (
		domainErr *iam.Error
		wireErr   *wireError
		tooLarge  *http.MaxBytesError
	)
	switch {
	case errors.As(err, &domainErr):
		if s, ok := statusOf(domainErr.Code); ok {
			status, code, msg = s, string(domainErr.Code), domainErr.Message
		}
	case errors.As(err, &wireErr):
		status, code, msg = wireErr.status, wireErr.code, wireErr.message
	case errors.As(err, &tooLarge):
		status, code, msg = http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			"Request body must not be larger than "+strconv.FormatInt(tooLarge.Limit, 10)+" bytes."
	}

	receiver := false
	switch {
	case status < http.StatusInternalServerError:
		log.Debug("iamapi: client error", "status", status, "code", code, "message", msg)
	case errors.Is(err, context.Canceled):
		receiver = true
		log.Debug("iamapi: request canceled", "err", err)
	default:
		receiver = true
		log.Error("iamapi: server error", "status", status, "err", err)
	}
	awsproto.WriteQueryError(w, reqID, namespace, &awsproto.QueryError{Status: status, Code: code, Message: msg, Receiver: receiver})
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}
