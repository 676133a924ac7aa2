package iam

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
)

// ServiceCanAssume reports whether roleARN names an existing role whose trust
// policy lets the service principal (e.g. "lambda.amazonaws.com") call
// sts:AssumeRole; when it does not, why says what is missing.
//
// The evaluation is IAM's for the common trust policies: an Allow statement
// must name the principal ("*", {"AWS": "*"} or the service itself) and the
// action (wildcards allowed), and no Deny statement may do so. Conditions are
// taken as met (the service's own request would carry the account's
// context), and NotPrincipal or NotAction statements are not evaluated.
func (s *Service) ServiceCanAssume(ctx context.Context, roleARN, service string) (ok bool, why string) {
	account, path, name, parsed := splitRoleARN(roleARN)
	if !parsed {
		return false, "it is not a role ARN"
	}
	r, err := s.get(account, name)
	if err != nil || r.Path != path {
		return false, "no such role in account " + account
	}
	allowed, readable := trustAllows(r.AssumeRolePolicyDocument, service, "sts:AssumeRole")
	switch {
	case !readable:
		return false, "its trust policy cannot be read"
	case !allowed:
		return false, "its trust policy does not allow " + service + " to call sts:AssumeRole"
	}
	return true, ""
}

// splitRoleARN splits arn:PARTITION:iam::ACCOUNT:role/PATH/NAME.
func splitRoleARN(arn string) (account, path, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || parts[3] != "" {
		return "", "", "", false
	}
	res, isRole := strings.CutPrefix(parts[5], "role/")
	if !isRole {
		return "", "", "", false
	}
	i := strings.LastIndexByte(res, '/')
	path, name = "/"+res[:i+1], res[i+1:]
	return parts[4], path, name, isAccountID(parts[4]) && name != ""
}

// oneOrMany is a policy member that is either one value or a list of them.
type oneOrMany[T any] []T

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, (*[]T)(o))
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*o = oneOrMany[T]{one}
	return nil
}

type trustStatement struct {
	Effect       string
	Principal    json.RawMessage
	Action       oneOrMany[string]
	NotPrincipal json.RawMessage
	NotAction    json.RawMessage
}

// trustAllows evaluates a trust policy for one service principal and action.
// readable is false when the document is not a policy.
func trustAllows(doc, service, action string) (allowed, readable bool) {
	var policy struct {
		Statement oneOrMany[trustStatement]
	}
	if err := json.Unmarshal([]byte(doc), &policy); err != nil {
		return false, false
	}
	for _, st := range policy.Statement {
		if len(st.NotPrincipal) > 0 || len(st.NotAction) > 0 ||
			!principalMatches(st.Principal, service) || !anyMatches(st.Action, action) {
			continue
		}
		switch st.Effect {
		case "Deny":
			return false, true
		case "Allow":
			allowed = true
		}
	}
	return allowed, true
}

func principalMatches(raw json.RawMessage, service string) bool {
	var everyone string
	if json.Unmarshal(raw, &everyone) == nil {
		return everyone == "*"
	}
	var principals map[string]oneOrMany[string]
	if json.Unmarshal(raw, &principals) != nil {
		return false
	}
	// IAM allows no wildcards in principals, except for everyone ("*").
	return slices.Contains(principals["Service"], service) || slices.Equal(principals["AWS"], oneOrMany[string]{"*"})
}

// anyMatches reports whether one of the patterns (IAM wildcards * and ?,
// case-insensitive) matches s.
func anyMatches(patterns []string, s string) bool {
	for _, p := range patterns {
		if wildcardMatch(strings.ToLower(p), strings.ToLower(s)) {
			return true
		}
	}
	return false
}

func wildcardMatch(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if wildcardMatch(p[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
		}
		p, s = p[1:], s[1:]
	}
	return s == ""
}
