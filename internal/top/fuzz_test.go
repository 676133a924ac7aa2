package top

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
)

// FuzzFrame: any snapshot the server could send (any JSON that decodes)
// renders as a frame, each function's details and the program's screen
// without a panic; the plain frame and details have no escape codes, even
// from names that hold some, and the styled frame cut down for a
// non-terminal is the plain frame.
func FuzzFrame(f *testing.F) {
	seed, err := json.Marshal(fixture())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"functions":[{"name":"a","inflight":-5,"sparklines":{"inflight":[-1,0,9223372036854775807,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}}]}`))
	f.Add([]byte(`{"functions":[{"name":"","reserved":-1,"p99DurationMs":1e308,"provisioned":[{"qualifier":"ä\u0000\u001b[31m","requested":-2}]}]}`))
	f.Add([]byte(`{"pool":{"limit":-1},"accounts":[{}],"functions":[]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var s Snapshot
		if json.Unmarshal(raw, &s) != nil {
			return
		}
		st := plainStyles()
		for k := range numSortKeys {
			frame := Frame(&s, View{Sort: k, Selected: "a", Height: 3}, st)
			if len(s.Functions) > 0 && !strings.Contains(frame, "FUNCTION") {
				t.Fatalf("no table for %d functions:\n%s", len(s.Functions), frame)
			}
			if strings.ContainsRune(frame, '\x1b') {
				t.Fatalf("escape codes in a plain frame:\n%q", frame)
			}
			// What Once writes off a terminal: its frame (no selection: on a
			// terminal the selected row's bar runs to the last column, trailing
			// blanks included) styled, then cut down to its text.
			var cut bytes.Buffer
			w := &colorprofile.Writer{Forward: &cut, Profile: colorprofile.NoTTY}
			_, err := w.Write([]byte(Frame(&s, View{Sort: k}, NewStyles())))
			if plain := Frame(&s, View{Sort: k}, st); err != nil || cut.String() != plain {
				t.Fatalf("the styled frame cut down for a non-terminal (%v):\n%q\nis not the plain frame:\n%q", err, cut.String(), plain)
			}
		}
		for _, fn := range s.Functions {
			if d := Details(fn, st); strings.ContainsRune(d, '\x1b') {
				t.Fatalf("escape codes in plain details:\n%q", d)
			}
		}
		m := NewModel(nil, "", "", SortInflight, 1, st)
		next, _ := m.Update(snapshotMsg{snap: &s})
		for _, k := range []string{"down", "enter", "esc", "s", "a"} {
			next, _ = next.(Model).Update(key(k))
		}
		_ = next.View()
	})
}
