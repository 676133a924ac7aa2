package top

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// fakeFetcher answers snapshots from a function and records what it was asked.
type fakeFetcher struct {
	answer func(account, region string) (*Snapshot, error)
	asked  []AccountRegion
}

func (f *fakeFetcher) Snapshot(_ context.Context, account, region string) (*Snapshot, error) {
	f.asked = append(f.asked, AccountRegion{Account: account, Region: region})
	return f.answer(account, region)
}

// run runs cmd and feeds the message it makes to m, as the program does
// (a tick's command is not run: it would wait for the interval).
func step(t *testing.T, m Model, msg tea.Msg) (Model, tea.Cmd) {
	t.Helper()
	next, cmd := m.Update(msg)
	return next.(Model), cmd
}

// key is the press of a named key or of a letter, as the terminal's
// input decodes it.
func key(s string) tea.KeyPressMsg {
	switch s {
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

// screen is m's view's text; the view is always on the alternate screen.
func screen(t *testing.T, m Model) string {
	t.Helper()
	v := m.View()
	if !v.AltScreen {
		t.Error("the view is not on the alternate screen")
	}
	return v.Content
}

// started is a model that has received its first snapshot (fixture).
func started(t *testing.T, f *fakeFetcher) Model {
	t.Helper()
	m := NewModel(f, "", "", SortInflight, time.Second, plainStyles())
	msg := m.Init()()
	m, cmd := step(t, m, msg)
	if cmd == nil {
		t.Fatal("no next fetch scheduled after a snapshot")
	}
	return m
}

func TestModelKeys(t *testing.T) {
	f := &fakeFetcher{answer: func(string, string) (*Snapshot, error) { return fixture(), nil }}
	m := started(t, f)
	if f.asked[0] != (AccountRegion{}) || m.account != "123456789012" || m.region != "us-east-1" {
		t.Fatalf("first fetch %v; then showing %s %s", f.asked, m.account, m.region)
	}
	if got := names(t, screen(t, m)); strings.Join(got[:4], " ") != "bravo delta alpha charlie" {
		t.Errorf("default order %v\n%s", got, screen(t, m))
	}
	if !strings.Contains(screen(t, m), "sorted by inflight") {
		t.Errorf("the sort is not shown:\n%s", screen(t, m))
	}
	// down selects the first row, then the next; up goes back.
	m, _ = step(t, m, key("down"))
	m, _ = step(t, m, key("down"))
	if m.view.Selected != "delta" {
		t.Errorf("down twice selects %q", m.view.Selected)
	}
	m, _ = step(t, m, key("up"))
	m, _ = step(t, m, key("up"))
	if m.view.Selected != "bravo" {
		t.Errorf("up at the top: %q", m.view.Selected)
	}
	// s cycles: name, throttles...; the selection follows its function.
	m, _ = step(t, m, key("s"))
	if m.view.Sort != SortName || strings.Join(names(t, screen(t, m))[:4], " ") != "alpha bravo charlie delta" {
		t.Errorf("after s: %s\n%s", m.view.Sort, screen(t, m))
	}
	m, _ = step(t, m, key("down"))
	if m.view.Selected != "charlie" {
		t.Errorf("down from bravo sorted by name: %q", m.view.Selected)
	}
	for k, want := range map[string]SortKey{"t": SortThrottles, "v": SortInvocations, "e": SortErrors, "n": SortName, "i": SortInflight} {
		m, _ = step(t, m, key(k))
		if m.view.Sort != want {
			t.Errorf("key %s: sort %s, want %s", k, m.view.Sort, want)
		}
	}
	// m switches the sparkline.
	m, _ = step(t, m, key("m"))
	if !strings.Contains(screen(t, m), "INVOCATIONS 15M") {
		t.Errorf("m does not switch the sparkline:\n%s", screen(t, m))
	}
	// enter opens charlie's details (its totals), esc closes them.
	m, _ = step(t, m, key("enter"))
	v := screen(t, m)
	if !strings.Contains(v, "function charlie") || !strings.Contains(v, "no provisioned concurrency") || strings.Contains(v, "FUNCTION") {
		t.Errorf("details of charlie:\n%s", v)
	}
	m, _ = step(t, m, key("esc"))
	if strings.Contains(screen(t, m), "function charlie") {
		t.Errorf("esc does not close the details:\n%s", screen(t, m))
	}
	for _, k := range []string{"q", "ctrl+c"} {
		if _, cmd := step(t, m, key(k)); cmd == nil || cmd() != tea.Quit() {
			t.Errorf("%s does not quit", k)
		}
	}
	// A key's release is not a press.
	if next, cmd := step(t, m, tea.KeyReleaseMsg{Code: 'q', Text: "q"}); cmd != nil || screen(t, next) != screen(t, m) {
		t.Error("a key's release acts as a press")
	}
}

func TestModelDetailsShowTotalsAndConfigs(t *testing.T) {
	f := &fakeFetcher{answer: func(string, string) (*Snapshot, error) { return fixture(), nil }}
	m := started(t, f)
	m, _ = step(t, m, key("down")) // bravo
	m, _ = step(t, m, key("enter"))
	v := screen(t, m)
	for _, want := range []string{"function bravo", "reserved 10", "in flight 10", "p99 12.5 ms", "live", "IN_PROGRESS"} {
		if !strings.Contains(v, want) {
			t.Errorf("details lack %q:\n%s", want, v)
		}
	}
	for _, line := range []string{"invocations 120 1200", "errors 2 7", "throttles 40 41", "spillover 3 3"} {
		found := false
		for _, l := range strings.Split(v, "\n") {
			if strings.HasPrefix(strings.Join(strings.Fields(l), " "), line) {
				found = true
			}
		}
		if !found {
			t.Errorf("details lack the line %q:\n%s", line, v)
		}
	}
}

// TestModelKeepsTheLastSnapshotOnError: a failed refresh shows its error
// above the last table and the next success clears it; a function that is
// gone loses the selection and its details.
func TestModelKeepsTheLastSnapshotOnError(t *testing.T) {
	fail := errors.New("cannot reach http://127.0.0.1:1: connection refused")
	var answer error
	snap := fixture
	f := &fakeFetcher{answer: func(string, string) (*Snapshot, error) {
		if answer != nil {
			return nil, answer
		}
		return snap(), nil
	}}
	m := started(t, f)
	m, _ = step(t, m, key("down"))
	m, _ = step(t, m, key("enter"))
	answer = fail
	m, cmd := step(t, m, tickMsg{})
	if cmd == nil {
		t.Fatal("a tick does not fetch")
	}
	m, next := step(t, m, cmd())
	if next == nil {
		t.Fatal("no retry after an error")
	}
	if v := screen(t, m); !strings.HasPrefix(v, fail.Error()) || !strings.Contains(v, "function bravo") {
		t.Errorf("after an error:\n%s", v)
	}
	answer = nil
	snap = func() *Snapshot { s := fixture(); s.Functions = s.Functions[2:]; return s } // bravo is gone
	m, cmd = step(t, m, tickMsg{})
	m, _ = step(t, m, cmd())
	if v := screen(t, m); strings.Contains(v, fail.Error()) || strings.Contains(v, "bravo") || m.view.Selected != "" || m.details {
		t.Errorf("after recovery without bravo (selected %q):\n%s", m.view.Selected, v)
	}
}

// TestModelSwitchesAccounts: a cycles the listed accounts; an answer for
// the account left behind is dropped.
func TestModelSwitchesAccounts(t *testing.T) {
	f := &fakeFetcher{answer: func(account, region string) (*Snapshot, error) {
		s := fixture()
		s.Account, s.Region = account, region
		if account == "" {
			s.Account, s.Region = "123456789012", "us-east-1"
		}
		if account == "210987654321" {
			s.Functions = []Function{{Name: "other"}}
		}
		return s, nil
	}}
	m := started(t, f)
	stale := m.fetchCmd() // asked before the switch
	m, cmd := step(t, m, key("a"))
	if cmd == nil || m.account != "210987654321" || m.region != "eu-west-1" {
		t.Fatalf("a: showing %s %s", m.account, m.region)
	}
	m, _ = step(t, m, stale())
	if m.snap != nil {
		t.Errorf("the answer for the previous account was taken: %+v", m.snap.Functions)
	}
	m, _ = step(t, m, cmd())
	if got := names(t, screen(t, m)); len(got) < 1 || got[0] != "other" || !strings.Contains(screen(t, m), "account 210987654321  region eu-west-1") {
		t.Errorf("after a:\n%s", screen(t, m))
	}
	if last := f.asked[len(f.asked)-1]; last != (AccountRegion{Account: "210987654321", Region: "eu-west-1"}) {
		t.Errorf("asked %v", last)
	}
}

// TestModelHeight: the table fits the window, keeping the selection in sight.
func TestModelHeight(t *testing.T) {
	f := &fakeFetcher{answer: func(string, string) (*Snapshot, error) { return fixture(), nil }}
	m := started(t, f)
	m, _ = step(t, m, tea.WindowSizeMsg{Width: 200, Height: 7})
	for range 4 {
		m, _ = step(t, m, key("down"))
	}
	v := screen(t, m)
	if lines := strings.Split(strings.TrimRight(v, "\n"), "\n"); len(lines) > 7 || !strings.Contains(v, "charlie") || strings.Contains(v, "bravo") {
		t.Errorf("a 7-line window with charlie selected (%d lines):\n%s", len(lines), v)
	}
}
