package iamapi

// getCallerIdentity serves STS GetCallerIdentity: every caller is the
// account's root user, as the account's own credentials would be.
func getCallerIdentity(r *request) (any, error) {
	return getCallerIdentityResult{
		Arn:     "arn:aws:iam::" + r.account + ":root",
		UserID:  r.account,
		Account: r.account,
	}, nil
}
