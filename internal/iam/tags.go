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
		r.Tags = retag(r.Tags, tags)
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
	v.tagKeys(keys)
	if err := v.err(); err != nil {
		return err
	}
	_, err := s.update(ctx, account, name, func(r *Role) error {
		r.Tags = untag(r.Tags, keys)
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

// retag sets tags on a resource's tags (made when nil): a key replaces any
// key equal to it under case folding, as IAM's tag keys are.
func retag(have map[string]string, tags []Tag) map[string]string {
	if have == nil {
		have = make(map[string]string, len(tags))
	}
	for _, t := range tags {
		deleteTagFold(have, t.Key)
		have[t.Key] = t.Value
	}
	return have
}

// untag removes the keys (under case folding) from a resource's tags; none
// left is nil.
func untag(have map[string]string, keys []string) map[string]string {
	for _, k := range keys {
		deleteTagFold(have, k)
	}
	if len(have) == 0 {
		return nil
	}
	return have
}

// tagKeys validates the TagKeys member of an Untag call.
func (v *validator) tagKeys(keys []string) {
	if len(keys) == 0 {
		v.fail("null", "tagKeys", "not be null")
	}
	if len(keys) > MaxTagsPerRole {
		v.fail("'["+strings.Join(keys, ", ")+"]'", "tagKeys", "have length less than or equal to "+strconv.Itoa(MaxTagsPerRole))
	}
	for i, k := range keys {
		v.str("tagKeys."+strconv.Itoa(i+1)+".member", k, 1, maxTagKeyLen, tagKeyPattern, validTagKey)
	}
}

// deleteTagFold deletes every key of tags equal to key under case folding.
func deleteTagFold(tags map[string]string, key string) {
	for k := range tags {
		if strings.EqualFold(k, key) {
			delete(tags, k)
		}
	}
}
