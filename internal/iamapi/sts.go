package iamapi

import (
	"github.com/reservoir-dev/reservoir/internal/iam"
)

// getCallerIdentity serves STS GetCallerIdentity: every caller is the
// account's root user, as the account's own credentials would be.
func getCallerIdentity(r *request) (any, error) {
	return getCallerIdentityResult{
		Arn:     "arn:aws:iam::" + r.account + ":root",
		UserID:  r.account,
		Account: r.account,
	}, nil
}

// userService is what GetUser needs of the domain.
type userService interface {
	GetUser(account, name string) (iam.User, error)
}

type userHandlers struct{ svc userService }

// getUser serves IAM GetUser (see iam.Service.GetUser): the caller's own
// root user, or NoSuchEntity for a named user.
func (h userHandlers) getUser(r *request) (any, error) {
	u, err := h.svc.GetUser(r.account, r.params.get("UserName"))
	if err != nil {
		return nil, err
	}
	return getUserResult{User: userShape{UserID: u.UserID, Arn: u.Arn, CreateDate: formatTime(u.CreateDate)}}, nil
}
