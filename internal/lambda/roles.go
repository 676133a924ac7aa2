package lambda

import (
	"context"
	"strings"
)

// RoleChecker tells whether Lambda could assume an execution role. The app
// wires IAM to it; the domain never imports IAM.
type RoleChecker interface {
	// LambdaCanAssume reports whether roleARN names an existing role whose
	// trust policy lets lambda.amazonaws.com call sts:AssumeRole; when it
	// does not, why says what is missing (for the log).
	LambdaCanAssume(ctx context.Context, roleARN string) (ok bool, why string)
}

// AWS's answers for an execution role it cannot use. A role of another
// account is refused by IAM's PassRole check before Lambda looks at the role:
// 403 AccessDeniedException, as AWS answers CreateFunction (seen in
// aws/aws-toolkit-azure-devops#546, fabric8io/kubernetes-alexa#6).
const (
	msgCrossAccountPassRole = "Cross-account pass role is not allowed."
	msgRoleCannotBeAssumed  = "The role defined for the function cannot be assumed by Lambda."
)

// checkRoleAccount refuses an execution role of another account. role
// already matches roleARNPattern.
func checkRoleAccount(sc Scope, role string) error {
	if parts := strings.SplitN(role, ":", 6); len(parts) < 5 || parts[4] != sc.Account {
		return newErr(KindAccessDenied, msgCrossAccountPassRole)
	}
	return nil
}

// checkAssumable asks IAM whether Lambda could assume role, about to become
// function's: a role it could not is refused as AWS refuses it with
// StrictRoles, and otherwise accepted with a warning (many setups name a role
// they never create in Reservoir).
func (s *Service) checkAssumable(ctx context.Context, function, role string) error {
	if s.roles == nil {
		return nil
	}
	ok, why := s.roles.LambdaCanAssume(ctx, role)
	switch {
	case ok:
		return nil
	case s.strict:
		return newErr(KindInvalidParameterValue, msgRoleCannotBeAssumed)
	}
	s.log.Warn("execution role accepted, though Lambda could not assume it (--strict-roles refuses it, as AWS does)",
		"function", function, "role", role, "reason", why)
	return nil
}
