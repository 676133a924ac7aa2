package lambda

import (
	"context"
	"maps"
	"strings"
)

const resourceARNPattern = `arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)`

// taggedFunction resolves a tagging Resource ARN to an unqualified function.
func (s *Service) taggedFunction(sc Scope, resource string) (FunctionRef, error) {
	var v Validation
	v.Length(resource, 1, 256, "resource")
	if resource != "" && !strings.HasPrefix(resource, "arn:") {
		v.Add(Quote(resource), "resource", "Member must satisfy regular expression pattern: "+resourceARNPattern)
	}
	if err := v.Err(); err != nil {
		return FunctionRef{}, err
	}
	ref, err := s.resolve(sc, resource, "", nameWrite)
	if err != nil {
		return ref, err
	}
	if ref.Qualifier != "" {
		return ref, newErr(KindInvalidParameterValue, "Tags on function aliases and versions are not supported. Please specify a function ARN.")
	}
	return ref, nil
}

func checkTags(tags map[string]string) error {
	var v Validation
	if len(tags) > 50 {
		v.Add(Quote(len(tags)), "tags", "Member must have length less than or equal to 50")
	}
	for k, val := range tags {
		v.Length(k, 1, 128, "tags.key")
		v.Length(val, 0, 256, "tags.value")
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return newErr(KindInvalidParameterValue, "Tag keys prefixed with 'aws:' are reserved for AWS use.")
		}
	}
	return v.Err()
}

// TagResource adds or replaces tags on a function.
func (s *Service) TagResource(ctx context.Context, sc Scope, resource string, tags map[string]string) error {
	ref, err := s.taggedFunction(sc, resource)
	if err != nil {
		return err
	}
	var v Validation
	v.Required(tags != nil, "tags")
	if err := v.Err(); err != nil {
		return err
	}
	if err := checkTags(tags); err != nil {
		return err
	}
	_, err = s.mutate(ctx, sc, ref.Name, func() error { return errFunctionNotFound(sc.FunctionARN(ref.Name)) },
		func(fn *Function) (func(), func(*held), error) {
			maps.Copy(fn.Tags, tags)
			return nil, nil, nil
		})
	return err
}

// UntagResource removes tags from a function.
func (s *Service) UntagResource(ctx context.Context, sc Scope, resource string, keys []string) error {
	ref, err := s.taggedFunction(sc, resource)
	if err != nil {
		return err
	}
	var v Validation
	v.Required(len(keys) > 0, "tagKeys")
	if err := v.Err(); err != nil {
		return err
	}
	_, err = s.mutate(ctx, sc, ref.Name, func() error { return errFunctionNotFound(sc.FunctionARN(ref.Name)) },
		func(fn *Function) (func(), func(*held), error) {
			for _, k := range keys {
				delete(fn.Tags, k)
			}
			return nil, nil, nil
		})
	return err
}

// ListTags returns a function's tags.
func (s *Service) ListTags(ctx context.Context, sc Scope, resource string) (map[string]string, error) {
	ref, err := s.taggedFunction(sc, resource)
	if err != nil {
		return nil, err
	}
	_, fn := s.lookup(sc, ref.Name)
	if fn == nil {
		return nil, errFunctionNotFound(sc.FunctionARN(ref.Name))
	}
	return maps.Clone(fn.Tags), nil
}
