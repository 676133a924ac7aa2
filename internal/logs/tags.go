package logs

import (
	"context"
	"maps"
	"strings"
)

// TagLogGroup adds or replaces tags of a group (the legacy operation).
func (s *Service) TagLogGroup(ctx context.Context, scope Scope, name string, tags map[string]string) error {
	var v violations
	v.checkGroupName("logGroupName", name)
	if len(tags) < 1 {
		v.add("tags", cMinLen, 1)
	}
	v.checkTags("tags", tags)
	if err := v.err(); err != nil {
		return err
	}
	return s.tag(ctx, scope, name, scope.GroupTagARN(name), tags)
}

// UntagLogGroup removes tags of a group (the legacy operation); keys it
// does not have are ignored.
func (s *Service) UntagLogGroup(ctx context.Context, scope Scope, name string, keys []string) error {
	var v violations
	v.checkGroupName("logGroupName", name)
	v.checkTagKeys("tags", keys, 1)
	if err := v.err(); err != nil {
		return err
	}
	return s.untag(ctx, scope, name, keys)
}

// ListTagsLogGroup returns a group's tags (the legacy operation).
func (s *Service) ListTagsLogGroup(ctx context.Context, scope Scope, name string) (map[string]string, error) {
	var v violations
	v.checkGroupName("logGroupName", name)
	if err := v.err(); err != nil {
		return nil, err
	}
	g, err := s.group(scope, name)
	if err != nil {
		return nil, err
	}
	return tagsOf(g), nil
}

// TagResource adds or replaces tags of the group whose ARN (without ":*")
// is given.
func (s *Service) TagResource(ctx context.Context, scope Scope, arn string, tags map[string]string) error {
	var v violations
	v.checkResourceARN(arn)
	if len(tags) < 1 {
		v.add("tags", cMinLen, 1)
	}
	v.checkTags("tags", tags)
	if err := v.err(); err != nil {
		return err
	}
	name, err := resourceGroup(scope, arn)
	if err != nil {
		return err
	}
	return s.tag(ctx, scope, name, arn, tags)
}

// UntagResource removes tags of the group whose ARN is given.
func (s *Service) UntagResource(ctx context.Context, scope Scope, arn string, keys []string) error {
	var v violations
	v.checkResourceARN(arn)
	v.checkTagKeys("tagKeys", keys, 0)
	if err := v.err(); err != nil {
		return err
	}
	name, err := resourceGroup(scope, arn)
	if err != nil {
		return err
	}
	return s.untag(ctx, scope, name, keys)
}

// ListTagsForResource returns the tags of the group whose ARN is given.
func (s *Service) ListTagsForResource(ctx context.Context, scope Scope, arn string) (map[string]string, error) {
	var v violations
	v.checkResourceARN(arn)
	if err := v.err(); err != nil {
		return nil, err
	}
	name, err := resourceGroup(scope, arn)
	if err != nil {
		return nil, err
	}
	g, err := s.group(scope, name)
	if err != nil {
		return nil, err
	}
	return tagsOf(g), nil
}

func (s *Service) tag(ctx context.Context, scope Scope, name, arn string, tags map[string]string) error {
	return s.updateGroup(ctx, scope, name, func(g *Group) error {
		merged := maps.Clone(g.Tags)
		if merged == nil {
			merged = make(map[string]string, len(tags))
		}
		maps.Copy(merged, tags)
		if len(merged) > maxTags {
			return &Error{Code: CodeTooManyTags, Message: msgTooManyTags, ResourceName: arn}
		}
		g.Tags = merged
		return nil
	})
}

func (s *Service) untag(ctx context.Context, scope Scope, name string, keys []string) error {
	return s.updateGroup(ctx, scope, name, func(g *Group) error {
		for _, k := range keys {
			delete(g.Tags, k)
		}
		if len(g.Tags) == 0 {
			g.Tags = nil
		}
		return nil
	})
}

func tagsOf(g Group) map[string]string {
	if g.Tags == nil {
		return map[string]string{}
	}
	return g.Tags
}

// checkResourceARN adds the length violations of a resourceArn; its shape
// is checked by resourceGroup, which answers as AWS does.
func (v *violations) checkResourceARN(arn string) {
	if n := length(arn); n < 1 {
		v.add("resourceArn", cMinLen, 1)
	} else if n > maxARNLen {
		v.add("resourceArn", cMaxLen, maxARNLen)
	}
}

// resourceGroup returns the group a tagging ARN names. An ARN that is not a
// CloudWatch Logs ARN, or a group ARN with the ":*" of DescribeLogGroups'
// arn, is a ValidationException "Invalid resourceArn", as AWS answers it; a
// well-formed ARN of another scope or resource type names nothing here.
func resourceGroup(scope Scope, arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) < 7 || parts[0] != "arn" || parts[1] == "" || parts[2] != "logs" || parts[6] == "" ||
		!allBytes(arn, arnByte) {
		return "", newError(CodeValidation, msgInvalidResource)
	}
	if parts[5] == "log-group" && strings.Contains(parts[6], ":") {
		return "", newError(CodeValidation, msgInvalidResource)
	}
	if name, ok := parseGroupARN(scope, arn); ok && parts[1] == "aws" {
		return name, nil
	}
	if parts[5] == "log-group" {
		return "", errGroupNotFound()
	}
	// chosen: destinations and other resources are not served.
	return "", newError(CodeResourceNotFound, "The specified resource does not exist.")
}
