package top

import (
	"context"
	"fmt"
	"io"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// Once fetches one snapshot and writes one frame to w, styled as far as w
// and env (TERM, NO_COLOR, CLICOLOR_FORCE...) allow: plain text when w is
// not a terminal.
func Once(ctx context.Context, f Fetcher, account, region string, sort SortKey, w io.Writer, env []string) error {
	s, err := f.Snapshot(ctx, account, region)
	if err != nil {
		return err
	}
	_, err = io.WriteString(colorprofile.NewWriter(w, env), Frame(s, View{Sort: sort}, NewStyles()))
	return err
}

// Interactive runs the full-screen program on in and out until q or ctx
// ends. It refreshes every interval. env is the environment the program
// reads the terminal's colours from.
func Interactive(ctx context.Context, f Fetcher, account, region string, sort SortKey, interval time.Duration, in io.Reader, out io.Writer, env []string) error {
	if interval <= 0 {
		return fmt.Errorf("the interval must be above zero, got %s", interval)
	}
	m := NewModel(f, account, region, sort, interval, NewStyles())
	_, err := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out), tea.WithEnvironment(env)).Run()
	return err
}
