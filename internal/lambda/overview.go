package lambda

import (
	"cmp"
	"slices"
	"sort"
)

// FunctionOverview is what a live view shows of one function's settings:
// its reservation and its provisioned configs with their live status.
type FunctionOverview struct {
	Name        string
	Reserved    *int // nil: no reservation
	Provisioned []ProvisionedConfig
	LogGroup    string // where $LATEST's logs go
}

// Scopes lists the scopes that hold functions, sorted by account and region.
// It reads memory only.
func (s *Service) Scopes() []Scope {
	out := s.scopeList()
	slices.SortFunc(out, func(x, y Scope) int {
		return cmp.Or(cmp.Compare(x.Account, y.Account), cmp.Compare(x.Region, y.Region))
	})
	return out
}

// Overview returns every function of sc, sorted by name, with its
// reservation and its provisioned configs (sorted by qualifier, with the
// status and allocation GetProvisionedConcurrencyConfig would report). It
// reads memory only: no store, no writer slot.
func (s *Service) Overview(sc Scope) []FunctionOverview {
	entries := s.entries(sc)
	out := make([]FunctionOverview, 0, len(entries))
	for _, e := range entries {
		fn := e.cur.Load()
		if fn == nil {
			continue
		}
		o := FunctionOverview{Name: fn.Name, LogGroup: fn.Latest.Logging.Group(fn.Name)}
		if fn.ReservedConcurrency != nil {
			r := *fn.ReservedConcurrency
			o.Reserved = &r
		}
		qs := make([]string, 0, len(fn.Provisioned))
		for q := range fn.Provisioned {
			qs = append(qs, q)
		}
		sort.Strings(qs)
		for _, q := range qs {
			o.Provisioned = append(o.Provisioned, s.provisionedView(e, fn, q).ProvisionedConfig)
		}
		out = append(out, o)
	}
	return out
}
