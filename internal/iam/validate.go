package iam

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The constraints of the IAM 2010-05-08 model, printed in messages exactly as
// IAM prints them.
const (
	roleNamePattern    = `[\w+=,.@-]+`
	policyNamePattern  = `[\w+=,.@-]+`
	pathPattern        = `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`
	pathPrefixPattern  = `\u002F[\u0021-\u007F]*`
	documentPattern    = `[\u0009\u000A\u000D\u0020-\u00FF]+`
	descriptionPattern = `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`
	tagKeyPattern      = `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`
	tagValuePattern    = `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`

	maxNameLen        = 64
	maxPolicyNameLen  = 128
	maxPathLen        = 512
	maxDocumentLen    = 131072
	maxDescriptionLen = 1000
	maxTagKeyLen      = 128
	maxTagValueLen    = 256
	maxArnLen         = 2048
	minArnLen         = 20

	// MaxTagsPerRole is IAM's quota of tags on one role.
	MaxTagsPerRole = 50
	// MaxAttachedPoliciesPerRole is IAM's default quota of managed policies
	// attached to one role.
	MaxAttachedPoliciesPerRole = 10
	// MaxTrustPolicySize is IAM's default quota on the length of a role's trust
	// policy, white space not counted.
	MaxTrustPolicySize = 2048
	// MaxInlinePolicySize is IAM's quota on the total length of a role's
	// inline policies, white space not counted.
	MaxInlinePolicySize = 10240

	// DefaultMaxSessionDuration is the MaxSessionDuration of a role created
	// without one, in seconds.
	DefaultMaxSessionDuration = 3600
	minSessionDuration        = 3600
	maxSessionDuration        = 43200

	defaultMaxItems = 100
	maxMaxItems     = 1000
)

// validator collects constraint violations and renders them the way AWS does:
// "1 validation error detected: Value 'x' at 'roleName' failed to satisfy
// constraint: Member must ...", violations joined by "; ".
type validator struct {
	errs []string
}

func (v *validator) fail(value, field, constraint string) {
	v.errs = append(v.errs, "Value "+value+" at '"+field+"' failed to satisfy constraint: Member must "+constraint)
}

// required reports whether value is present, recording a violation if not.
func (v *validator) required(field, value string) bool {
	if value == "" {
		v.fail("null", field, "not be null")
		return false
	}
	return true
}

// str checks the length (in characters) and the pattern of a string field.
func (v *validator) str(field, value string, minLen, maxLen int, pattern string, match func(string) bool) {
	n := utf8.RuneCountInString(value)
	q := "'" + value + "'"
	if n < minLen {
		v.fail(q, field, "have length greater than or equal to "+strconv.Itoa(minLen))
	}
	if n > maxLen {
		v.fail(q, field, "have length less than or equal to "+strconv.Itoa(maxLen))
	}
	if match != nil && !match(value) {
		v.fail(q, field, "satisfy regular expression pattern: "+pattern)
	}
}

// intRange checks an integer field against its inclusive bounds.
func (v *validator) intRange(field string, value, lo, hi int) {
	q := "'" + strconv.Itoa(value) + "'"
	if value < lo {
		v.fail(q, field, "have value greater than or equal to "+strconv.Itoa(lo))
	}
	if value > hi {
		v.fail(q, field, "have value less than or equal to "+strconv.Itoa(hi))
	}
}

func (v *validator) err() error {
	switch len(v.errs) {
	case 0:
		return nil
	case 1:
		return newError(CodeValidationError, "1 validation error detected: "+v.errs[0])
	default:
		return newError(CodeValidationError, fmt.Sprintf("%d validation errors detected: %s", len(v.errs), strings.Join(v.errs, "; ")))
	}
}

// all reports whether every rune of s satisfies ok; the empty string does.
func all(s string, ok func(rune) bool) bool {
	for _, r := range s {
		if !ok(r) {
			return false
		}
	}
	return true
}

func isWordOrPunct(r rune) bool {
	// \w in IAM's (Java) patterns is ASCII only.
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune("_+=,.@-", r))
}

// validRoleName matches roleNamePattern (and policyNamePattern).
func validRoleName(s string) bool { return s != "" && all(s, isWordOrPunct) }

