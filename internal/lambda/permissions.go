package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Resource policies say who else may act on a function: each qualifier
// (the unqualified function, a version, an alias) has its own list of
// statements, added one at a time by AddPermission and removed by
// RemovePermission. They live in the function's record, so deleting the
// function, version or alias deletes its policy with it. Changing a policy
// gives the function's $LATEST, the version or the alias a new RevisionId,
// as AWS does; GetPolicy answers that RevisionId.
//
// Only Invoke (and, through PolicyAllows, function URLs) consults them: a
// caller of another account may invoke a function when a statement of the
// invoked qualifier's policy allows it. Identity policies are not
// evaluated, so a caller of the function's own account is always allowed.

// MaxPolicySize is the largest resource policy document a function, version,
// alias or layer version may have, in bytes (AWS's 20 KB quota).
const MaxPolicySize = 20480

// checkPolicySize refuses a resource policy document over MaxPolicySize with
// AWS's PolicyLengthExceededException; functions and layer versions share it.
func checkPolicySize[D string | []byte](doc D) error {
	if n := len(doc); n > MaxPolicySize {
		return newErr(KindPolicyLengthExceeded, "The final policy size (%d) is bigger than the limit (%d).", n, MaxPolicySize)
	}
	return nil
}

// policyKeyUnqualified is the Function.Policies key of the unqualified
// function's policy (which also answers for an explicit $LATEST).
const policyKeyUnqualified = LatestVersion

// Statement is one permission of a function's resource policy, as
// AddPermission was sent it. Principal is kept as sent (an account ID, an
// ARN, a service principal or "*"); the JSON AWS shows is rendered from it.
type Statement struct {
	Sid                   string
	Action                string
	Principal             string
	SourceArn             string // "": no condition
	SourceAccount         string
	EventSourceToken      string
	PrincipalOrgID        string
	FunctionURLAuthType   string // NONE or AWS_IAM; "": no condition
	InvokedViaFunctionURL bool
}

// PermissionInput is an AddPermission request.
type PermissionInput struct {
	FunctionName string
	Qualifier    string
	RevisionID   string
	Statement
}

// PolicyView is GetPolicy's answer: the policy document as AWS renders it
// and the RevisionId of the function, version or alias it belongs to.
type PolicyView struct {
	Policy     string
	RevisionID string
}

// Model patterns of AddPermission's members.
const (
	statementIDPattern      = `([a-zA-Z0-9-_]+)`
	removeStatementIDPatten = `([a-zA-Z0-9-_.]+)`
	actionPattern           = `(lambda:[*]|lambda:[a-zA-Z]+|[*])`
	principalPattern        = `[^\s]+`
	sourceArnPattern        = `arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)`
	sourceOwnerPattern      = `\d{12}`
	eventSourceTokenPattern = `[a-zA-Z0-9._\-]+`
	principalOrgIDPattern   = `o-[a-z0-9]{10,32}`
)

var (
	statementIDRE       = regexp.MustCompile(`^` + statementIDPattern + `$`)
	removeStatementIDRE = regexp.MustCompile(`^` + removeStatementIDPatten + `$`)
	actionRE            = regexp.MustCompile(`^` + actionPattern + `$`)
	principalRE         = regexp.MustCompile(`^` + principalPattern + `$`)
	sourceArnRE         = regexp.MustCompile(`^` + sourceArnPattern + `$`)
	sourceOwnerRE       = regexp.MustCompile(`^` + sourceOwnerPattern + `$`)
	eventSourceTokenRE  = regexp.MustCompile(`^` + eventSourceTokenPattern + `$`)
	principalOrgIDRE    = regexp.MustCompile(`^` + principalOrgIDPattern + `$`)
	// servicePrincipalRE: an AWS service principal (s3.amazonaws.com,
	// alexa-appkit.amazon.com, logs.us-east-1.amazonaws.com.cn).
	servicePrincipalRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*\.(amazonaws\.com|amazon\.com)(\.cn)?$`)
	// iamPrincipalRE: an IAM ARN (an account's root, a user, a role).
	iamPrincipalRE = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:iam::\d{12}:(root|(user|role|assumed-role)/[\w+=,.@/-]+)$`)
)

