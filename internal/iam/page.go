package iam

import (
	"encoding/base64"
	"sort"
)

// PageInput selects one page of a list.
type PageInput struct {
	// Marker is the Marker of the previous page; empty for the first page.
	Marker string
	// MaxItems caps the page, 1 to 1000; 0 means the default, 100.
	MaxItems int
}

// Page is one page of a list. When IsTruncated, Marker fetches the next one.
type Page[T any] struct {
	Items       []T
	IsTruncated bool
	Marker      string
}

// paginate returns the page of items selected by in. key must be unique per
// item; items are ordered by it, and a marker is the encoded key of the first
// item of the next page, so a page stays right when items come and go.
func paginate[T any](items []T, key func(T) string, in PageInput) (Page[T], error) {
	start := ""
	if in.Marker != "" {
		k, err := base64.RawURLEncoding.DecodeString(in.Marker)
		if err != nil {
			return Page[T]{}, newError(CodeInvalidInput, "Invalid Marker.")
		}
		start = string(k)
	}
	limit := in.MaxItems
	if limit == 0 {
		limit = defaultMaxItems
	}
	sort.Slice(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
	i := sort.Search(len(items), func(i int) bool { return key(items[i]) >= start })
	items = items[i:]
	p := Page[T]{Items: items}
	if len(items) > limit {
		p.Items = items[:limit:limit]
		p.IsTruncated = true
		p.Marker = base64.RawURLEncoding.EncodeToString([]byte(key(items[limit])))
	}
	if p.Items == nil {
		p.Items = []T{}
	}
	return p, nil
}