// validPath matches pathPattern: "/" or "/" + printable ASCII + "/".
func validPath(s string) bool {
	if s == "/" {
		return true
	}
	return len(s) >= 3 && s[0] == '/' && s[len(s)-1] == '/' &&
		all(s[1:len(s)-1], func(r rune) bool { return r >= 0x21 && r <= 0x7E })
}

// validPathPrefix matches pathPrefixPattern.
func validPathPrefix(s string) bool {
	return s != "" && s[0] == '/' && all(s[1:], func(r rune) bool { return r >= 0x21 && r <= 0x7F })
}

func validDocumentChars(s string) bool {
	return s != "" && all(s, func(r rune) bool {
		return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xFF && r != utf8.RuneError)
	})
}

func validDescription(s string) bool {
	return all(s, func(r rune) bool {
		return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0x7E) || (r >= 0xA1 && r <= 0xFF)
	})
}

func isTagRune(r rune) bool {
	if r == utf8.RuneError {
		return false
	}
	return unicode.IsLetter(r) || unicode.Is(unicode.Z, r) || unicode.IsNumber(r) || strings.ContainsRune("_.:/=+-@", r)
}

func validTagKey(s string) bool   { return s != "" && all(s, isTagRune) }
func validTagValue(s string) bool { return all(s, isTagRune) }

// roleName records the violations of a required role name.
func (v *validator) roleName(field, name string) {
	if v.required(field, name) {
		v.str(field, name, 1, maxNameLen, roleNamePattern, validRoleName)
	}
}

// document records the violations of a required policy document's
// characters and length; its JSON is checked by checkPolicyJSON.
func (v *validator) document(field, doc string) {
	if v.required(field, doc) {
		v.str(field, doc, 1, maxDocumentLen, documentPattern, validDocumentChars)
	}
}

// tags records the violations of a list of tags.
func (v *validator) tags(field string, tags []Tag) {
	if len(tags) > MaxTagsPerRole {
		keys := make([]string, len(tags))
		for i, t := range tags {
			keys[i] = t.Key
		}
		v.fail("'["+strings.Join(keys, ", ")+"]'", field, "have length less than or equal to "+strconv.Itoa(MaxTagsPerRole))
	}
	for i, t := range tags {
		prefix := field + "." + strconv.Itoa(i+1) + ".member."
		if v.required(prefix+"key", t.Key) {
			v.str(prefix+"key", t.Key, 1, maxTagKeyLen, tagKeyPattern, validTagKey)
		}
		v.str(prefix+"value", t.Value, 0, maxTagValueLen, tagValuePattern, validTagValue)
	}
}

// page records the violations of pagination parameters.
func (v *validator) page(p PageInput) {
	if p.MaxItems != 0 {
		v.intRange("maxItems", p.MaxItems, 1, maxMaxItems)
	}
	if p.Marker != "" {
		v.str("marker", p.Marker, 1, 320, `[\u0020-\u00FF]+`, func(s string) bool {
			return all(s, func(r rune) bool { return r >= 0x20 && r <= 0xFF })
		})
	}
}

// checkPolicyJSON rejects a document that is not a JSON policy: an object
// with a Statement.
func checkPolicyJSON(doc string) error {
	if !json.Valid([]byte(doc)) {
		return newError(CodeMalformedPolicyDocument, "This policy contains invalid Json")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &fields); err != nil {
		return newError(CodeMalformedPolicyDocument, "Syntax errors in policy.")
	}
	if _, ok := fields["Statement"]; !ok {
		return newError(CodeMalformedPolicyDocument, "Syntax errors in policy.")
	}
	return nil
}

// policySize is the length IAM counts against its policy quotas: characters
// other than white space.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// checkTrustPolicy validates a role's trust policy document: its JSON, then
// its size.
func checkTrustPolicy(doc string) error {
	if err := checkPolicyJSON(doc); err != nil {
		return err
	}
	if policySize(doc) > MaxTrustPolicySize {
		return newError(CodeLimitExceeded, "Cannot exceed quota for ACLSizePerRole: "+strconv.Itoa(MaxTrustPolicySize))
	}
	return nil
}

// uniqueTagKeys rejects a request that names one tag key twice; IAM tag keys
// are case-insensitive.
func uniqueTagKeys(tags []Tag) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return newError(CodeInvalidInput, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}
