package iam

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// MaxManagedPolicySize is IAM's quota on the length of one version of a
// managed policy's document, white space not counted.
const MaxManagedPolicySize = 6144

// The MalformedPolicyDocument messages IAM gives for an identity policy.
const (
	msgPolicySyntax    = "Syntax errors in policy."
	msgPolicyPrincipal = "Policy document should not specify a principal."
	msgPolicyActions   = "Policy statement must contain actions."
	msgPolicyResources = "Policy statement must contain resources."
	msgPolicyVendor    = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgPolicyLegacy    = "The policy failed legacy parsing"
)

// checkIdentityPolicy validates the document of a managed policy version as
// IAM does: JSON grammar first, then the size quota.
func checkIdentityPolicy(doc string) error {
	if msg := identityPolicyProblem(doc); msg != "" {
		return newError(CodeMalformedPolicyDocument, msg)
	}
	if policySize(doc) > MaxManagedPolicySize {
		return newError(CodeLimitExceeded, "Cannot exceed quota for PolicySize: "+strconv.Itoa(MaxManagedPolicySize))
	}
	return nil
}

// identityPolicyProblem returns IAM's message for the first grammar error of
// an identity-based policy document, or "" when there is none.
func identityPolicyProblem(doc string) string {
	var top map[string]json.RawMessage
	if err := strictUnmarshal([]byte(doc), &top); err != nil || top == nil {
		return msgPolicySyntax
	}
	for k := range top {
		if k != "Version" && k != "Id" && k != "Statement" {
			return msgPolicySyntax
		}
	}
	if raw, ok := top["Version"]; ok {
		var v string
		if json.Unmarshal(raw, &v) != nil {
			return msgPolicySyntax
		}
		if v != "2012-10-17" && v != "2008-10-17" {
			return msgPolicyLegacy
		}
	}
	if raw, ok := top["Id"]; ok {
		var id string
		if json.Unmarshal(raw, &id) != nil {
			return msgPolicySyntax
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return msgPolicySyntax
	}
	var statements []map[string]json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		if json.Unmarshal(raw, &statements) != nil || len(statements) == 0 {
			return msgPolicySyntax
		}
	} else {
		var one map[string]json.RawMessage
		if json.Unmarshal(raw, &one) != nil || one == nil {
			return msgPolicySyntax
		}
		statements = append(statements, one)
	}
	// Grammar errors of any statement come before the semantic ones.
	for _, st := range statements {
		if msg := statementSyntax(st); msg != "" {
			return msg
		}
	}
	for _, st := range statements {
		if msg := statementSemantics(st); msg != "" {
			return msg
		}
	}
	return ""
}

// statementSyntax checks the element names and value types of a statement.
func statementSyntax(st map[string]json.RawMessage) string {
	if st == nil {
		return msgPolicySyntax
	}
	for k, v := range st {
		switch k {
		case "Sid":
			var s string
			if json.Unmarshal(v, &s) != nil {
				return msgPolicySyntax
			}
		case "Effect":
			var e string
			if json.Unmarshal(v, &e) != nil || (e != "Allow" && e != "Deny") {
				return msgPolicySyntax
			}
		case "Action", "NotAction", "Resource", "NotResource":
			if _, ok := stringOrList(v); !ok {
				return msgPolicySyntax
			}
		case "Condition":
			var c map[string]map[string]json.RawMessage
			if json.Unmarshal(v, &c) != nil {
				return msgPolicySyntax
			}
		case "Principal", "NotPrincipal":
		default:
			return msgPolicySyntax
		}
	}
	if _, ok := st["Effect"]; !ok {
		return msgPolicySyntax
	}
	return ""
}

// statementSemantics checks what a well-formed statement of an identity
// policy must and must not say.
func statementSemantics(st map[string]json.RawMessage) string {
	if _, ok := st["Principal"]; ok {
		return msgPolicyPrincipal
	}
	if _, ok := st["NotPrincipal"]; ok {
		return msgPolicyPrincipal
	}
	actions, hasAction := stringOrList(st["Action"])
	notActions, hasNotAction := stringOrList(st["NotAction"])
	if !hasAction && !hasNotAction {
		return msgPolicyActions
	}
	for _, a := range append(actions, notActions...) {
		if a != "*" && !strings.Contains(a, ":") {
			return msgPolicyVendor
		}
	}
	resources, hasResource := stringOrList(st["Resource"])
	notResources, hasNotResource := stringOrList(st["NotResource"])
	if !hasResource && !hasNotResource {
		return msgPolicyResources
	}
	for _, r := range append(resources, notResources...) {
		if r != "*" && !strings.HasPrefix(r, "arn:") {
			return "Resource " + r + " must be in ARN format or \"*\"."
		}
	}
	return ""
}

// stringOrList decodes a policy element that is a string or a non-empty list
// of strings; ok is false when raw is absent or neither.
func stringOrList(raw json.RawMessage) (values []string, ok bool) {
	if raw == nil {
		return nil, false
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, true
	}
	var list []string
	if json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		return nil, false
	}
	return list, true
}

// strictUnmarshal decodes one JSON value and rejects trailing data.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return &json.SyntaxError{}
	}
	var extra json.RawMessage
	if dec.Decode(&extra) == nil {
		return &json.SyntaxError{}
	}
	return nil
}