// AWS's sentences for resource policies.
const (
	msgPolicyNotFound       = "The resource you requested does not exist."
	msgNoPolicyAssociated   = "No policy is associated with the given resource."
	msgPolicyOnLatest       = "We currently do not support adding policies for $LATEST."
	msgInvalidPrincipal     = "The provided principal was invalid. Please check the principal and try again."
	policyRevisionAPI       = "GetFunction/GetAlias"
	actionInvokeFunction    = "lambda:InvokeFunction"
	actionInvokeFunctionURL = "lambda:InvokeFunctionUrl"
	// msgAuthTypeNeedsURLAction is AWS's answer to a FunctionUrlAuthType
	// on any other action.
	msgAuthTypeNeedsURLAction = "FunctionUrlAuthType is only supported for lambda:InvokeFunctionUrl action"
)

// validatePermission checks AddPermission's members against the model, in
// its member order.
func validatePermission(st *Statement) error {
	var v Validation
	v.Length(st.Sid, 1, 100, "statementId")
	if st.Sid != "" && !statementIDRE.MatchString(st.Sid) {
		v.Add(Quote(st.Sid), "statementId", "Member must satisfy regular expression pattern: "+statementIDPattern)
	}
	v.Required(st.Action != "", "action")
	if st.Action != "" && !actionRE.MatchString(st.Action) {
		v.Add(Quote(st.Action), "action", "Member must satisfy regular expression pattern: "+actionPattern)
	}
	v.Required(st.Principal != "", "principal")
	if st.Principal != "" && !principalRE.MatchString(st.Principal) {
		v.Add(Quote(st.Principal), "principal", "Member must satisfy regular expression pattern: "+principalPattern)
	}
	if st.SourceArn != "" && !sourceArnRE.MatchString(st.SourceArn) {
		v.Add(Quote(st.SourceArn), "sourceArn", "Member must satisfy regular expression pattern: "+sourceArnPattern)
	}
	v.Length(st.SourceAccount, 0, 12, "sourceAccount")
	if st.SourceAccount != "" && !sourceOwnerRE.MatchString(st.SourceAccount) {
		v.Add(Quote(st.SourceAccount), "sourceAccount", "Member must satisfy regular expression pattern: "+sourceOwnerPattern)
	}
	v.Length(st.EventSourceToken, 0, 256, "eventSourceToken")
	if st.EventSourceToken != "" && !eventSourceTokenRE.MatchString(st.EventSourceToken) {
		v.Add(Quote(st.EventSourceToken), "eventSourceToken", "Member must satisfy regular expression pattern: "+eventSourceTokenPattern)
	}
	if st.PrincipalOrgID != "" {
		v.Length(st.PrincipalOrgID, 12, 34, "principalOrgID")
		if !principalOrgIDRE.MatchString(st.PrincipalOrgID) {
			v.Add(Quote(st.PrincipalOrgID), "principalOrgID", "Member must satisfy regular expression pattern: "+principalOrgIDPattern)
		}
	}
	if st.FunctionURLAuthType != "" && st.FunctionURLAuthType != "NONE" && st.FunctionURLAuthType != "AWS_IAM" {
		v.Add(Quote(st.FunctionURLAuthType), "functionUrlAuthType", "Member must satisfy enum value set: [AWS_IAM, NONE]")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if _, ok := principalJSON(st.Principal); !ok {
		return newErr(KindInvalidParameterValue, msgInvalidPrincipal)
	}
	if st.FunctionURLAuthType != "" && !strings.EqualFold(st.Action, actionInvokeFunctionURL) {
		return newErr(KindInvalidParameterValue, msgAuthTypeNeedsURLAction)
	}
	return nil
}

// principalJSON is the Principal element AWS shows for what AddPermission
// was sent: "*", {"AWS": ARN} for an account ID (its root) or an IAM ARN,
// {"Service": name} for a service principal.
func principalJSON(p string) (any, bool) {
	switch {
	case p == "*":
		return "*", true
	case accountRE.MatchString(p):
		return map[string]string{"AWS": "arn:aws:iam::" + p + ":root"}, true
	case iamPrincipalRE.MatchString(p):
		return map[string]string{"AWS": p}, true
	case servicePrincipalRE.MatchString(p):
		return map[string]string{"Service": p}, true
	}
	return nil, false
}

// statementJSON is a statement as AWS renders it, members in AWS's order.
type statementJSON struct {
	Sid       string         `json:"Sid"`
	Effect    string         `json:"Effect"`
	Principal any            `json:"Principal"`
	Action    string         `json:"Action"`
	Resource  string         `json:"Resource"`
	Condition *conditionJSON `json:"Condition,omitempty"`
}

type conditionJSON struct {
	StringEquals map[string]string `json:"StringEquals,omitempty"`
	ArnLike      map[string]string `json:"ArnLike,omitempty"`
	Bool         map[string]string `json:"Bool,omitempty"`
}

type policyJSON struct {
	Version   string          `json:"Version"`
	ID        string          `json:"Id"`
	Statement []statementJSON `json:"Statement"`
}

func (st *Statement) render(resource string) statementJSON {
	principal, _ := principalJSON(st.Principal)
	out := statementJSON{Sid: st.Sid, Effect: "Allow", Principal: principal, Action: st.Action, Resource: resource}
	var c conditionJSON
	eq := func(k, v string) {
		if v == "" {
			return
		}
		if c.StringEquals == nil {
			c.StringEquals = map[string]string{}
		}
		c.StringEquals[k] = v
	}
	eq("AWS:SourceAccount", st.SourceAccount)
	eq("aws:PrincipalOrgID", st.PrincipalOrgID)
	eq("lambda:EventSourceToken", st.EventSourceToken)
	eq("lambda:FunctionUrlAuthType", st.FunctionURLAuthType)
	if st.SourceArn != "" {
		c.ArnLike = map[string]string{"AWS:SourceArn": st.SourceArn}
	}
	if st.InvokedViaFunctionURL {
		c.Bool = map[string]string{"lambda:InvokedViaFunctionUrl": "true"}
	}
	if c.StringEquals != nil || c.ArnLike != nil || c.Bool != nil {
		out.Condition = &c
	}
	return out
}

// marshal encodes v as AWS does: compact, without HTML escaping.
func marshal(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("lambda: policy does not encode: %v", err)) // only strings and maps of strings
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// rendered is the statement as AddPermission answers it.
func (st *Statement) rendered(resource string) string { return marshal(st.render(resource)) }

// policyDocument renders a qualifier's policy as GetPolicy answers it.
func policyDocument(resource string, sts []Statement) string {
	doc := policyJSON{Version: "2012-10-17", ID: "default", Statement: make([]statementJSON, len(sts))}
	for i := range sts {
		doc.Statement[i] = sts[i].render(resource)
	}
	return marshal(doc)
}

// policyResource is the ARN a qualifier's statements name: the unqualified
// function's for the unqualified policy.
func policyResource(sc Scope, name, key string) string {
	if key == policyKeyUnqualified {
		return sc.FunctionARN(name)
	}
	return sc.FunctionARN(name) + ":" + key
}

// policyTarget resolves FunctionName + Qualifier to the function and the
// Policies key ($LATEST for the unqualified function).
func (s *Service) policyTarget(sc Scope, name, qualifier string) (FunctionRef, string, error) {
	ref, err := s.resolve(sc, name, qualifier, nameRead)
	if err != nil {
		return ref, "", err
	}
	if ref.Qualifier == "" {
		return ref, policyKeyUnqualified, nil
	}
	return ref, ref.Qualifier, nil
}

// revisionOf returns the RevisionId of the resource a policy key belongs to
// ($LATEST, a version or an alias) and whether that resource exists.
func (fn *Function) revisionOf(key string) (string, bool) {
	if key == LatestVersion {
		return fn.Latest.RevisionID, true
	}
	if a, ok := fn.Aliases[key]; ok {
		return a.RevisionID, true
	}
	if c, ok := fn.version(key); ok {
		return c.RevisionID, true
	}
	return "", false
}

// bumpRevision gives the resource of a policy key a new RevisionId.
func (fn *Function) bumpRevision(key string) {
	if key == LatestVersion {
		fn.Latest.RevisionID = newRevisionID()
		return
	}
	if a, ok := fn.Aliases[key]; ok {
		a.RevisionID = newRevisionID()
		return
	}
	for i := range fn.Versions {
		if fn.Versions[i].Version == key {
			fn.Versions[i].RevisionID = newRevisionID()
		}
	}
}

// AddPermission adds a statement to the policy of the function, version or
// alias, and returns the statement as AWS renders it.
func (s *Service) AddPermission(ctx context.Context, sc Scope, in PermissionInput) (string, error) {
	ref, key, err := s.policyTarget(sc, in.FunctionName, in.Qualifier)
	if err != nil {
		return "", err
	}
	if err := validatePermission(&in.Statement); err != nil {
		return "", err
	}
	if ref.Qualifier == LatestVersion {
		return "", newErr(KindInvalidParameterValue, msgPolicyOnLatest)
	}
	resource := policyResource(sc, ref.Name, key)
	st := in.Statement
	notFound := func() error { return errFunctionNotFound(sc.FunctionARN(ref.Name)) }
	_, err = s.mutate(ctx, sc, ref.Name, notFound, func(fn *Function) (func(), func(*held), error) {
		have, ok := fn.revisionOf(key)
		if !ok {
			return nil, nil, errFunctionNotFound(resource)
		}
		if err := s.checkRevision(have, in.RevisionID, policyRevisionAPI); err != nil {
			return nil, nil, err
		}
		cur := fn.Policies[key]
		if slices.ContainsFunc(cur, func(x Statement) bool { return x.Sid == st.Sid }) {
			return nil, nil, newErr(KindResourceConflict, "The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", st.Sid)
		}
		next := append(slices.Clone(cur), st)
		if err := checkPolicySize(policyDocument(resource, next)); err != nil {
			return nil, nil, err
		}
		if fn.Policies == nil {
			fn.Policies = map[string][]Statement{}
		}
		fn.Policies[key] = next
		fn.bumpRevision(key)
		return nil, nil, nil
	})
	if err != nil {
		return "", err
	}
	return st.rendered(resource), nil
}

// RemovePermission removes a statement from the policy of the function,
// version or alias; the policy goes once its last statement does.
func (s *Service) RemovePermission(ctx context.Context, sc Scope, name, qualifier, sid, revisionID string) error {
	ref, key, err := s.policyTarget(sc, name, qualifier)
	if err != nil {
		return err
	}
	var v Validation
	v.Length(sid, 1, 100, "statementId")
	if sid != "" && !removeStatementIDRE.MatchString(sid) {
		v.Add(Quote(sid), "statementId", "Member must satisfy regular expression pattern: "+removeStatementIDPatten)
	}
	if err := v.Err(); err != nil {
		return err
	}
	resource := policyResource(sc, ref.Name, key)
	notFound := func() error { return newErr(KindResourceNotFound, "No policy found for: %s", sc.FunctionARN(ref.Name)) }
	_, err = s.mutate(ctx, sc, ref.Name, notFound, func(fn *Function) (func(), func(*held), error) {
		have, ok := fn.revisionOf(key)
		if !ok {
			return nil, nil, errFunctionNotFound(resource)
		}
		cur := fn.Policies[key]
		if len(cur) == 0 {
			return nil, nil, newErr(KindResourceNotFound, msgNoPolicyAssociated)
		}
		i := slices.IndexFunc(cur, func(x Statement) bool { return x.Sid == sid })
		if i < 0 {
			return nil, nil, newErr(KindResourceNotFound, "Statement %s is not found in resource policy.", sid)
		}
		if err := s.checkRevision(have, revisionID, policyRevisionAPI); err != nil {
			return nil, nil, err
		}
		if len(cur) == 1 {
			delete(fn.Policies, key)
		} else {
			fn.Policies[key] = slices.Delete(slices.Clone(cur), i, i+1)
		}
		fn.bumpRevision(key)
		return nil, nil, nil
	})
	return err
}

// GetPolicy returns the policy of the function, version or alias.
func (s *Service) GetPolicy(ctx context.Context, sc Scope, name, qualifier string) (PolicyView, error) {
	ref, key, err := s.policyTarget(sc, name, qualifier)
	if err != nil {
		return PolicyView{}, err
	}
	_, fn := s.lookup(sc, ref.Name)
	if fn == nil {
		return PolicyView{}, errFunctionNotFound(sc.FunctionARN(ref.Name))
	}
	resource := policyResource(sc, ref.Name, key)
	rev, ok := fn.revisionOf(key)
	if !ok {
		return PolicyView{}, errFunctionNotFound(resource)
	}
	sts := fn.Policies[key]
	if len(sts) == 0 {
		return PolicyView{}, newErr(KindResourceNotFound, msgPolicyNotFound)
	}
	return PolicyView{Policy: policyDocument(resource, sts), RevisionID: rev}, nil
}
