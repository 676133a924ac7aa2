package lambda

import (
	"context"
	"regexp"
	"strings"
)

// PolicyRequest is a request to act on a function, as a resource policy
// sees it: the action and what is known of the caller. What a direct API
// call cannot carry (SourceArn, SourceAccount: an AWS service acting for a
// resource) is empty, and a statement that requires it does not match, as
// IAM treats a condition on a key the request lacks.
type PolicyRequest struct {
	Action string // e.g. lambda:InvokeFunction, lambda:InvokeFunctionUrl
	// PrincipalAccount is the caller's account ID ("" for an anonymous
	// caller, such as a function URL's with AuthType NONE).
	PrincipalAccount string
	// PrincipalARN is the caller's IAM ARN when known ("" when only its
	// account is: Reservoir's credentials name an account, not a user).
	PrincipalARN string
	// ServicePrincipal is the AWS service calling (s3.amazonaws.com), ""
	// for a direct call.
	ServicePrincipal string
	SourceArn        string
	SourceAccount    string
	EventSourceToken string
	PrincipalOrgID   string // Reservoir has no organizations: always ""
	// FunctionURLAuthType is the AuthType of the function URL the call
	// came through (NONE or AWS_IAM), "" when it did not.
	FunctionURLAuthType string
	// ViaFunctionURL: the call came through a function URL (the
	// lambda:InvokedViaFunctionUrl condition key).
	ViaFunctionURL bool
}

// Allows reports whether the statement allows req: its action covers
// req.Action, its principal is the caller, and every condition it has
// holds for what req carries.
func (st *Statement) Allows(req PolicyRequest) bool {
	return actionCovers(st.Action, req.Action) && principalCovers(st.Principal, req) && st.conditionsHold(req)
}

// actionCovers: IAM matches actions case-insensitively; "*" and "lambda:*"
// cover every Lambda action.
func actionCovers(pattern, action string) bool {
	return pattern == "*" || strings.EqualFold(pattern, "lambda:*") || strings.EqualFold(pattern, action)
}

// principalCovers: "*" is anyone (anonymous callers included); an account
// ID or its root ARN is any identity of that account; any other IAM ARN
// is that identity; a service principal is that service.
func principalCovers(p string, req PolicyRequest) bool {
	switch {
	case p == "*":
		return true
	case accountRE.MatchString(p):
		return req.PrincipalAccount != "" && req.PrincipalAccount == p
	case iamPrincipalRE.MatchString(p):
		if acct, ok := strings.CutSuffix(p, ":root"); ok {
			return req.PrincipalAccount != "" && strings.HasSuffix(acct, "::"+req.PrincipalAccount)
		}
		return req.PrincipalARN == p
	default:
		return req.ServicePrincipal != "" && req.ServicePrincipal == p
	}
}

func (st *Statement) conditionsHold(req PolicyRequest) bool {
	eq := func(want, have string) bool { return want == "" || want == have }
	return eq(st.SourceAccount, req.SourceAccount) &&
		eq(st.PrincipalOrgID, req.PrincipalOrgID) &&
		eq(st.EventSourceToken, req.EventSourceToken) &&
		eq(st.FunctionURLAuthType, req.FunctionURLAuthType) &&
		(st.SourceArn == "" || arnLike(st.SourceArn, req.SourceArn)) &&
		(!st.InvokedViaFunctionURL || req.ViaFunctionURL)
}

// arnLike is IAM's ArnLike: each of the six colon-separated parts matched
// on its own, with * (any run) and ? (one character) as wildcards in the
// pattern.
func arnLike(pattern, arn string) bool {
	if arn == "" {
		return false
	}
	pp, ap := strings.SplitN(pattern, ":", 6), strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return false
	}
	for i := range pp {
		if !globMatch(pp[i], ap[i]) {
			return false
		}
	}
	return true
}

func globMatch(pattern, s string) bool {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	ok, err := regexp.MatchString(b.String(), s)
	return err == nil && ok
}

// PolicyAllows reports whether req may act on function (a plain name in
// sc) under qualifier ("" or $LATEST: the unqualified function; a version;
// an alias): true for a caller of sc's own account (identity policies,
// which would decide on AWS, are not evaluated), else when a statement of
// that qualifier's resource policy allows it. It fails with Lambda's
// ResourceNotFoundException when the function or qualifier does not exist.
// Function URLs call it with lambda:InvokeFunctionUrl; Invoke with
// lambda:InvokeFunction.
func (s *Service) PolicyAllows(ctx context.Context, sc Scope, function, qualifier string, req PolicyRequest) (bool, error) {
	_, fn := s.lookup(sc, function)
	if fn == nil {
		return false, errFunctionNotFound(sc.FunctionARN(function))
	}
	key := qualifier
	if key == "" {
		key = policyKeyUnqualified
	}
	if _, ok := fn.revisionOf(key); !ok {
		return false, errFunctionNotFound(policyResource(sc, function, key))
	}
	if req.PrincipalAccount != "" && req.PrincipalAccount == sc.Account {
		return true, nil
	}
	for i := range fn.Policies[key] {
		if fn.Policies[key][i].Allows(req) {
			return true, nil
		}
	}
	return false, nil
}

// invokeScope returns the scope an Invoke acts in: the caller's, or, for a
// full or partial ARN naming another account, that account's in the
// caller's region once the function's policy allows the caller
// lambda:InvokeFunction on the qualifier invoked. A caller without that
// permission gets AccessDeniedException whether or not the function exists
// (its existence is not the caller's to learn). Names that do not parse
// are left to resolve to report.
func (s *Service) invokeScope(ctx context.Context, sc Scope, name, qualifier string) (Scope, error) {
	ref, err := ParseFunctionName(name, nameRead)
	if err != nil || ref.Account == "" || ref.Account == sc.Account || (ref.Region != "" && ref.Region != sc.Region) {
		return sc, nil
	}
	owner := Scope{Account: ref.Account, Region: sc.Region}
	q := ref.Qualifier
	if qualifier != "" {
		if q != "" && q != qualifier {
			return sc, nil // resolve reports the mismatch
		}
		q = qualifier
	}
	resource := owner.FunctionARN(ref.Name)
	if q != "" {
		resource += ":" + q
	}
	if q == LatestVersion {
		q = ""
	}
	ok, err := s.PolicyAllows(ctx, owner, ref.Name, q, PolicyRequest{Action: actionInvokeFunction, PrincipalAccount: sc.Account})
	if err != nil || !ok {
		return sc, newErr(KindAccessDenied, "User: arn:aws:iam::%s:root is not authorized to perform: %s on resource: %s because no resource-based policy allows the %s action",
			sc.Account, actionInvokeFunction, resource, actionInvokeFunction)
	}
	return owner, nil
}
