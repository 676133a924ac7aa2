package iam

import (
	"context"
	"strconv"
	"strings"
)

// TagRole adds tags to the role, replacing the value of any key it already
// has. Tag keys are case-insensitive: a new key replaces an old one that
// differs only in case.
func (s *Service) TagRole(ctx context.Context, account, name string, tags []Tag) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	var v validator
	v.roleName("roleName", name)
	if len(tags) == 0 {
		v.fail("null", "tags", "not be null")
	}
	v.tags("tags", tags)
	if err := v.err(); err != nil {
		return err
	}
	if err := uniqueTagKeys(tags); err != nil {
		return err
	}
	_, err := s.update(ctx, account, name, func(r *Role) error {
		if r.Tags == nil {
			r.Tags = make(map[string]string, len(tags))
		}
		for _, t := range tags {
			deleteTagFold(r.Tags, t.Key)
			r.Tags[t.Key] = t.Value
		}
		if len(r.Tags) > MaxTagsPerRole {
			return newError(CodeLimitExceeded, "Cannot exceed quota for TagsPerRole: "+strconv.Itoa(MaxTagsPerRole))
		}
		return nil
	})
	return err
}

// UntagRole removes the tags with the given keys from the role; keys it does
// not have are ignored.
func (s *Service) UntagRole(ctx context.Context, account, name string, keys []string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	var v validator
	v.roleName("roleName", name)
	if len(keys) == 0 {
		v.fail("null", "tagKeys", "not be null")
	}
	if len(keys) > MaxTagsPerRole {
		v.fail("'["+strings.Join(keys, ", ")+"]'", "tagKeys", "have length less than or equal to "+strconv.Itoa(MaxTagsPerRole))
	}
	for i, k := range keys {
		v.str("tagKeys."+strconv.Itoa(i+1)+".member", k, 1, maxTagKeyLen, tagKeyPattern, validTagKey)
	}
	if err := v.err(); err != nil {
		return err
	}
	_, err := s.update(ctx, account, name, func(r *Role) error {
		for _, k := range keys {
			deleteTagFold(r.Tags, k)
		}
		if len(r.Tags) == 0 {
			r.Tags = nil
		}
		return nil
	})
	return err
}

// ListRoleTags returns a page of the role's tags, ordered by key.
func (s *Service) ListRoleTags(ctx context.Context, account, name string, in PageInput) (Page[Tag], error) {
	if err := checkRoleName(account, name); err != nil {
		return Page[Tag]{}, err
	}
	var v validator
	v.page(in)
	if err := v.err(); err != nil {
		return Page[Tag]{}, err
	}
	r, err := s.get(account, name)
	if err != nil {
		return Page[Tag]{}, err
	}
	return paginate(r.TagList(), func(t Tag) string { return t.Key }, in)
}

// deleteTagFold deletes every key of tags equal to key under case folding.
func deleteTagFold(tags map[string]string, key string) {
	for k := range tags {
		if strings.EqualFold(k, key) {
			delete(tags, k)
		}
	}
}
