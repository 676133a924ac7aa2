package top

import (
	"context"
	"fmt"
	"io"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// Once fetches one snapshot and writes one frame to w, styled only when w
// is a terminal.
func Once(ctx context.Context, f Fetcher, account, region string, sort SortKey, w io.Writer) error {
	s, err := f.Snapshot(ctx, account, region)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, Frame(s, View{Sort: sort}, NewStyles(lipgloss.NewRenderer(w))))
	return err
}

// Interactive runs the full-screen program on in and out until q or ctx
// ends. It refreshes every interval.
func Interactive(ctx context.Context, f Fetcher, account, region string, sort SortKey, interval time.Duration, in io.Reader, out io.Writer) error {
	if interval <= 0 {
		return fmt.Errorf("the interval must be above zero, got %s", interval)
	}
	m := NewModel(f, account, region, sort, interval, NewStyles(lipgloss.NewRenderer(out)))
	_, err := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out), tea.WithAltScreen()).Run()
	return err
}
