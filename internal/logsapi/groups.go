package logsapi

import (
	"context"

	"github.com/reservoir-dev/reservoir/internal/logs"
)

type createLogGroupInput struct {
	LogGroupName  *string           `json:"logGroupName"`
	KmsKeyID      string            `json:"kmsKeyId"`
	Tags          map[string]string `json:"tags"`
	LogGroupClass string            `json:"logGroupClass"`
	// DeletionProtectionEnabled is accepted and not kept: the domain has no
	// deletion protection.
	DeletionProtectionEnabled *bool `json:"deletionProtectionEnabled"`
}

func (a api) createLogGroup(ctx context.Context, in *createLogGroupInput) (*struct{}, error) {
	var r required
	r.need("logGroupName", in.LogGroupName == nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	return nil, a.d.CreateLogGroup(ctx, scope(ctx), logs.CreateLogGroupInput{
		Name: *in.LogGroupName, KMSKeyID: in.KmsKeyID, Class: logs.GroupClass(in.LogGroupClass), Tags: in.Tags,
	})
}

type logGroupNameInput struct {
	LogGroupName *string `json:"logGroupName"`
}

func (in *logGroupNameInput) check() error {
	var r required
	r.need("logGroupName", in.LogGroupName == nil)
	return r.err()
}

func (a api) deleteLogGroup(ctx context.Context, in *logGroupNameInput) (*struct{}, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	return nil, a.d.DeleteLogGroup(ctx, scope(ctx), *in.LogGroupName)
}

type putRetentionPolicyInput struct {
	LogGroupName    *string `json:"logGroupName"`
	RetentionInDays *int    `json:"retentionInDays"`
}

func (a api) putRetentionPolicy(ctx context.Context, in *putRetentionPolicyInput) (*struct{}, error) {
	var r required
	r.need("logGroupName", in.LogGroupName == nil)
	r.need("retentionInDays", in.RetentionInDays == nil)
	if err := r.err(); err != nil {
		return nil, err
	}
	return nil, a.d.PutRetentionPolicy(ctx, scope(ctx), *in.LogGroupName, *in.RetentionInDays)
}

func (a api) deleteRetentionPolicy(ctx context.Context, in *logGroupNameInput) (*struct{}, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	return nil, a.d.DeleteRetentionPolicy(ctx, scope(ctx), *in.LogGroupName)
}

type describeLogGroupsInput struct {
	// AccountIdentifiers and IncludeLinkedAccounts select groups of linked
	// source accounts; no account is linked here, so they add nothing.
	AccountIdentifiers    []string `json:"accountIdentifiers"`
	LogGroupNamePrefix    string   `json:"logGroupNamePrefix"`
	LogGroupNamePattern   string   `json:"logGroupNamePattern"`
	NextToken             string   `json:"nextToken"`
	Limit                 *int     `json:"limit"`
	IncludeLinkedAccounts bool     `json:"includeLinkedAccounts"`
	LogGroupClass         string   `json:"logGroupClass"`
	LogGroupIdentifiers   []string `json:"logGroupIdentifiers"`
}

type logGroup struct {
	LogGroupName      string `json:"logGroupName"`
	CreationTime      int64  `json:"creationTime"`
	RetentionInDays   *int   `json:"retentionInDays,omitempty"`
	MetricFilterCount *int   `json:"metricFilterCount,omitempty"`
	Arn               string `json:"arn"`
	StoredBytes       *int64 `json:"storedBytes,omitempty"`
	KmsKeyID          string `json:"kmsKeyId,omitempty"`
	LogGroupClass     string `json:"logGroupClass,omitempty"`
	LogGroupArn       string `json:"logGroupArn,omitempty"`
}

type describeLogGroupsOutput struct {
	LogGroups []logGroup `json:"logGroups"`
	NextToken string     `json:"nextToken,omitempty"`
}

func (a api) describeLogGroups(ctx context.Context, in *describeLogGroupsInput) (*describeLogGroupsOutput, error) {
	res, err := a.d.DescribeLogGroups(ctx, scope(ctx), logs.DescribeLogGroupsInput{
		Prefix: in.LogGroupNamePrefix, Pattern: in.LogGroupNamePattern, Identifiers: in.LogGroupIdentifiers,
		Class: logs.GroupClass(in.LogGroupClass), Limit: in.Limit, NextToken: in.NextToken,
	})
	if err != nil {
		return nil, err
	}
	out := &describeLogGroupsOutput{LogGroups: make([]logGroup, len(res.Groups)), NextToken: res.NextToken}
	for i, g := range res.Groups {
		lg := logGroup{LogGroupName: g.Name, CreationTime: g.CreationTime, Arn: g.ARN}
		if !res.Brief { // with a pattern, AWS answers these three members only
			zero, bytes := 0, g.StoredBytes // no metric filters exist here
			lg.MetricFilterCount, lg.StoredBytes = &zero, &bytes
			lg.KmsKeyID, lg.LogGroupClass, lg.LogGroupArn = g.KMSKeyID, string(g.Class), g.LogGroupARN
			if g.RetentionDays > 0 {
				days := g.RetentionDays
				lg.RetentionInDays = &days
			}
		}
		out.LogGroups[i] = lg
	}
	return out, nil
}
