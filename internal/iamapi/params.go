package iamapi

import (
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/reservoir-dev/reservoir/internal/iam"
)

// maxListIndex bounds the N of a "Name.member.N" parameter; IAM's lists are
// far shorter, and the bound keeps a hostile index from mattering.
const maxListIndex = 1000

// params are a query-protocol request's parameters. Lists arrive flattened:
// Tags.member.1.Key=k&Tags.member.1.Value=v, TagKeys.member.1=k.
type params url.Values

func (p params) get(name string) string { return url.Values(p).Get(name) }

func (p params) has(name string) bool { return url.Values(p).Has(name) }

// optString returns the parameter, or nil when the request lacks it.
func (p params) optString(name string) *string {
	if !p.has(name) {
		return nil
	}
	v := p.get(name)
	return &v
}

// optInt returns the integer parameter, or nil when the request lacks it.
func (p params) optInt(name string) (*int, error) {
	if !p.has(name) {
		return nil, nil
	}
	s := p.get(name)
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, errNotAnInteger(name, s)
	}
	return &n, nil
}

// intOrZero returns the integer parameter, or 0 when the request lacks it.
func (p params) intOrZero(name string) (int, error) {
	n, err := p.optInt(name)
	if n == nil {
		return 0, err
	}
	return *n, nil
}

// page returns the Marker and MaxItems of a list request.
func (p params) page() (iam.PageInput, error) {
	n, err := p.intOrZero("MaxItems")
	if err != nil {
		return iam.PageInput{}, err
	}
	return iam.PageInput{Marker: p.get("Marker"), MaxItems: n}, nil
}

// members returns the fields of the list parameter name, by member index:
// for Tags.member.3.Key=k it holds members[3]["Key"] = "k", and for
// TagKeys.member.3=k members[3][""] = "k". Indices outside 1..maxListIndex
// and malformed keys are ignored.
func (p params) members(name string) map[int]map[string]string {
	prefix := name + ".member."
	var out map[int]map[string]string
	for key, vals := range p {
		rest, ok := strings.CutPrefix(key, prefix)
		if !ok || len(vals) == 0 {
			continue
		}
		index, field, _ := strings.Cut(rest, ".")
		i, err := strconv.Atoi(index)
		if err != nil || i < 1 || i > maxListIndex || strings.Contains(field, ".") {
			continue
		}
		if out == nil {
			out = make(map[int]map[string]string)
		}
		if out[i] == nil {
			out[i] = make(map[string]string, 2)
		}
		out[i][field] = vals[0]
	}
	return out
}

// sortedIndices returns the keys of m in increasing order.
func sortedIndices(m map[int]map[string]string) []int {
	idx := make([]int, 0, len(m))
	for i := range m {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	return idx
}

// tags returns the list of tags in parameter name, in member order.
func (p params) tags(name string) []iam.Tag {
	m := p.members(name)
	if m == nil {
		return nil
	}
	tags := make([]iam.Tag, 0, len(m))
	for _, i := range sortedIndices(m) {
		tags = append(tags, iam.Tag{Key: m[i]["Key"], Value: m[i]["Value"]})
	}
	return tags
}

// stringList returns the list of strings in parameter name, in member order.
func (p params) stringList(name string) []string {
	m := p.members(name)
	if m == nil {
		return nil
	}
	out := make([]string, 0, len(m))
	for _, i := range sortedIndices(m) {
		if v, ok := m[i][""]; ok {
			out = append(out, v)
		}
	}
	return out
}
