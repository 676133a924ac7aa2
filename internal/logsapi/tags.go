package logsapi

import "context"

type tagResourceInput struct {
	ResourceArn *string           `json:"resourceArn"`
	Tags        map[string]string `json:"tags"`
}

func (a api) tagResource(ctx context.Context, in *tagResourceInput) (*struct{}, error) {
	var r required
	r.need("resourceArn", in.ResourceArn == nil)
	r.need("tags", in.Tags == nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	return nil, a.d.TagResource(ctx, scope(ctx), *in.ResourceArn, in.Tags)
}

type untagResourceInput struct {
	ResourceArn *string  `json:"resourceArn"`
	TagKeys     []string `json:"tagKeys"`
}

func (a api) untagResource(ctx context.Context, in *untagResourceInput) (*struct{}, error) {
	var r required
	r.need("resourceArn", in.ResourceArn == nil)
	r.need("tagKeys", in.TagKeys == nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	return nil, a.d.UntagResource(ctx, scope(ctx), *in.ResourceArn, in.TagKeys)
}

type resourceArnInput struct {
	ResourceArn *string `json:"resourceArn"`
}

type tagsOutput struct {
	Tags map[string]string `json:"tags"`
}

func (a api) listTagsForResource(ctx context.Context, in *resourceArnInput) (*tagsOutput, error) {
	var r required
	r.need("resourceArn", in.ResourceArn == nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	tags, err := a.d.ListTagsForResource(ctx, scope(ctx), *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return &tagsOutput{Tags: nonNil(tags)}, nil
}

type tagLogGroupInput struct {
	LogGroupName *string           `json:"logGroupName"`
	Tags         map[string]string `json:"tags"`
}

func (a api) tagLogGroup(ctx context.Context, in *tagLogGroupInput) (*struct{}, error) {
	var r required
	r.need("logGroupName", in.LogGroupName == nil)
	r.need("tags", in.Tags == nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	return nil, a.d.TagLogGroup(ctx, scope(ctx), *in.LogGroupName, in.Tags)
}

type untagLogGroupInput struct {
	LogGroupName *string  `json:"logGroupName"`
	Tags         []string `json:"tags"` // tag keys, under the legacy name
}

func (a api) untagLogGroup(ctx context.Context, in *untagLogGroupInput) (*struct{}, error) {
	var r required
	r.need("logGroupName", in.LogGroupName == nil)
	r.need("tags", in.Tags == nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	return nil, a.d.UntagLogGroup(ctx, scope(ctx), *in.LogGroupName, in.Tags)
}

func (a api) listTagsLogGroup(ctx context.Context, in *logGroupNameInput) (*tagsOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	tags, err := a.d.ListTagsLogGroup(ctx, scope(ctx), *in.LogGroupName)
	if err != nil {
		return nil, err
	}
	return &tagsOutput{Tags: nonNil(tags)}, nil
}

// nonNil makes a group without tags answer "tags": {}, as AWS does.
func nonNil(tags map[string]string) map[string]string {
	if tags == nil {
		return map[string]string{}
	}
	return tags
}
