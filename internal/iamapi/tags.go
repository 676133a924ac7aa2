package iamapi

import (
	"context"

	"github.com/reservoir-dev/reservoir/internal/iam"
)

// tagService is what the tag actions need of the domain.
type tagService interface {
	TagRole(ctx context.Context, account, name string, tags []iam.Tag) error
	UntagRole(ctx context.Context, account, name string, keys []string) error
	ListRoleTags(ctx context.Context, account, name string, in iam.PageInput) (iam.Page[iam.Tag], error)
}

type tagHandlers struct {
	svc tagService
}

func (h tagHandlers) tagRole(r *request) (any, error) {
	return nil, h.svc.TagRole(r.ctx, r.account, r.params.get("RoleName"), r.params.tags("Tags"))
}

func (h tagHandlers) untagRole(r *request) (any, error) {
	return nil, h.svc.UntagRole(r.ctx, r.account, r.params.get("RoleName"), r.params.stringList("TagKeys"))
}

func (h tagHandlers) listRoleTags(r *request) (any, error) {
	page, err := r.params.page()
	if err != nil {
		return nil, err
	}
	tags, err := h.svc.ListRoleTags(r.ctx, r.account, r.params.get("RoleName"), page)
	if err != nil {
		return nil, err
	}
	out := listRoleTagsResult{IsTruncated: tags.IsTruncated, Marker: tags.Marker}
	out.Tags = *toTagListXML(tags.Items)
	return out, nil
}
