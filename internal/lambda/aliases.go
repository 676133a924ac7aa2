package lambda

import (
	"context"
	"errors"
	"slices"
	"sort"
)

// AliasInput carries CreateAlias / UpdateAlias members.
type AliasInput struct {
	FunctionName    string
	Name            string
	FunctionVersion *string
	Description     *string
	Weights         map[string]float64 // nil: not sent
	RevisionID      string
}

func validateAlias(in *AliasInput, create bool, v *Validation) {
	v.Length(in.Name, 1, 128, "name")
	if in.Name != "" && (!aliasNameRE.MatchString(in.Name) || isVersionNumber(in.Name)) {
		v.Add(Quote(in.Name), "name", "Member must satisfy regular expression pattern: "+aliasNamePattern)
	}
	if create {
		v.Required(in.FunctionVersion != nil, "functionVersion")
	}
	if in.FunctionVersion != nil {
		v.Length(*in.FunctionVersion, 1, 1024, "functionVersion")
		if *in.FunctionVersion != "" && !functionVersionRE.MatchString(*in.FunctionVersion) {
			v.Add(Quote(*in.FunctionVersion), "functionVersion", "Member must satisfy regular expression pattern: "+functionVersionPattern)
		}
	}
	if in.Description != nil {
		v.Length(*in.Description, 0, 256, "description")
	}
}

// checkAliasTarget checks that the alias's versions exist.
func checkAliasTarget(fn *Function, version string, weights map[string]float64) error {
	exists := func(ver string) bool {
		_, ok := fn.version(ver)
		return ver == LatestVersion || ok
	}
	if !exists(version) {
		return errFunctionNotFound(fn.Scope.FunctionARN(fn.Name) + ":" + version)
	}
	if len(weights) > 1 {
		return newErr(KindInvalidParameterValue, "Number of items in AdditionalVersionWeights cannot be greater than 1")
	}
	for ver, w := range weights {
		if !exists(ver) {
			return errFunctionNotFound(fn.Scope.FunctionARN(fn.Name) + ":" + ver)
		}
		if ver == version {
			return newErr(KindInvalidParameterValue, "Cannot set primary version %s to be an additional version", ver)
		}
		if w < 0 || w > 1 {
			var v Validation
			v.Add(Quote(w), "routingConfig.additionalVersionWeights", "Member must have value between 0.0 and 1.0")
			return v.Err()
		}
		if version == LatestVersion || ver == LatestVersion {
			return newErr(KindInvalidParameterValue, "$LATEST is not supported for an alias pointing to more than 1 version")
		}
	}
	return nil
}

// CreateAlias creates an alias.
func (s *Service) CreateAlias(ctx context.Context, sc Scope, in AliasInput) (Alias, error) {
	var v Validation
	validateAlias(&in, true, &v)
	if err := v.Err(); err != nil {
		return Alias{}, err
	}
	ref, err := s.unqualified(sc, in.FunctionName)
	if err != nil {
		return Alias{}, err
	}
	var out Alias
	_, err = s.mutate(ctx, sc, ref.Name, func() error { return errFunctionNotFound(sc.FunctionARN(ref.Name)) },
		func(fn *Function) (func(), func(*held), error) {
			if _, ok := fn.Aliases[in.Name]; ok {
				return nil, nil, newErr(KindResourceConflict, "Alias already exists: %s", sc.FunctionARN(ref.Name)+":"+in.Name)
			}
			if err := checkAliasTarget(fn, *in.FunctionVersion, in.Weights); err != nil {
				return nil, nil, err
			}
			a := &Alias{Name: in.Name, FunctionVersion: *in.FunctionVersion, Description: deref(in.Description, ""),
				AdditionalVersionWeights: in.Weights, RevisionID: newRevisionID()}
			fn.Aliases[in.Name] = a
			out = *a
			return nil, nil, nil
		})
	return out, err
}

// GetAlias returns an alias.
func (s *Service) GetAlias(ctx context.Context, sc Scope, name, alias string) (Alias, error) {
	var v Validation
	validateAlias(&AliasInput{Name: alias}, false, &v)
	if err := v.Err(); err != nil {
		return Alias{}, err
	}
	ref, err := s.unqualified(sc, name)
	if err != nil {
		return Alias{}, err
	}
	_, fn := s.lookup(sc, ref.Name)
	if fn == nil {
		return Alias{}, errFunctionNotFound(sc.FunctionARN(ref.Name))
	}
	a, ok := fn.Aliases[alias]
	if !ok {
		return Alias{}, errAliasNotFound(sc.FunctionARN(ref.Name) + ":" + alias)
	}
	return *a, nil
}

