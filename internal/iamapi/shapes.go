package iamapi

import (
	"strings"
	"time"

	"github.com/reservoir-dev/reservoir/internal/iam"
)

// The wire shapes of the IAM 2010-05-08 and STS 2011-06-15 models. Lists are
// wrapped in their element with one <member> per item, and a required list
// is present even when empty.

// IAMVersion and STSVersion are the query API versions (Version=) of the
// two services.
const (
	IAMVersion = iamVersion
	STSVersion = stsVersion
)

const (
	iamVersion   = "2010-05-08"
	iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsVersion   = "2011-06-15"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

	// timeFormat is how IAM writes its dates (ISO 8601, UTC).
	timeFormat = "2006-01-02T15:04:05Z"
)

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type roleXML struct {
	Path                     string      `xml:"Path"`
	RoleName                 string      `xml:"RoleName"`
	RoleID                   string      `xml:"RoleId"`
	Arn                      string      `xml:"Arn"`
	CreateDate               string      `xml:"CreateDate"`
	AssumeRolePolicyDocument string      `xml:"AssumeRolePolicyDocument,omitempty"`
	Description              string      `xml:"Description,omitempty"`
	MaxSessionDuration       int         `xml:"MaxSessionDuration,omitempty"`
	Tags                     *tagListXML `xml:"Tags,omitempty"`
	RoleLastUsed             *struct{}   `xml:"RoleLastUsed,omitempty"`
}

type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type tagListXML struct {
	Members []tagXML `xml:"member"`
}

type stringListXML struct {
	Members []string `xml:"member"`
}

type roleListXML struct {
	Members []roleXML `xml:"member"`
}

type attachedPolicyXML struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

type attachedPolicyListXML struct {
	Members []attachedPolicyXML `xml:"member"`
}

type instanceProfileXML struct {
	InstanceProfileName string `xml:"InstanceProfileName"`
}

type instanceProfileListXML struct {
	Members []instanceProfileXML `xml:"member"`
}

// roleResult is the result of CreateRole, GetRole and UpdateRoleDescription.
type roleResult struct {
	Role roleXML `xml:"Role"`
}

type listRolesResult struct {
	Roles       roleListXML `xml:"Roles"`
	IsTruncated bool        `xml:"IsTruncated"`
	Marker      string      `xml:"Marker,omitempty"`
}

type listRoleTagsResult struct {
	Tags        tagListXML `xml:"Tags"`
	IsTruncated bool       `xml:"IsTruncated"`
	Marker      string     `xml:"Marker,omitempty"`
}

type listRolePoliciesResult struct {
	PolicyNames stringListXML `xml:"PolicyNames"`
	IsTruncated bool          `xml:"IsTruncated"`
	Marker      string        `xml:"Marker,omitempty"`
}

type getRolePolicyResult struct {
	RoleName       string `xml:"RoleName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

type listAttachedRolePoliciesResult struct {
	AttachedPolicies attachedPolicyListXML `xml:"AttachedPolicies"`
	IsTruncated      bool                  `xml:"IsTruncated"`
	Marker           string                `xml:"Marker,omitempty"`
}

type listInstanceProfilesForRoleResult struct {
	InstanceProfiles instanceProfileListXML `xml:"InstanceProfiles"`
	IsTruncated      bool                   `xml:"IsTruncated"`
	Marker           string                 `xml:"Marker,omitempty"`
}

// emptyResult is the result element of an action whose output has no members.
type emptyResult struct{}

// getUserResult is GetUser's answer for a root user: no UserName, no Path.
type getUserResult struct {
	User userShape `xml:"User"`
}

type userShape struct {
	UserID     string `xml:"UserId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
}

type getCallerIdentityResult struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

// roleView selects which members of a role an action returns.
type roleView int

const (
	// listView is a role as ListRoles shows it: without tags or last use.
	listView roleView = iota
	// fullView is a role as CreateRole and GetRole show it.
	fullView
)

func toRoleXML(r iam.Role, view roleView) roleXML {
	x := roleXML{
		Path:                     r.Path,
		RoleName:                 r.Name,
		RoleID:                   r.ID,
		Arn:                      r.ARN(),
		CreateDate:               formatTime(r.CreateDate),
		AssumeRolePolicyDocument: escapePolicy(r.AssumeRolePolicyDocument),
		Description:              r.Description,
		MaxSessionDuration:       r.MaxSessionDuration,
	}
	if view == fullView {
		if tags := r.TagList(); len(tags) > 0 {
			x.Tags = toTagListXML(tags)
		}
		x.RoleLastUsed = &struct{}{}
	}
	return x
}

func toTagListXML(tags []iam.Tag) *tagListXML {
	l := &tagListXML{Members: make([]tagXML, len(tags))}
	for i, t := range tags {
		l.Members[i] = tagXML{Key: t.Key, Value: t.Value}
	}
	return l
}

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// escapePolicy URL-encodes a policy document as IAM returns it: every byte
// but the unreserved A-Z a-z 0-9 - _ . ~ as %XX, so that both a path and a
// query unescape (which reads '+' as a space) give the document back.
func escapePolicy(doc string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(doc) * 2)
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
