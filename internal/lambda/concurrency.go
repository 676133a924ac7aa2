package lambda

import (
	"context"
	"errors"
	"sort"

	"github.com/reservoir-dev/reservoir/internal/concurrency"
)

// PutFunctionConcurrency sets the function's reserved concurrency. r is nil
// when the request did not send it.
func (s *Service) PutFunctionConcurrency(ctx context.Context, sc Scope, name string, r *int) (int, error) {
	var v Validation
	v.Required(r != nil, "reservedConcurrentExecutions")
	v.MinInt(r, 0, "reservedConcurrentExecutions")
	if err := v.Err(); err != nil {
		return 0, err
	}
	ref, err := s.functionOnly(sc, name)
	if err != nil {
		return 0, err
	}
	cs := cscope(sc)
	_, err = s.mutate(ctx, sc, ref.Name, func() error { return errFunctionNotFound(sc.FunctionARN(ref.Name) + ":" + LatestVersion) },
		func(fn *Function) (func(), func(*held), error) {
			if viol := s.acct.CheckReserved(cs, ref.Name, *r); viol != nil {
				if viol.Kind == concurrency.BelowProvisioned {
					return nil, nil, errReservedBelowProvisioned(*r, viol.Value)
				}
				return nil, nil, errReservedBelowMinimum(viol.Value)
			}
			prev := -1
			if fn.ReservedConcurrency != nil {
				prev = *fn.ReservedConcurrency
			}
			if prev == *r {
				return nil, nil, errNoChange // already so: nothing to write
			}
			// Apply before persisting so that no concurrent reservation in the
			// scope can also claim the capacity; undone if persisting fails.
			s.acct.SetReserved(cs, ref.Name, *r)
			n := *r
			fn.ReservedConcurrency = &n
			return func() { s.acct.SetReserved(cs, ref.Name, prev) }, nil, nil
		})
	if err != nil && !errors.Is(err, errNoChange) {
		return 0, err
	}
	return *r, nil
}

// functionOnly resolves a name that must be unqualified (the reserved
// concurrency operations).
func (s *Service) functionOnly(sc Scope, name string) (FunctionRef, error) {
	ref, err := s.resolve(sc, name, "", nameWrite)
	if err != nil {
		return ref, err
	}
	if ref.Qualifier != "" {
		return ref, newErr(KindInvalidParameterValue, msgQualifiedNotAllowed)
	}
	return ref, nil
}

// GetFunctionConcurrency returns the reservation, nil when there is none.
func (s *Service) GetFunctionConcurrency(ctx context.Context, sc Scope, name string) (*int, error) {
	ref, err := s.functionOnly(sc, name)
	if err != nil {
		return nil, err
	}
	_, fn := s.lookup(sc, ref.Name)
	if fn == nil {
		return nil, errFunctionNotFound(sc.FunctionARN(ref.Name))
	}
	return fn.ReservedConcurrency, nil
}

// DeleteFunctionConcurrency removes the reservation.
func (s *Service) DeleteFunctionConcurrency(ctx context.Context, sc Scope, name string) error {
	ref, err := s.functionOnly(sc, name)
	if err != nil {
		return err
	}
	cs := cscope(sc)
	_, err = s.mutate(ctx, sc, ref.Name, func() error { return errFunctionNotFound(sc.FunctionARN(ref.Name)) },
		func(fn *Function) (func(), func(*held), error) {
			if fn.ReservedConcurrency == nil {
				return nil, nil, nil
			}
			prev := *fn.ReservedConcurrency
			fn.ReservedConcurrency = nil
			s.acct.SetReserved(cs, ref.Name, -1)
			return func() { s.acct.SetReserved(cs, ref.Name, prev) }, nil, nil
		})
	return err
}

// ProvisionedView is a provisioned config as the API reports it.
type ProvisionedView struct {
	FunctionARN string // qualified with the config's qualifier
	ProvisionedConfig
}