// UpdateAlias changes an alias. When the alias has a provisioned config and
// moves to another version, its environments move with it.
func (s *Service) UpdateAlias(ctx context.Context, sc Scope, in AliasInput) (Alias, error) {
	var v Validation
	validateAlias(&in, false, &v)
	if err := v.Err(); err != nil {
		return Alias{}, err
	}
	ref, err := s.unqualified(sc, in.FunctionName)
	if err != nil {
		return Alias{}, err
	}
	var out Alias
	_, err = s.mutate(ctx, sc, ref.Name, func() error { return errFunctionNotFound(sc.FunctionARN(ref.Name)) },
		func(fn *Function) (func(), func(*held), error) {
			a, ok := fn.Aliases[in.Name]
			if !ok { // UpdateAlias words it differently from GetAlias
				return nil, nil, newErr(KindResourceNotFound, "Alias not found: %s", sc.FunctionARN(ref.Name)+":"+in.Name)
			}
			if err := s.checkRevision(a.RevisionID, in.RevisionID, "GetFunction/GetAlias"); err != nil {
				return nil, nil, err
			}
			version, weights := a.FunctionVersion, a.AdditionalVersionWeights
			setIf(&version, in.FunctionVersion)
			if in.Weights != nil {
				weights = in.Weights
			}
			if err := checkAliasTarget(fn, version, weights); err != nil {
				return nil, nil, err
			}
			var after func(*held)
			if pc, provisioned := fn.Provisioned[in.Name]; provisioned && version != a.FunctionVersion {
				if version == LatestVersion {
					return nil, nil, newErr(KindInvalidParameterValue, msgProvisionedOnLatestPut)
				}
				if _, own := fn.Provisioned[version]; own {
					return nil, nil, newErr(KindResourceConflict, msgAliasOnProvisionedVer)
				}
				// The environments move with the alias.
				after = func(h *held) { s.provision(h, in.Name, pc.Requested) }
			}
			a.FunctionVersion = version
			a.AdditionalVersionWeights = weights
			setIf(&a.Description, in.Description)
			a.RevisionID = newRevisionID()
			out = *a
			return nil, after, nil
		})
	if err != nil {
		return Alias{}, err
	}
	return out, nil
}

// DeleteAlias deletes an alias and the provisioned config attached to it.
func (s *Service) DeleteAlias(ctx context.Context, sc Scope, name, alias string) error {
	var v Validation
	validateAlias(&AliasInput{Name: alias}, false, &v)
	if err := v.Err(); err != nil {
		return err
	}
	ref, err := s.unqualified(sc, name)
	if err != nil {
		return err
	}
	_, err = s.mutate(ctx, sc, ref.Name, func() error { return errFunctionNotFound(sc.FunctionARN(ref.Name)) },
		func(fn *Function) (func(), func(*held), error) {
			if _, ok := fn.Aliases[alias]; !ok {
				return nil, nil, errNoChange
			}
			delete(fn.Aliases, alias)
			delete(fn.EventInvoke, alias)
			delete(fn.Policies, alias)
			delete(fn.URLs, alias)
			pc, ok := fn.Provisioned[alias]
			if !ok {
				return nil, nil, nil
			}
			delete(fn.Provisioned, alias)
			cs, n := cscope(sc), pc.Requested
			s.acct.SetProvisioned(cs, ref.Name, alias, 0)
			return func() { s.acct.SetProvisioned(cs, ref.Name, alias, n) },
				func(h *held) { s.provision(h, alias, 0) }, nil
		})
	if errors.Is(err, errNoChange) {
		return nil // deleting a missing alias succeeds, as on AWS
	}
	return err
}

// errNoChange aborts a mutation that has nothing to do.
var errNoChange = &Error{Kind: KindResourceNotFound, Message: "no change"}

// ListAliases lists a function's aliases by name, optionally only those
// pointing at functionVersion.
func (s *Service) ListAliases(ctx context.Context, sc Scope, name, functionVersion, marker string, maxItems int) ([]Alias, *Function, string, error) {
	if err := checkMaxItems(maxItems, 10000); err != nil {
		return nil, nil, "", err
	}
	ref, err := s.unqualified(sc, name)
	if err != nil {
		return nil, nil, "", err
	}
	_, fn := s.lookup(sc, ref.Name)
	if fn == nil {
		return nil, nil, "", errFunctionNotFound(sc.FunctionARN(ref.Name))
	}
	names := make([]string, 0, len(fn.Aliases))
	for n, a := range fn.Aliases {
		if functionVersion == "" || a.FunctionVersion == functionVersion {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	start, end, next, err := page(len(names), marker, maxItems, 50)
	if err != nil {
		return nil, nil, "", err
	}
	out := make([]Alias, 0, end-start)
	for _, n := range slices.Clip(names[start:end]) {
		out = append(out, *fn.Aliases[n])
	}
	return out, fn, next, nil
}
