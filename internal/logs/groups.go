package logs

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// CreateLogGroupInput is CreateLogGroup's request.
type CreateLogGroupInput struct {
	Name     string
	KMSKeyID string
	// Class is "" for the default, STANDARD.
	Class GroupClass
	// Tags is nil when the request carries none; an empty non-nil map is
	// an (invalid) empty tags member.
	Tags map[string]string
}

// CreateLogGroup creates a group in scope.
func (s *Service) CreateLogGroup(ctx context.Context, scope Scope, in CreateLogGroupInput) error {
	var v violations
	v.checkGroupName("logGroupName", in.Name)
	if length(in.KMSKeyID) > maxKMSKeyIDLen {
		v.add("kmsKeyId", cMaxLen, maxKMSKeyIDLen)
	}
	if in.Class != "" && !validClass(in.Class) {
		v.add("logGroupClass", cEnum, "STANDARD, INFREQUENT_ACCESS, DELIVERY")
	}
	if in.Tags != nil {
		if len(in.Tags) < 1 {
			v.add("tags", cMinLen, 1)
		}
		v.checkTags("tags", in.Tags)
	}
	if err := v.err(); err != nil {
		return err
	}
	if strings.HasPrefix(strings.ToLower(in.Name), "aws/") {
		return errInvalid(msgReservedPrefix)
	}
	g := Group{Scope: scope, Name: in.Name, KMSKeyID: in.KMSKeyID, Class: in.Class, Tags: maps.Clone(in.Tags)}
	if g.Class == "" {
		g.Class = ClassStandard
	}
	w, err := s.lockWrites(ctx)
	if err != nil {
		return err
	}
	defer w.unlock()
	return w.createGroup(ctx, g)
}

// createGroup stores and commits a new group, stamping its creation time.
func (w *writer) createGroup(ctx context.Context, g Group) error {
	s := w.s
	if _, ok := s.lookup(g.Scope, g.Name); ok {
		return newError(CodeResourceAlreadyExists, msgGroupExists)
	}
	g.CreationTime = s.nowMillis()
	if err := s.store.SaveLogGroup(ctx, g); err != nil {
		return fmt.Errorf("logs: save group %s: %w", g.Name, err)
	}
	w.putGroup(g)
	return nil
}

// DeleteLogGroup deletes a group with its streams and events.
func (s *Service) DeleteLogGroup(ctx context.Context, scope Scope, name string) error {
	var v violations
	v.checkGroupName("logGroupName", name)
	if err := v.err(); err != nil {
		return err
	}
	w, err := s.lockWrites(ctx)
	if err != nil {
		return err
	}
	defer w.unlock()
	if _, ok := s.lookup(scope, name); !ok {
		return errGroupNotFound()
	}
	if err := s.store.DeleteLogGroup(ctx, scope, name); err != nil {
		return fmt.Errorf("logs: delete group %s: %w", name, err)
	}
	w.removeGroup(scope, name)
	return nil
}

// updateGroup runs change on a copy of the named group's configuration and,
// if it returns nil, stores the copy and commits it.
func (s *Service) updateGroup(ctx context.Context, scope Scope, name string, change func(g *Group) error) error {
	w, err := s.lockWrites(ctx)
	if err != nil {
		return err
	}
	defer w.unlock()
	g, err := s.group(scope, name)
	if err != nil {
		return err
	}
	if err := change(&g); err != nil {
		return err
	}
	if err := s.store.SaveLogGroup(ctx, g); err != nil {
		return fmt.Errorf("logs: save group %s: %w", name, err)
	}
	w.putGroup(g)
	return nil
}

// PutRetentionPolicy sets how many days a group keeps its events. The
// sweeper enforces it on its next pass.
func (s *Service) PutRetentionPolicy(ctx context.Context, scope Scope, name string, days int) error {
	var v violations
	v.checkGroupName("logGroupName", name)
	if !retentionAllowed(days) {
		v.add("retentionInDays", cEnum, retentionEnum())
	}
	if err := v.err(); err != nil {
		return err
	}
	err := s.updateGroup(ctx, scope, name, func(g *Group) error {
		g.RetentionDays = days
		return nil
	})
	if err == nil {
		s.kickSweeper()
	}
	return err
}

// DeleteRetentionPolicy makes a group keep its events forever.
func (s *Service) DeleteRetentionPolicy(ctx context.Context, scope Scope, name string) error {
	var v violations
	v.checkGroupName("logGroupName", name)
	if err := v.err(); err != nil {
		return err
	}
	return s.updateGroup(ctx, scope, name, func(g *Group) error {
		g.RetentionDays = 0
		return nil
	})
}

// DescribeLogGroupsInput is DescribeLogGroups' request. Empty strings and
// nil members are absent.
type DescribeLogGroupsInput struct {
	Prefix      string
	Pattern     string
	Identifiers []string // names or logGroupArns
	Class       GroupClass
	Limit       *int
	NextToken   string
}

// GroupDescription is one group as DescribeLogGroups reports it.
type GroupDescription struct {
	Name string
	// ARN ends in ":*" (DescribeLogGroups' arn); LogGroupARN does not.
	ARN           string
	LogGroupARN   string
	CreationTime  int64
	RetentionDays int // 0: absent (never expire)
	StoredBytes   int64
	KMSKeyID      string
	Class         GroupClass
}

// DescribeLogGroupsOutput is one page of groups, sorted by name.
type DescribeLogGroupsOutput struct {
	Groups []GroupDescription
	// Brief is set when the request gave a Pattern: AWS then includes only
	// arn, creationTime and logGroupName.
	Brief     bool
	NextToken string
}