// provisionedTarget resolves FunctionName + Qualifier for the provisioned
// operations, with AWS's errors in AWS's order.
func (s *Service) provisionedTarget(sc Scope, name, qualifier string, put bool) (FunctionRef, *entry, *Function, error) {
	var v Validation
	v.Required(qualifier != "", "qualifier")
	if err := v.Err(); err != nil {
		return FunctionRef{}, nil, nil, err
	}
	ref, err := s.resolve(sc, name, qualifier, nameWrite)
	if err != nil {
		return ref, nil, nil, err
	}
	if ref.Qualifier == LatestVersion {
		if put {
			return ref, nil, nil, newErr(KindInvalidParameterValue, msgProvisionedOnLatestPut)
		}
		return ref, nil, nil, newErr(KindInvalidParameterValue, msgProvisionedNeedsVersion)
	}
	arn := sc.FunctionARN(ref.Name) + ":" + ref.Qualifier
	missing := func() error {
		if isVersionNumber(ref.Qualifier) {
			return errFunctionNotFound(arn)
		}
		return errAliasNotFound(arn)
	}
	e, fn := s.lookup(sc, ref.Name)
	if fn == nil {
		return ref, nil, nil, missing()
	}
	if err := fn.checkQualifierExists(ref.Qualifier, missing); err != nil {
		return ref, nil, nil, err
	}
	return ref, e, fn, nil
}

func (fn *Function) checkQualifierExists(q string, missing func() error) error {
	if isVersionNumber(q) {
		if _, ok := fn.version(q); !ok {
			return missing()
		}
		return nil
	}
	if _, ok := fn.Aliases[q]; !ok {
		return missing()
	}
	return nil
}

// PutProvisionedConcurrencyConfig creates or updates a provisioned config.
// The result is IN_PROGRESS until the executor has initialized n
// environments. Putting the value a config already requests changes nothing,
// unless the config FAILED: then it tries again.
func (s *Service) PutProvisionedConcurrencyConfig(ctx context.Context, sc Scope, name, qualifier string, n *int) (ProvisionedView, error) {
	var v Validation
	v.Required(n != nil, "provisionedConcurrentExecutions")
	v.MinInt(n, 1, "provisionedConcurrentExecutions")
	if err := v.Err(); err != nil {
		return ProvisionedView{}, err
	}
	ref, e, _, err := s.provisionedTarget(sc, name, qualifier, true)
	if err != nil {
		return ProvisionedView{}, err
	}
	q, cs := ref.Qualifier, cscope(sc)
	var unchanged *ProvisionedView // set when the config already requests n
	var view ProvisionedView
	_, err = s.mutate(ctx, sc, ref.Name, func() error { return errFunctionNotFound(sc.FunctionARN(ref.Name) + ":" + q) },
		func(fn *Function) (func(), func(*held), error) {
			if err := fn.checkQualifierExists(q, func() error { return errFunctionNotFound(sc.FunctionARN(ref.Name) + ":" + q) }); err != nil {
				return nil, nil, err
			}
			if err := fn.checkProvisionedConflict(q); err != nil {
				return nil, nil, err
			}
			prev := 0
			if pc, ok := fn.Provisioned[q]; ok {
				prev = pc.Requested
				if prev == *n {
					if v := s.provisionedView(e, fn, q); v.Status != ProvisionedFailed {
						unchanged = &v
						return nil, nil, errNoChange
					}
				}
			}
			if viol := s.acct.CheckProvisioned(cs, ref.Name, q, *n); viol != nil {
				switch viol.Kind {
				case concurrency.OverReserved:
					return nil, nil, newErr(KindInvalidParameterValue, msgProvisionedOverReserved)
				case concurrency.OverUnreserved:
					return nil, nil, errProvisionedOverUnreserved(viol.Value)
				default:
					return nil, nil, errProvisionedBelowMinimum(viol.Value)
				}
			}
			s.acct.SetProvisioned(cs, ref.Name, q, *n)
			fn.Provisioned[q] = &ProvisionedConfig{Qualifier: q, Requested: *n, LastModified: s.now()}
			return func() { s.acct.SetProvisioned(cs, ref.Name, q, prev) },
				func(h *held) {
					s.provision(h, q, *n)
					view = s.provisionedView(h.e, h.fn, q)
				}, nil
		})
	if unchanged != nil {
		return *unchanged, nil
	}
	if err != nil {
		return ProvisionedView{}, err
	}
	return view, nil
}

// checkProvisionedConflict enforces one config per version: an alias may not
// take a config when its version has one, nor a version when a provisioned
// alias points at it.
func (fn *Function) checkProvisionedConflict(q string) error {
	if a, ok := fn.Aliases[q]; ok {
		if a.FunctionVersion == LatestVersion {
			return newErr(KindInvalidParameterValue, msgProvisionedOnLatestPut)
		}
		if _, own := fn.Provisioned[a.FunctionVersion]; own {
			return newErr(KindResourceConflict, msgAliasOnProvisionedVer)
		}
		return nil
	}
	for aname, a := range fn.Aliases {
		if _, prov := fn.Provisioned[aname]; prov && a.FunctionVersion == q {
			return newErr(KindResourceConflict, msgVersionPointedByProvAias)
		}
	}
	return nil
}

