package iam

import "time"

// User is what GetUser answers. Reservoir has no IAM users: every caller is
// its account's root user (as STS GetCallerIdentity says), so GetUser
// without a UserName answers for that root user, as AWS does for an
// account's own credentials (no UserName and no Path, the user ID being the
// account ID), and GetUser of any named user is NoSuchEntity.
type User struct {
	UserID, Arn string
	CreateDate  time.Time
}

// rootCreateDate is the CreateDate shown for every account's root user:
// Reservoir's accounts have no creation time, so a fixed one (the day the
// Lambda API this project emulates was published, 2015-03-31) keeps the
// answer stable across calls and restarts.
var rootCreateDate = time.Date(2015, 3, 31, 0, 0, 0, 0, time.UTC)

// GetUser answers IAM GetUser for the account's caller (name "") or a named
// user (never found).
func (s *Service) GetUser(account, name string) (User, error) {
	if name != "" {
		return User{}, newError(CodeNoSuchEntity, "The user with name "+name+" cannot be found.")
	}
	return User{UserID: account, Arn: "arn:aws:iam::" + account + ":root", CreateDate: rootCreateDate}, nil
}
