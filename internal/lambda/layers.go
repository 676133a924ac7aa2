package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A layer is a named series of immutable layer versions, each a zip whose
// contents functions see under /opt. Versions are numbered from 1 and a
// number is never reused, even after its version is deleted: the Layer
// record outlives its last version to keep LastVersion.

// LayerARN is the ARN of the layer name in this scope.
func (s Scope) LayerARN(name string) string {
	return "arn:aws:lambda:" + s.Region + ":" + s.Account + ":layer:" + name
}

// Layer is everything durable about one layer of one scope.
type Layer struct {
	Scope Scope
	Name  string
	// LastVersion is the number of the newest version ever published.
	LastVersion int
	Versions    []LayerVersion // oldest first
}

// LayerVersion is one published version of a layer. Only its permissions
// change after it is published.
type LayerVersion struct {
	Version                 int
	Description             string
	LicenseInfo             string
	CompatibleRuntimes      []string
	CompatibleArchitectures []string
	CodeSha256              string // the zip, stored with the function code
	CodeSize                int64
	CreatedDate             time.Time
	// Policy is the version's permission statements, in the order added;
	// PolicyRevision changes with every change to them ("" with none ever).
	Policy         []LayerStatement
	PolicyRevision string
}

// LayerStatement is one AddLayerVersionPermission statement.
type LayerStatement struct {
	Sid            string
	Action         string // lambda:GetLayerVersion
	Principal      string // an account ID, "*" or arn:aws:iam::<account>:root
	OrganizationID string // "" when not given
}

// LayerVersionARN is the ARN of one version.
func (l *Layer) LayerVersionARN(version int) string {
	return l.Scope.LayerARN(l.Name) + ":" + strconv.Itoa(version)
}

func (l *Layer) clone() *Layer {
	c := *l
	c.Versions = make([]LayerVersion, len(l.Versions))
	for i, v := range l.Versions {
		v.CompatibleRuntimes = slices.Clone(v.CompatibleRuntimes)
		v.CompatibleArchitectures = slices.Clone(v.CompatibleArchitectures)
		v.Policy = slices.Clone(v.Policy)
		c.Versions[i] = v
	}
	return &c
}

func (l *Layer) version(n int) (LayerVersion, int, bool) {
	for i, v := range l.Versions {
		if v.Version == n {
			return v, i, true
		}
	}
	return LayerVersion{}, -1, false
}

// layerIndex holds every layer in memory as immutable snapshots. write
// admits one writer at a time and is held across the store write, so
// changes are persisted in the order they are applied; mu guards only the
// map and is never held across I/O.
type layerIndex struct {
	write chan struct{}

	mu     sync.RWMutex
	layers map[Scope]map[string]*Layer
}

func (x *layerIndex) get(sc Scope, name string) *Layer {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.layers[sc][name]
}

func (x *layerIndex) set(l *Layer) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.layers == nil {
		x.layers = map[Scope]map[string]*Layer{}
	}
	m := x.layers[l.Scope]
	if m == nil {
		m = map[string]*Layer{}
		x.layers[l.Scope] = m
	}
	m[l.Name] = l
}