// provisionedView merges a config's durable settings with its live state.
func (s *Service) provisionedView(e *entry, fn *Function, q string) ProvisionedView {
	pc := *fn.Provisioned[q]
	e.liveMu.Lock()
	if lp := e.live[q]; lp != nil {
		pc.Status, pc.StatusReason, pc.Allocated = lp.status, lp.reason, lp.allocated
	} else {
		pc.Status = ProvisionedInProgress
	}
	e.liveMu.Unlock()
	pc.Available = pc.Allocated
	return ProvisionedView{FunctionARN: fn.Scope.FunctionARN(fn.Name) + ":" + q, ProvisionedConfig: pc}
}

// GetProvisionedConcurrencyConfig returns one provisioned config.
func (s *Service) GetProvisionedConcurrencyConfig(ctx context.Context, sc Scope, name, qualifier string) (ProvisionedView, error) {
	ref, e, fn, err := s.provisionedTarget(sc, name, qualifier, false)
	if err != nil {
		return ProvisionedView{}, err
	}
	if _, ok := fn.Provisioned[ref.Qualifier]; !ok {
		return ProvisionedView{}, newErr(KindProvisionedConfigNotFound, msgProvisionedNotFound)
	}
	return s.provisionedView(e, fn, ref.Qualifier), nil
}

// DeleteProvisionedConcurrencyConfig removes a provisioned config (a version
// or alias without one is not an error).
func (s *Service) DeleteProvisionedConcurrencyConfig(ctx context.Context, sc Scope, name, qualifier string) error {
	ref, _, _, err := s.provisionedTarget(sc, name, qualifier, false)
	if err != nil {
		return err
	}
	q, cs := ref.Qualifier, cscope(sc)
	_, err = s.mutate(ctx, sc, ref.Name, func() error { return errFunctionNotFound(sc.FunctionARN(ref.Name) + ":" + q) },
		func(fn *Function) (func(), func(*held), error) {
			pc, ok := fn.Provisioned[q]
			if !ok {
				return nil, nil, errNoChange
			}
			delete(fn.Provisioned, q)
			s.acct.SetProvisioned(cs, ref.Name, q, 0)
			return func() { s.acct.SetProvisioned(cs, ref.Name, q, pc.Requested) },
				func(h *held) { s.provision(h, q, 0) }, nil
		})
	if errors.Is(err, errNoChange) {
		return nil
	}
	return err
}

// ListProvisionedConcurrencyConfigs lists a function's provisioned configs.
func (s *Service) ListProvisionedConcurrencyConfigs(ctx context.Context, sc Scope, name, marker string, maxItems int) ([]ProvisionedView, string, error) {
	if err := checkMaxItems(maxItems, 50); err != nil {
		return nil, "", err
	}
	ref, err := s.resolve(sc, name, "", nameWrite)
	if err != nil {
		return nil, "", err
	}
	e, fn := s.lookup(sc, ref.Name)
	if fn == nil {
		return nil, "", errFunctionNotFound(sc.FunctionARN(ref.Name))
	}
	qs := make([]string, 0, len(fn.Provisioned))
	for q := range fn.Provisioned {
		qs = append(qs, q)
	}
	sort.Strings(qs)
	start, end, next, err := page(len(qs), marker, maxItems, 50)
	if err != nil {
		return nil, "", err
	}
	out := make([]ProvisionedView, 0, end-start)
	for _, q := range qs[start:end] {
		out = append(out, s.provisionedView(e, fn, q))
	}
	return out, next, nil
}

// AccountSettings is GetAccountSettings' answer.
type AccountSettings struct {
	ConcurrentExecutions           int
	UnreservedConcurrentExecutions int
	FunctionCount                  int
	TotalCodeSize                  int64
}

// GetAccountSettings reports the scope's limits and usage.
func (s *Service) GetAccountSettings(ctx context.Context, sc Scope) AccountSettings {
	u := s.acct.Usage(cscope(sc))
	out := AccountSettings{ConcurrentExecutions: u.Limit, UnreservedConcurrentExecutions: u.UnreservedConcurrentExecution}
	for _, e := range s.entries(sc) {
		fn := e.cur.Load()
		if fn == nil {
			continue
		}
		out.FunctionCount++
		out.TotalCodeSize += fn.Latest.CodeSize
		for _, v := range fn.Versions {
			out.TotalCodeSize += v.CodeSize
		}
	}
	return out
}
