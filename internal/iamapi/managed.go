package iamapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/reservoir-dev/reservoir/internal/iam"
)

// managedService is what the managed policy actions need of the domain.
type managedService interface {
	CreatePolicy(ctx context.Context, account string, in iam.CreatePolicyInput) (iam.PolicyInfo, error)
	GetPolicy(ctx context.Context, account, arn string) (iam.PolicyInfo, error)
	DeletePolicy(ctx context.Context, account, arn string) error
	ListPolicies(ctx context.Context, account string, in iam.ListPoliciesInput) (iam.Page[iam.PolicyInfo], error)
	CreatePolicyVersion(ctx context.Context, account, arn, document string, setAsDefault bool) (iam.PolicyVersion, error)
	GetPolicyVersion(ctx context.Context, account, arn, versionID string) (iam.PolicyVersion, bool, error)
	ListPolicyVersions(ctx context.Context, account, arn string, in iam.PageInput) (iam.Page[iam.PolicyVersion], string, error)
	DeletePolicyVersion(ctx context.Context, account, arn, versionID string) error
	SetDefaultPolicyVersion(ctx context.Context, account, arn, versionID string) error
	ListEntitiesForPolicy(ctx context.Context, account, arn string, in iam.ListEntitiesInput) (iam.Page[iam.PolicyRole], error)
	TagPolicy(ctx context.Context, account, arn string, tags []iam.Tag) error
	UntagPolicy(ctx context.Context, account, arn string, keys []string) error
	ListPolicyTags(ctx context.Context, account, arn string, in iam.PageInput) (iam.Page[iam.Tag], error)
}

type managedHandlers struct {
	svc managedService
}

func (h managedHandlers) createPolicy(r *request) (any, error) {
	p, err := h.svc.CreatePolicy(r.ctx, r.account, iam.CreatePolicyInput{
		Name:        r.params.get("PolicyName"),
		Path:        r.params.get("Path"),
		Document:    r.params.get("PolicyDocument"),
		Description: r.params.get("Description"),
		Tags:        r.params.tags("Tags"),
	})
	if err != nil {
		return nil, err
	}
	return policyResult{Policy: toPolicyXML(p, fullView)}, nil
}

func (h managedHandlers) getPolicy(r *request) (any, error) {
	p, err := h.svc.GetPolicy(r.ctx, r.account, r.params.get("PolicyArn"))
	if err != nil {
		return nil, err
	}
	return policyResult{Policy: toPolicyXML(p, fullView)}, nil
}

func (h managedHandlers) deletePolicy(r *request) (any, error) {
	return nil, h.svc.DeletePolicy(r.ctx, r.account, r.params.get("PolicyArn"))
}

func (h managedHandlers) listPolicies(r *request) (any, error) {
	page, err := r.params.page()
	if err != nil {
		return nil, err
	}
	onlyAttached, err := r.params.boolean("OnlyAttached")
	if err != nil {
		return nil, err
	}
	policies, err := h.svc.ListPolicies(r.ctx, r.account, iam.ListPoliciesInput{
		Scope:             r.params.get("Scope"),
		OnlyAttached:      onlyAttached,
		PathPrefix:        r.params.get("PathPrefix"),
		PolicyUsageFilter: r.params.get("PolicyUsageFilter"),
		PageInput:         page,
	})
	if err != nil {
		return nil, err
	}
	out := listPoliciesResult{IsTruncated: policies.IsTruncated, Marker: policies.Marker}
	out.Policies.Members = make([]policyXML, len(policies.Items))
	for i, p := range policies.Items {
		out.Policies.Members[i] = toPolicyXML(p, listView)
	}
	return out, nil
}

func (h managedHandlers) createPolicyVersion(r *request) (any, error) {
	setAsDefault, err := r.params.boolean("SetAsDefault")
	if err != nil {
		return nil, err
	}
	v, err := h.svc.CreatePolicyVersion(r.ctx, r.account, r.params.get("PolicyArn"), r.params.get("PolicyDocument"), setAsDefault)
	if err != nil {
		return nil, err
	}
	// IAM leaves the document out of CreatePolicyVersion's answer.
	return policyVersionResult{PolicyVersion: policyVersionXML{VersionID: v.ID, IsDefaultVersion: setAsDefault, CreateDate: formatTime(v.CreateDate)}}, nil
}

func (h managedHandlers) getPolicyVersion(r *request) (any, error) {
	v, isDefault, err := h.svc.GetPolicyVersion(r.ctx, r.account, r.params.get("PolicyArn"), r.params.get("VersionId"))
	if err != nil {
		return nil, err
	}
	return policyVersionResult{PolicyVersion: policyVersionXML{
		Document: escapePolicy(v.Document), VersionID: v.ID, IsDefaultVersion: isDefault, CreateDate: formatTime(v.CreateDate),
	}}, nil
}

func (h managedHandlers) listPolicyVersions(r *request) (any, error) {
	page, err := r.params.page()
	if err != nil {
		return nil, err
	}
	versions, defaultID, err := h.svc.ListPolicyVersions(r.ctx, r.account, r.params.get("PolicyArn"), page)
	if err != nil {
		return nil, err
	}
	out := listPolicyVersionsResult{IsTruncated: versions.IsTruncated, Marker: versions.Marker}
	out.Versions.Members = make([]policyVersionXML, len(versions.Items))
	for i, v := range versions.Items {
		out.Versions.Members[i] = policyVersionXML{VersionID: v.ID, IsDefaultVersion: v.ID == defaultID, CreateDate: formatTime(v.CreateDate)}
	}
	return out, nil
}