// DescribeLogGroups lists a scope's groups, ASCII-sorted by name.
func (s *Service) DescribeLogGroups(ctx context.Context, scope Scope, in DescribeLogGroupsInput) (DescribeLogGroupsOutput, error) {
	var v violations
	v.checkOptionalGroupName("logGroupNamePrefix", in.Prefix)
	if length(in.Pattern) > maxNameLen {
		v.add("logGroupNamePattern", cMaxLen, maxNameLen)
	}
	if !allBytes(in.Pattern, groupNameByte) {
		v.add("logGroupNamePattern", cPattern, patGroupNameP)
	}
	if in.Identifiers != nil {
		if len(in.Identifiers) < 1 {
			v.add("logGroupIdentifiers", cMinLen, 1)
		} else if len(in.Identifiers) > maxIdentifiers {
			v.add("logGroupIdentifiers", cMaxLen, maxIdentifiers)
		}
		for i, id := range in.Identifiers {
			v.checkIdentifier(fmt.Sprintf("logGroupIdentifiers.%d.member", i+1), id)
		}
	}
	if in.Class != "" && !validClass(in.Class) {
		v.add("logGroupClass", cEnum, "STANDARD, INFREQUENT_ACCESS, DELIVERY")
	}
	v.checkLimit("limit", in.Limit, maxDescribeLimit)
	if err := v.err(); err != nil {
		return DescribeLogGroupsOutput{}, err
	}
	if in.Prefix != "" && in.Pattern != "" {
		return DescribeLogGroupsOutput{}, errInvalid(msgPrefixAndPattern)
	}
	if in.Identifiers != nil && (in.Prefix != "" || in.Pattern != "" || in.Class != "") {
		return DescribeLogGroupsOutput{}, errInvalid(msgIdentifiersAlone)
	}
	after, err := decodeNameToken(in.NextToken)
	if err != nil {
		return DescribeLogGroupsOutput{}, err
	}
	var wanted map[string]bool
	if in.Identifiers != nil {
		wanted = make(map[string]bool, len(in.Identifiers))
		for _, id := range in.Identifiers {
			if name, ok := groupNameOf(scope, id); ok {
				wanted[name] = true
			}
		}
	}
	limit := defaultDescribeLn
	if in.Limit != nil {
		limit = *in.Limit
	}

	s.mu.RLock()
	var page []GroupDescription
	for name, gs := range s.scopes[scope] {
		switch {
		case in.NextToken != "" && name <= after,
			!strings.HasPrefix(name, in.Prefix),
			!strings.Contains(name, in.Pattern),
			wanted != nil && !wanted[name],
			in.Class != "" && gs.g.Class != in.Class:
			continue
		}
		page = append(page, describeGroup(gs))
	}
	s.mu.RUnlock()

	slices.SortFunc(page, func(a, b GroupDescription) int { return strings.Compare(a.Name, b.Name) })
	out := DescribeLogGroupsOutput{Groups: page, Brief: in.Pattern != ""}
	if len(page) > limit {
		out.Groups = page[:limit:limit]
		out.NextToken = encodeNameToken(page[limit-1].Name)
	}
	if out.Groups == nil {
		out.Groups = []GroupDescription{}
	}
	return out, nil
}

func describeGroup(gs *groupState) GroupDescription {
	g := gs.g
	return GroupDescription{
		Name:          g.Name,
		ARN:           g.Scope.GroupARN(g.Name),
		LogGroupARN:   g.Scope.GroupTagARN(g.Name),
		CreationTime:  g.CreationTime,
		RetentionDays: g.RetentionDays,
		StoredBytes:   gs.bytes,
		KMSKeyID:      g.KMSKeyID,
		Class:         g.Class,
	}
}

// encodeNameToken makes a nextToken that resumes after name.
func encodeNameToken(name string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(name))
}

func decodeNameToken(token string) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) == 0 {
		return "", errInvalid(msgInvalidToken)
	}
	return string(b), nil
}

// checkIdentifier adds the violations of a LogGroupIdentifier.
func (v *violations) checkIdentifier(member, id string) {
	if n := length(id); n < 1 {
		v.add(member, cMinLen, 1)
	} else if n > maxIdentifierLen {
		v.add(member, cMaxLen, maxIdentifierLen)
	}
	if !allBytes(id, identifierByte) {
		v.add(member, cPattern, patIdentifier)
	}
}

// groupNameOf returns the group a LogGroupIdentifier names: a group name,
// or the logGroupArn (no ":*") of a group of scope.
func groupNameOf(scope Scope, id string) (string, bool) {
	if strings.HasPrefix(id, "arn:") {
		return parseGroupARN(scope, id)
	}
	return id, true
}

// checkGroupRef adds the violations of a request's logGroupName and
// logGroupIdentifier, either of which may be absent ("").
func (v *violations) checkGroupRef(name, identifier string) {
	if name != "" {
		v.checkGroupName("logGroupName", name)
	}
	if identifier != "" {
		v.checkIdentifier("logGroupIdentifier", identifier)
	}
}

// resolveGroup returns the group named by exactly one of a request's
// logGroupName and logGroupIdentifier (checked by checkGroupRef).
func resolveGroup(scope Scope, name, identifier string) (string, error) {
	if (name == "") == (identifier == "") {
		return "", errInvalid(msgNameOrIdentifier)
	}
	if name != "" {
		return name, nil
	}
	group, ok := groupNameOf(scope, identifier)
	if !ok {
		return "", errGroupNotFound()
	}
	return group, nil
}
