package lambda

import (
	"regexp"
	"strings"
)

// Function-name patterns from the Lambda API model. FunctionName accepts a
// plain name, a partial ARN (ACCOUNT:function:NAME) or a full ARN, each
// optionally qualified with :VERSION or :ALIAS.
const (
	functionNamePattern = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`
	// Reads (GetFunction, Invoke, DeleteFunction...) also accept dots in the
	// name and "$LATEST.PUBLISHED", and up to 256 characters.
	functionNameReadPattern = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?`
	qualifierPattern        = `\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+`
	aliasNamePattern        = `(?!^[0-9]+$)([a-zA-Z0-9-_]+)`
	functionVersionPattern  = `(\$LATEST(\.PUBLISHED)?|[0-9]+)`
	roleARNPattern          = `arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`
)

var (
	functionNameRE     = regexp.MustCompile(`^` + functionNamePattern + `$`)
	functionNameReadRE = regexp.MustCompile(`^` + functionNameReadPattern + `$`)
	qualifierRE        = regexp.MustCompile(`^(` + qualifierPattern + `)$`)
	aliasNameRE        = regexp.MustCompile(`^[a-zA-Z0-9-_]+$`)
	numericRE          = regexp.MustCompile(`^[0-9]+$`)
	functionVersionRE  = regexp.MustCompile(`^` + functionVersionPattern + `$`)
	roleARNRE          = regexp.MustCompile(`^` + roleARNPattern + `$`)
	regionRE           = regexp.MustCompile(`^[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}$`)
	accountRE          = regexp.MustCompile(`^\d{12}$`)
	plainNameRE        = regexp.MustCompile(`^[a-zA-Z0-9-_]+$`)
)

// FunctionRef is a parsed FunctionName parameter.
type FunctionRef struct {
	Name      string
	Qualifier string // "" when the reference is unqualified
	Account   string // "" when the reference names no account
	Region    string // "" when the reference names no region
}

// nameForm selects the constraints of the API member being parsed.
type nameForm int

const (
	nameWrite nameForm = iota // max 140, no dots
	nameRead                  // max 256, dots, $LATEST.PUBLISHED
)

// ParseFunctionName parses a FunctionName member in any form AWS accepts and
// checks its constraints (writes: 1..140 characters; reads: 1..256).
func ParseFunctionName(s string, form nameForm) (FunctionRef, error) {
	var v Validation
	maxLen, re, pattern := 140, functionNameRE, functionNamePattern
	if form == nameRead {
		maxLen, re, pattern = 256, functionNameReadRE, functionNameReadPattern
	}
	v.Length(s, 1, maxLen, "functionName")
	if s != "" && !re.MatchString(s) {
		v.Add(Quote(s), "functionName", "Member must satisfy regular expression pattern: "+pattern)
	}
	if err := v.Err(); err != nil {
		return FunctionRef{}, err
	}
	var ref FunctionRef
	parts := strings.Split(s, ":")
	switch {
	case strings.HasPrefix(s, "arn:"):
		// arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
		if len(parts) < 7 || parts[5] != "function" {
			return FunctionRef{}, invalidARN(s)
		}
		ref = FunctionRef{Region: parts[3], Account: parts[4], Name: parts[6]}
		if len(parts) == 8 {
			ref.Qualifier = parts[7]
		}
	case len(parts) >= 3 && parts[1] == "function":
		// ACCOUNT:function:NAME[:QUALIFIER]
		ref = FunctionRef{Account: parts[0], Name: parts[2]}
		if len(parts) == 4 {
			ref.Qualifier = parts[3]
		}
	case len(parts) <= 2:
		ref.Name = parts[0]
		if len(parts) == 2 {
			ref.Qualifier = parts[1]
		}
	default:
		return FunctionRef{}, invalidARN(s)
	}
	if (ref.Region != "" && !regionRE.MatchString(ref.Region)) || (ref.Account != "" && !accountRE.MatchString(ref.Account)) {
		return FunctionRef{}, invalidARN(s)
	}
	// "ACCOUNT:function:$LATEST" matches the API's pattern (as name "function",
	// qualifier "$LATEST"), but read as the ACCOUNT:function:NAME form it
	// names no function; refuse it as the ARN form refuses a bad name.
	if !plainNameRE.MatchString(strings.ReplaceAll(ref.Name, ".", "_")) {
		return FunctionRef{}, invalidARN(s)
	}
	if len(ref.Name) > 64 {
		var v Validation
		v.Add(Quote(ref.Name), "functionName", "Member must have length less than or equal to 64")
		return FunctionRef{}, v.Err()
	}
	return ref, nil
}

func invalidARN(s string) error {
	var v Validation
	v.Add(Quote(s), "functionName", "Member must satisfy regular expression pattern: "+functionNamePattern)
	return v.Err()
}

// checkQualifier validates a Qualifier member.
func checkQualifier(q, field string, v *Validation) {
	if q == "" {
		return
	}
	v.Length(q, 1, 128, field)
	if !qualifierRE.MatchString(q) {
		v.Add(Quote(q), field, "Member must satisfy regular expression pattern: "+qualifierPattern)
	}
}

// isVersionNumber reports whether a qualifier names a published version.
func isVersionNumber(q string) bool { return numericRE.MatchString(q) }