// sorted returns the scope's layers sorted by name.
func (x *layerIndex) sorted(sc Scope) []*Layer {
	x.mu.RLock()
	out := make([]*Layer, 0, len(x.layers[sc]))
	for _, l := range x.layers[sc] {
		out = append(out, l)
	}
	x.mu.RUnlock()
	slices.SortFunc(out, func(a, b *Layer) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// eachDigest calls f with the digest of every layer version of every scope;
// the caller holds no lock of x.
func (x *layerIndex) eachDigest(f func(string)) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, m := range x.layers {
		for _, l := range m {
			for _, v := range l.Versions {
				f(v.CodeSha256)
			}
		}
	}
}

// lockLayers takes the layers' writer slot.
func (s *Service) lockLayers(ctx context.Context) (unlock func(), err error) {
	select {
	case s.layers.write <- struct{}{}:
		return func() { <-s.layers.write }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Layer name and ARN patterns of the Lambda model.
const (
	layerNamePattern       = `(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+`
	layerVersionARNPattern = `arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+`
	// functionLayersPattern is the pattern AWS names when a function's
	// Layers member holds something that is not a layer version ARN.
	functionLayersPattern = `(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)`
)

var (
	layerNameRE        = regexp.MustCompile(`^(?:` + layerNamePattern + `)$`)
	layerVersionARNRE  = regexp.MustCompile(`^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+):([0-9]+)$`)
	functionLayerRE    = regexp.MustCompile(`^(?:` + functionLayersPattern + `)$`)
	layerPrincipalRE   = regexp.MustCompile(`^(?:\d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root)$`)
	organizationIDRE   = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	layerStatementIDRE = regexp.MustCompile(`^[a-zA-Z0-9-_]+$`)
)

// Limits of layers.
const (
	MaxFunctionLayers = 5
	maxLayerRuntimes  = 15
	maxLayerArchs     = 2
	maxLayerListItems = 50
)

// Messages AWS sends about layers.
const (
	msgLayerNotFound       = "The resource you requested does not exist."
	msgLayerPolicyNotFound = "No policy is associated with the given resource."
	msgTooManyLayers       = "Cannot reference more than 5 layers."
	msgLayerRevision       = "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id"
)

// layerRef resolves a LayerName member (a name or a layer ARN) in sc.
func layerRef(sc Scope, layerName string, v *Validation) string {
	v.Length(layerName, 1, 140, "layerName")
	if layerName != "" && !layerNameRE.MatchString(layerName) {
		v.Add(Quote(layerName), "layerName", "Member must satisfy regular expression pattern: "+layerNamePattern)
	}
	if strings.HasPrefix(layerName, "arn:") {
		parts := strings.Split(layerName, ":")
		if len(parts) == 7 {
			return parts[6]
		}
	}
	return layerName
}

// checkLayerARNScope refuses a layer ARN of another scope for the layer
// operations: AWS answers them as for a layer that does not exist here.
func checkLayerARNScope(sc Scope, layerName string) error {
	if !strings.HasPrefix(layerName, "arn:") {
		return nil
	}
	parts := strings.Split(layerName, ":")
	if len(parts) == 7 && (parts[3] != sc.Region || parts[4] != sc.Account) {
		return newErr(KindResourceNotFound, msgLayerNotFound)
	}
	return nil
}

// LayerInput carries PublishLayerVersion's members.
type LayerInput struct {
	LayerName               string
	Description             string
	LicenseInfo             string
	CompatibleRuntimes      []string
	CompatibleArchitectures []string
	ZipFile                 []byte
	HasS3                   bool
	HasContent              bool
}

func validateCompat(runtimes, archs []string, v *Validation) {
	if len(runtimes) > maxLayerRuntimes {
		v.Add(Quote("["+strings.Join(runtimes, ", ")+"]"), "compatibleRuntimes", fmt.Sprintf("Member must have length less than or equal to %d", maxLayerRuntimes))
	}
	for _, r := range runtimes {
		if !slices.Contains(knownRuntimes, r) {
			v.Add(Quote("["+strings.Join(runtimes, ", ")+"]"), "compatibleRuntimes", "Member must satisfy constraint: [Member must satisfy enum value set: ["+strings.Join(knownRuntimes, ", ")+"]]")
			break
		}
	}
	if len(archs) > maxLayerArchs {
		v.Add(Quote("["+strings.Join(archs, ", ")+"]"), "compatibleArchitectures", fmt.Sprintf("Member must have length less than or equal to %d", maxLayerArchs))
	}
	for _, a := range archs {
		if a != "x86_64" && a != "arm64" {
			v.Add(Quote("["+strings.Join(archs, ", ")+"]"), "compatibleArchitectures", "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]")
			break
		}
	}
}

// PublishLayerVersion stores the zip (content-addressed, with the function
// code, so an unchanged layer is stored once) and publishes the layer's next
// version.
func (s *Service) PublishLayerVersion(ctx context.Context, sc Scope, in LayerInput) (*Layer, LayerVersion, error) {
	var v Validation
	name := layerRef(sc, in.LayerName, &v)
	v.Required(in.HasContent, "content")
	v.Length(in.Description, 0, 256, "description")
	v.Length(in.LicenseInfo, 0, 512, "licenseInfo")
	validateCompat(in.CompatibleRuntimes, in.CompatibleArchitectures, &v)
	if err := v.Err(); err != nil {
		return nil, LayerVersion{}, err
	}
	if err := checkLayerARNScope(sc, in.LayerName); err != nil {
		return nil, LayerVersion{}, err
	}
	switch {
	case in.ZipFile == nil && in.HasS3:
		return nil, LayerVersion{}, newErr(KindInvalidParameterValue, "Reservoir cannot read code from Amazon S3; upload the layer content as ZipFile.")
	case in.ZipFile == nil:
		return nil, LayerVersion{}, newErr(KindInvalidParameterValue, "Please provide a source for function code.")
	}
	digest, _, err := inspectZip(in.ZipFile)
	if err != nil {
		return nil, LayerVersion{}, err
	}
	if err := s.checkPackage(in.ZipFile); err != nil {
		return nil, LayerVersion{}, err
	}
	unpin, err := s.pinCode(ctx, digest)
	if err != nil {
		return nil, LayerVersion{}, err
	}
	published := false
	defer func() {
		unpin()
		if !published { // the zip may be stored with nothing referencing it
			s.collectCode(ctx, digest)
		}
	}()
	if err := s.store.PutCode(ctx, digest, in.ZipFile); err != nil {
		return nil, LayerVersion{}, fmt.Errorf("publish layer %s: %w", name, err)
	}
	unlock, err := s.lockLayers(ctx)
	if err != nil {
		return nil, LayerVersion{}, err
	}
	defer unlock()
	next := &Layer{Scope: sc, Name: name}
	if cur := s.layers.get(sc, name); cur != nil {
		next = cur.clone()
	}
	next.LastVersion++
	lv := LayerVersion{
		Version:                 next.LastVersion,
		Description:             in.Description,
		LicenseInfo:             in.LicenseInfo,
		CompatibleRuntimes:      slices.Clone(in.CompatibleRuntimes),
		CompatibleArchitectures: slices.Clone(in.CompatibleArchitectures),
		CodeSha256:              digest,
		CodeSize:                int64(len(in.ZipFile)),
		CreatedDate:             s.now(),
	}
	next.Versions = append(next.Versions, lv)
	if err := s.store.SaveLayer(ctx, next); err != nil {
		return nil, LayerVersion{}, fmt.Errorf("publish layer %s: %w", name, err)
	}
	s.layers.set(next)
	published = true
	return next, lv, nil
}

// findLayerVersion returns a version of a layer of sc.
func (s *Service) findLayerVersion(sc Scope, name string, version int) (*Layer, LayerVersion, error) {
	l := s.layers.get(sc, name)
	if l == nil {
		return nil, LayerVersion{}, newErr(KindResourceNotFound, msgLayerNotFound)
	}
	lv, _, ok := l.version(version)
	if !ok {
		return nil, LayerVersion{}, newErr(KindResourceNotFound, msgLayerNotFound)
	}
	return l, lv, nil
}

// GetLayerVersion returns one version of a layer.
func (s *Service) GetLayerVersion(ctx context.Context, sc Scope, layerName string, version int) (*Layer, LayerVersion, error) {
	var v Validation
	name := layerRef(sc, layerName, &v)
	if err := v.Err(); err != nil {
		return nil, LayerVersion{}, err
	}
	if err := checkLayerARNScope(sc, layerName); err != nil {
		return nil, LayerVersion{}, err
	}
	return s.findLayerVersion(sc, name, version)
}

// ParseLayerVersionARN splits a layer version ARN.
func ParseLayerVersionARN(arn string) (sc Scope, name string, version int, ok bool) {
	m := layerVersionARNRE.FindStringSubmatch(arn)
	if m == nil || len(arn) > 140 {
		return Scope{}, "", 0, false
	}
	n, err := strconv.Atoi(m[4])
	if err != nil {
		return Scope{}, "", 0, false
	}
	return Scope{Region: m[1], Account: m[2]}, m[3], n, true
}

// GetLayerVersionByArn returns the version a layer version ARN names. A
// version of another account is found when its policy grants the caller's
// account lambda:GetLayerVersion.
func (s *Service) GetLayerVersionByArn(ctx context.Context, sc Scope, arn string) (*Layer, LayerVersion, error) {
	var v Validation
	v.Length(arn, 1, 140, "arn")
	owner, name, version, ok := ParseLayerVersionARN(arn)
	if arn != "" && !ok {
		v.Add(Quote(arn), "arn", "Member must satisfy regular expression pattern: "+layerVersionARNPattern)
	}
	if err := v.Err(); err != nil {
		return nil, LayerVersion{}, err
	}
	if owner.Region != sc.Region {
		return nil, LayerVersion{}, newErr(KindResourceNotFound, msgLayerNotFound)
	}
	l, lv, err := s.findLayerVersion(owner, name, version)
	if err != nil {
		return nil, LayerVersion{}, err
	}
	if owner.Account != sc.Account && !lv.grants(sc.Account) {
		return nil, LayerVersion{}, errLayerAccessDenied(sc, arn)
	}
	return l, lv, nil
}

func errLayerAccessDenied(sc Scope, arn string) *Error {
	return newErr(KindAccessDenied, "User: arn:aws:iam::%s:root is not authorized to perform: lambda:GetLayerVersion on resource: %s because no resource-based policy allows the lambda:GetLayerVersion action", sc.Account, arn)
}

// grants reports whether the version's policy lets account use it.
// Organization conditions cannot be checked (Reservoir has no
// organizations): a statement with one grants nobody.
func (lv LayerVersion) grants(account string) bool {
	for _, st := range lv.Policy {
		if st.OrganizationID != "" {
			continue
		}
		if st.Principal == "*" || st.Principal == account || st.Principal == "arn:aws:iam::"+account+":root" {
			return true
		}
	}
	return false
}

// LayerListItem is one layer of ListLayers with its newest matching version.
type LayerListItem struct {
	Layer  *Layer
	Latest LayerVersion
}

func (lv LayerVersion) matches(runtime, arch string) bool {
	return (runtime == "" || slices.Contains(lv.CompatibleRuntimes, runtime)) &&
		(arch == "" || slices.Contains(lv.CompatibleArchitectures, arch))
}

func validateListFilters(runtime, arch string, maxItems int) error {
	var v Validation
	if runtime != "" && !slices.Contains(knownRuntimes, runtime) {
		v.Add(Quote(runtime), "compatibleRuntime", "Member must satisfy enum value set: ["+strings.Join(knownRuntimes, ", ")+"]")
	}
	if arch != "" && arch != "x86_64" && arch != "arm64" {
		v.Add(Quote(arch), "compatibleArchitecture", "Member must satisfy enum value set: [x86_64, arm64]")
	}
	if err := v.Err(); err != nil {
		return err
	}
	return checkMaxItems(maxItems, maxLayerListItems)
}

// ListLayers lists the scope's layers that have a version matching the
// filters, by name, each with its newest matching version.
func (s *Service) ListLayers(ctx context.Context, sc Scope, runtime, arch, marker string, maxItems int) ([]LayerListItem, string, error) {
	if err := validateListFilters(runtime, arch, maxItems); err != nil {
		return nil, "", err
	}
	var all []LayerListItem
	for _, l := range s.layers.sorted(sc) {
		for i := len(l.Versions) - 1; i >= 0; i-- {
			if l.Versions[i].matches(runtime, arch) {
				all = append(all, LayerListItem{Layer: l, Latest: l.Versions[i]})
				break
			}
		}
	}
	start, end, next, err := page(len(all), marker, maxItems, maxLayerListItems)
	if err != nil {
		return nil, "", err
	}
	return all[start:end], next, nil
}

// ListLayerVersions lists a layer's versions matching the filters, newest
// first (as AWS lists them). A layer without versions lists none.
func (s *Service) ListLayerVersions(ctx context.Context, sc Scope, layerName, runtime, arch, marker string, maxItems int) (*Layer, []LayerVersion, string, error) {
	var v Validation
	name := layerRef(sc, layerName, &v)
	if err := v.Err(); err != nil {
		return nil, nil, "", err
	}
	if err := validateListFilters(runtime, arch, maxItems); err != nil {
		return nil, nil, "", err
	}
	l := s.layers.get(sc, name)
	if l == nil || checkLayerARNScope(sc, layerName) != nil {
		l = &Layer{Scope: sc, Name: name}
	}
	var all []LayerVersion
	for i := len(l.Versions) - 1; i >= 0; i-- {
		if l.Versions[i].matches(runtime, arch) {
			all = append(all, l.Versions[i])
		}
	}
	start, end, next, err := page(len(all), marker, maxItems, maxLayerListItems)
	if err != nil {
		return nil, nil, "", err
	}
	return l, all[start:end], next, nil
}

// changeLayerVersion applies change to one version of a layer under the
// layers' writer slot and persists the layer. change returns whether it
// changed anything.
func (s *Service) changeLayerVersion(ctx context.Context, sc Scope, layerName string, version int,
	change func(l *Layer, i int) (bool, error)) (*Layer, error) {
	var v Validation
	name := layerRef(sc, layerName, &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := checkLayerARNScope(sc, layerName); err != nil {
		return nil, err
	}
	unlock, err := s.lockLayers(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	cur := s.layers.get(sc, name)
	if cur == nil {
		return nil, newErr(KindResourceNotFound, msgLayerNotFound)
	}
	_, i, ok := cur.version(version)
	if !ok {
		return nil, newErr(KindResourceNotFound, msgLayerNotFound)
	}
	next := cur.clone()
	changed, err := change(next, i)
	if err != nil || !changed {
		return cur, err
	}
	if err := s.store.SaveLayer(ctx, next); err != nil {
		return nil, fmt.Errorf("save layer %s: %w", name, err)
	}
	s.layers.set(next)
	return next, nil
}

// DeleteLayerVersion deletes one version; deleting a missing one is not an
// error, as on AWS. Functions that use it keep its contents (their
// configurations reference its zip, which code collection keeps).
func (s *Service) DeleteLayerVersion(ctx context.Context, sc Scope, layerName string, version int) error {
	var digest string
	_, err := s.changeLayerVersion(ctx, sc, layerName, version, func(l *Layer, i int) (bool, error) {
		digest = l.Versions[i].CodeSha256
		l.Versions = slices.Delete(l.Versions, i, i+1)
		return true, nil
	})
	var de *Error
	if errors.As(err, &de) && de.Kind == KindResourceNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	s.collectCode(ctx, digest)
	return nil
}

// AddLayerVersionPermission adds a statement to a version's policy and
// returns the statement as JSON and the policy's new revision.
func (s *Service) AddLayerVersionPermission(ctx context.Context, sc Scope, layerName string, version int,
	st LayerStatement, revisionID string) (statement, revision string, err error) {
	var v Validation
	v.Length(st.Sid, 1, 100, "statementId")
	if st.Sid != "" && !layerStatementIDRE.MatchString(st.Sid) {
		v.Add(Quote(st.Sid), "statementId", "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)")
	}
	v.Required(st.Action != "", "action")
	if st.Action != "" && st.Action != "lambda:GetLayerVersion" {
		v.Add(Quote(st.Action), "action", "Member must satisfy regular expression pattern: lambda:GetLayerVersion")
	}
	v.Required(st.Principal != "", "principal")
	if st.Principal != "" && !layerPrincipalRE.MatchString(st.Principal) {
		v.Add(Quote(st.Principal), "principal", `Member must satisfy regular expression pattern: \d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root`)
	}
	if st.OrganizationID != "" && !organizationIDRE.MatchString(st.OrganizationID) {
		v.Add(Quote(st.OrganizationID), "organizationId", "Member must satisfy regular expression pattern: o-[a-z0-9]{10,32}")
	}
	if err := v.Err(); err != nil {
		return "", "", err
	}
	var rendered string
	l, err := s.changeLayerVersion(ctx, sc, layerName, version, func(l *Layer, i int) (bool, error) {
		lv := &l.Versions[i]
		if revisionID != "" && revisionID != lv.PolicyRevision {
			return false, newErr(KindPreconditionFailed, msgLayerRevision)
		}
		if slices.ContainsFunc(lv.Policy, func(x LayerStatement) bool { return x.Sid == st.Sid }) {
			return false, newErr(KindResourceConflict, "The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", st.Sid)
		}
		next := *lv
		next.Policy = append(slices.Clone(lv.Policy), st)
		if err := checkPolicySize(layerPolicyDocument(l, next)); err != nil {
			return false, err
		}
		lv.Policy = next.Policy
		lv.PolicyRevision = newRevisionID()
		rendered = string(mustJSON(layerStatementJSON(l, *lv, st)))
		return true, nil
	})
	if err != nil {
		return "", "", err
	}
	lv, _, _ := l.version(version)
	return rendered, lv.PolicyRevision, nil
}

// GetLayerVersionPolicy returns a version's policy document and revision.
func (s *Service) GetLayerVersionPolicy(ctx context.Context, sc Scope, layerName string, version int) (policy, revision string, err error) {
	l, lv, err := s.GetLayerVersion(ctx, sc, layerName, version)
	if err != nil {
		return "", "", err
	}
	if len(lv.Policy) == 0 {
		return "", "", newErr(KindResourceNotFound, msgLayerPolicyNotFound)
	}
	return string(layerPolicyDocument(l, lv)), lv.PolicyRevision, nil
}

// RemoveLayerVersionPermission removes one statement.
func (s *Service) RemoveLayerVersionPermission(ctx context.Context, sc Scope, layerName string, version int, sid, revisionID string) error {
	_, err := s.changeLayerVersion(ctx, sc, layerName, version, func(l *Layer, i int) (bool, error) {
		lv := &l.Versions[i]
		if revisionID != "" && revisionID != lv.PolicyRevision {
			return false, newErr(KindPreconditionFailed, msgLayerRevision)
		}
		j := slices.IndexFunc(lv.Policy, func(x LayerStatement) bool { return x.Sid == sid })
		if j < 0 {
			return false, newErr(KindResourceNotFound, "Statement %s is not found in resource policy.", sid)
		}
		lv.Policy = slices.Delete(lv.Policy, j, j+1)
		lv.PolicyRevision = newRevisionID()
		return true, nil
	})
	return err
}

// A layer policy statement renders as a function's does (statementJSON,
// permissions.go).
func layerStatementJSON(l *Layer, lv LayerVersion, st LayerStatement) statementJSON {
	var principal any = "*"
	switch {
	case st.Principal == "*":
	case strings.HasPrefix(st.Principal, "arn:"):
		principal = map[string]string{"AWS": st.Principal}
	default:
		principal = map[string]string{"AWS": "arn:aws:iam::" + st.Principal + ":root"}
	}
	out := statementJSON{Sid: st.Sid, Effect: "Allow", Principal: principal, Action: st.Action,
		Resource: l.LayerVersionARN(lv.Version)}
	if st.OrganizationID != "" {
		out.Condition = &conditionJSON{StringEquals: map[string]string{"aws:PrincipalOrgID": st.OrganizationID}}
	}
	return out
}

func layerPolicyDocument(l *Layer, lv LayerVersion) []byte {
	doc := struct {
		Version   string          `json:"Version"`
		ID        string          `json:"Id"`
		Statement []statementJSON `json:"Statement"`
	}{Version: "2012-10-17", ID: "default"}
	for _, st := range lv.Policy {
		doc.Statement = append(doc.Statement, layerStatementJSON(l, lv, st))
	}
	return mustJSON(doc)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("lambda: " + err.Error()) // only plain strings and maps are marshalled
	}
	return b
}

// LayerCode returns the zip of one version of a layer of sc.
func (s *Service) LayerCode(ctx context.Context, sc Scope, name string, version int) ([]byte, error) {
	_, lv, err := s.findLayerVersion(sc, name, version)
	if err != nil {
		return nil, err
	}
	b, err := s.store.Code(ctx, lv.CodeSha256)
	if errors.Is(err, ErrCodeNotFound) {
		return nil, newErr(KindResourceNotFound, msgLayerNotFound)
	}
	return b, err
}