func (h managedHandlers) deletePolicyVersion(r *request) (any, error) {
	return nil, h.svc.DeletePolicyVersion(r.ctx, r.account, r.params.get("PolicyArn"), r.params.get("VersionId"))
}

func (h managedHandlers) setDefaultPolicyVersion(r *request) (any, error) {
	return nil, h.svc.SetDefaultPolicyVersion(r.ctx, r.account, r.params.get("PolicyArn"), r.params.get("VersionId"))
}

func (h managedHandlers) listEntitiesForPolicy(r *request) (any, error) {
	page, err := r.params.page()
	if err != nil {
		return nil, err
	}
	roles, err := h.svc.ListEntitiesForPolicy(r.ctx, r.account, r.params.get("PolicyArn"), iam.ListEntitiesInput{
		EntityFilter:      r.params.get("EntityFilter"),
		PathPrefix:        r.params.get("PathPrefix"),
		PolicyUsageFilter: r.params.get("PolicyUsageFilter"),
		PageInput:         page,
	})
	if err != nil {
		return nil, err
	}
	out := listEntitiesForPolicyResult{IsTruncated: roles.IsTruncated, Marker: roles.Marker}
	out.PolicyRoles.Members = make([]policyRoleXML, len(roles.Items))
	for i, role := range roles.Items {
		out.PolicyRoles.Members[i] = policyRoleXML{RoleName: role.Name, RoleID: role.ID}
	}
	return out, nil
}

func (h managedHandlers) tagPolicy(r *request) (any, error) {
	return nil, h.svc.TagPolicy(r.ctx, r.account, r.params.get("PolicyArn"), r.params.tags("Tags"))
}

func (h managedHandlers) untagPolicy(r *request) (any, error) {
	return nil, h.svc.UntagPolicy(r.ctx, r.account, r.params.get("PolicyArn"), r.params.stringList("TagKeys"))
}

func (h managedHandlers) listPolicyTags(r *request) (any, error) {
	page, err := r.params.page()
	if err != nil {
		return nil, err
	}
	tags, err := h.svc.ListPolicyTags(r.ctx, r.account, r.params.get("PolicyArn"), page)
	if err != nil {
		return nil, err
	}
	out := listRoleTagsResult{IsTruncated: tags.IsTruncated, Marker: tags.Marker}
	out.Tags = *toTagListXML(tags.Items)
	return out, nil
}

type policyXML struct {
	PolicyName                    string      `xml:"PolicyName"`
	PolicyID                      string      `xml:"PolicyId"`
	Arn                           string      `xml:"Arn"`
	Path                          string      `xml:"Path"`
	DefaultVersionID              string      `xml:"DefaultVersionId"`
	AttachmentCount               int         `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int         `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool        `xml:"IsAttachable"`
	Description                   string      `xml:"Description,omitempty"`
	CreateDate                    string      `xml:"CreateDate"`
	UpdateDate                    string      `xml:"UpdateDate"`
	Tags                          *tagListXML `xml:"Tags,omitempty"`
}

type policyVersionXML struct {
	Document         string `xml:"Document,omitempty"`
	VersionID        string `xml:"VersionId"`
	IsDefaultVersion bool   `xml:"IsDefaultVersion"`
	CreateDate       string `xml:"CreateDate"`
}

type policyRoleXML struct {
	RoleName string `xml:"RoleName"`
	RoleID   string `xml:"RoleId"`
}

// policyResult is the result of CreatePolicy and GetPolicy.
type policyResult struct {
	Policy policyXML `xml:"Policy"`
}

type listPoliciesResult struct {
	Policies struct {
		Members []policyXML `xml:"member"`
	} `xml:"Policies"`
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

// policyVersionResult is the result of CreatePolicyVersion and GetPolicyVersion.
type policyVersionResult struct {
	PolicyVersion policyVersionXML `xml:"PolicyVersion"`
}

type listPolicyVersionsResult struct {
	Versions struct {
		Members []policyVersionXML `xml:"member"`
	} `xml:"Versions"`
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

type listEntitiesForPolicyResult struct {
	PolicyGroups struct{} `xml:"PolicyGroups"`
	PolicyUsers  struct{} `xml:"PolicyUsers"`
	PolicyRoles  struct {
		Members []policyRoleXML `xml:"member"`
	} `xml:"PolicyRoles"`
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

// toPolicyXML renders a policy; the list view leaves out its description and
// tags, as ListPolicies does.
func toPolicyXML(p iam.PolicyInfo, view roleView) policyXML {
	x := policyXML{
		PolicyName:                    p.Name,
		PolicyID:                      p.ID,
		Arn:                           p.ARN(),
		Path:                          p.Path,
		DefaultVersionID:              p.DefaultVersionID,
		AttachmentCount:               p.AttachmentCount,
		PermissionsBoundaryUsageCount: p.PermissionsBoundaryUsageCount,
		IsAttachable:                  true,
		CreateDate:                    formatTime(p.CreateDate),
		UpdateDate:                    formatTime(p.UpdateDate),
	}
	if view == fullView {
		x.Description = p.Description
		if tags := p.TagList(); len(tags) > 0 {
			x.Tags = toTagListXML(tags)
		}
	}
	return x
}

// boolean returns a boolean parameter, false when the request lacks it.
func (p params) boolean(name string) (bool, error) {
	if !p.has(name) {
		return false, nil
	}
	switch v := p.get(name); strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	default:
		return false, &wireError{http.StatusBadRequest, string(iam.CodeValidationError),
			"1 validation error detected: Value '" + v + "' at '" + lowerFirst(name) + "' failed to satisfy constraint: Member must be a boolean"}
	}
}
