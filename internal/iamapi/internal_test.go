package iamapi

import (
	"fmt"
	"net/url"
	"testing"
)

func TestParamsLists(t *testing.T) {
	tests := []struct {
		name  string
		query string
		tags  string
		keys  string
	}{
		{"none", "Action=TagRole", "[]", "[]"},
		{"empty list as the SDK sends it", "Tags=&TagKeys=", "[]", "[]"},
		{"ordered by index", "Tags.member.3.Key=c&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=b&Tags.member.3.Value=3",
			"[{a 1} {b } {c 3}]", "[]"},
		{"junk ignored", "Tags.member.0.Key=zero&Tags.member.-1.Key=neg&Tags.member.1001.Key=far&Tags.member.x.Key=x&Tags.member.1.Key.Extra=e&Tags.member.1.Key=ok",
			"[{ok }]", "[]"},
		{"value without key", "Tags.member.1.Value=v", "[{ v}]", "[]"},
		{"string list", "TagKeys.member.2=b&TagKeys.member.1=a&TagKeys.member.3.Sub=x", "[]", "[a b]"},
		{"first of repeated", "TagKeys.member.1=a&TagKeys.member.1=b", "[]", "[a]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			p := params(v)
			if got := fmt.Sprint(p.tags("Tags")); got != tt.tags {
				t.Errorf("tags = %s, want %s", got, tt.tags)
			}
			if got := fmt.Sprint(p.stringList("TagKeys")); got != tt.keys {
				t.Errorf("keys = %s, want %s", got, tt.keys)
			}
		})
	}
}

func TestParamsInts(t *testing.T) {
	p := params(url.Values{"MaxItems": {"7"}, "Bad": {"7x"}, "Huge": {"99999999999999999999"}})
	if n, err := p.optInt("MaxItems"); err != nil || n == nil || *n != 7 {
		t.Errorf("MaxItems = %v, %v", n, err)
	}
	if n, err := p.optInt("Absent"); err != nil || n != nil {
		t.Errorf("Absent = %v, %v", n, err)
	}
	for _, name := range []string{"Bad", "Huge"} {
		if _, err := p.optInt(name); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestEscapePolicy(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`{"Action":"sts:AssumeRole"}`, "%7B%22Action%22%3A%22sts%3AAssumeRole%22%7D"},
		{"a+b c", "a%2Bb%20c"},
		{"safe-_.~AZaz09", "safe-_.~AZaz09"},
		{"é", "%C3%A9"},
		{"/&=?#%", "%2F%26%3D%3F%23%25"},
	}
	for _, tt := range tests {
		got := escapePolicy(tt.doc)
		if got != tt.want {
			t.Errorf("escapePolicy(%q) = %q, want %q", tt.doc, got, tt.want)
		}
		for name, unescape := range map[string]func(string) (string, error){"query": url.QueryUnescape, "path": url.PathUnescape} {
			if back, err := unescape(got); err != nil || back != tt.doc {
				t.Errorf("%s unescape of %q = %q, %v", name, got, back, err)
			}
		}
	}
}

func FuzzEscapePolicy(f *testing.F) {
	f.Add(`{"Statement":[{"Effect":"Allow"}]}`)
	f.Add("+ %\xff")
	f.Fuzz(func(t *testing.T, doc string) {
		back, err := url.QueryUnescape(escapePolicy(doc))
		if err != nil || back != doc {
			t.Errorf("round trip of %q = %q, %v", doc, back, err)
		}
	})
}

func TestLowerFirst(t *testing.T) {
	for in, want := range map[string]string{"MaxItems": "maxItems", "": "", "x": "x", "9a": "9a"} {
		if got := lowerFirst(in); got != want {
			t.Errorf("lowerFirst(%q) = %q", in, got)
		}
	}
}
