package top

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// Fetcher is what the program reads snapshots from (a *Client).
type Fetcher interface {
	Snapshot(ctx context.Context, account, region string) (*Snapshot, error)
}

// Model is the interactive program: the last snapshot, the order, the
// selected function and whether its details are open. It fetches a
// snapshot at start and the interval after each answer.
type Model struct {
	fetch    Fetcher
	interval time.Duration
	account  string // "" until the first snapshot names one, if not given
	region   string
	styles   Styles

	snap     *Snapshot
	err      error // the last fetch's, nil once one succeeds again
	view     View
	details  bool
	width    int
	height   int
	fetching bool
}

// NewModel makes the program's model. account and region may be empty: the
// server's choice is taken from the first snapshot.
func NewModel(f Fetcher, account, region string, sort SortKey, interval time.Duration, st Styles) Model {
	return Model{fetch: f, interval: interval, account: account, region: region, styles: st, view: View{Sort: sort}}
}

// snapshotMsg is a fetch's result.
type snapshotMsg struct {
	account, region string // what was asked for
	snap            *Snapshot
	err             error
}

// tickMsg asks for the next fetch.
type tickMsg struct{}

// Init fetches the first snapshot.
func (m Model) Init() tea.Cmd { return m.fetchCmd() }

func (m Model) fetchCmd() tea.Cmd {
	f, account, region, timeout := m.fetch, m.account, m.region, max(5*time.Second, 2*m.interval)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		s, err := f.Snapshot(ctx, account, region)
		return snapshotMsg{account: account, region: region, snap: s, err: err}
	}
}

// Update handles keys, answers and ticks.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case snapshotMsg:
		if msg.account != m.account || msg.region != m.region {
			return m, nil // asked before a switch of account; the switch fetches its own
		}
		m.fetching = false
		if msg.err != nil {
			m.err = msg.err
		} else {
			m.err = nil
			m.snap = msg.snap
			if m.account == "" {
				m.account, m.region = msg.snap.Account, msg.snap.Region
			}
			Sort(m.snap.Functions, m.view.Sort)
			m.keepSelection()
		}
		return m, tea.Tick(m.interval, func(time.Time) tea.Msg { return tickMsg{} })
	case tickMsg:
		if !m.fetching {
			m.fetching = true
			return m, m.fetchCmd()
		}
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m Model) key(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch k.String() {
	case "q", "ctrl+c":
		return m, tea.Quit
	case "esc":
		m.details = false
	case "enter":
		m.details = !m.details && m.view.Selected != ""
	case "up", "k":
		m.move(-1)
	case "down", "j":
		m.move(1)
	case "s":
		m.resort(m.view.Sort.Next())
	case "i":
		m.resort(SortInflight)
	case "n":
		m.resort(SortName)
	case "t":
		m.resort(SortThrottles)
	case "v":
		m.resort(SortInvocations)
	case "e":
		m.resort(SortErrors)
	case "m":
		m.view.Spark = 1 - m.view.Spark
	case "a":
		return m.nextAccount()
	}
	return m, nil
}

func (m *Model) resort(k SortKey) {
	m.view.Sort = k
	if m.snap != nil {
		Sort(m.snap.Functions, k)
	}
}

// move selects the function delta rows away, within the table.
func (m *Model) move(delta int) {
	if m.snap == nil || len(m.snap.Functions) == 0 || m.details {
		return
	}
	fns := m.snap.Functions
	i := slices.IndexFunc(fns, func(f Function) bool { return f.Name == m.view.Selected })
	switch {
	case i < 0 && delta > 0:
		i = 0
	case i < 0:
		i = len(fns) - 1
	default:
		i = min(len(fns)-1, max(0, i+delta))
	}
	m.view.Selected = fns[i].Name
}

// keepSelection keeps the selected function across snapshots; one that is
// gone leaves nothing selected (and closes its details).
func (m *Model) keepSelection() {
	if m.view.Selected == "" {
		return
	}
	if !slices.ContainsFunc(m.snap.Functions, func(f Function) bool { return f.Name == m.view.Selected }) {
		m.view.Selected, m.details = "", false
	}
}

// nextAccount switches to the next account and region the server lists.
func (m Model) nextAccount() (tea.Model, tea.Cmd) {
	if m.snap == nil || len(m.snap.Accounts) == 0 {
		return m, nil
	}
	accts := m.snap.Accounts
	i := slices.Index(accts, AccountRegion{Account: m.account, Region: m.region})
	next := accts[(i+1)%len(accts)]
	if next.Account == m.account && next.Region == m.region {
		return m, nil
	}
	m.account, m.region = next.Account, next.Region
	m.snap, m.view.Selected, m.details = nil, "", false
	m.fetching = true
	return m, m.fetchCmd()
}

// keysLine is the help at the bottom.
const keysLine = "↑/↓ select  enter details  s sort (i n t v e)  m sparkline  a account  q quit"

// View is the screen, on the terminal's alternate screen.
func (m Model) View() tea.View {
	v := tea.NewView(m.screen())
	v.AltScreen = true
	return v
}

// screen is the screen's text.
func (m Model) screen() string {
	var b strings.Builder
	if m.err != nil {
		b.WriteString(m.styles.Error.Render(truncate(m.err.Error(), m.width)) + "\n")
	}
	switch {
	case m.snap == nil && m.err == nil:
		b.WriteString("waiting for the first snapshot...\n")
	case m.snap == nil:
	case m.details:
		i := slices.IndexFunc(m.snap.Functions, func(f Function) bool { return f.Name == m.view.Selected })
		b.WriteString(PoolLines(m.snap) + "\n")
		b.WriteString(Details(m.snap.Functions[i], m.styles))
		b.WriteString("\n" + m.styles.Dim.Render("esc back  q quit") + "\n")
		return b.String()
	default:
		v := m.view
		if m.height > 0 {
			v.Height = max(1, m.height-5) // two pool lines, the header, the sort and keys line
			if m.err != nil {
				v.Height--
			}
		}
		b.WriteString(Frame(m.snap, v, m.styles))
		b.WriteString(m.styles.Dim.Render(fmt.Sprintf("sorted by %s  %s", m.view.Sort, keysLine)) + "\n")
	}
	return b.String()
}

// truncate cuts s to width columns (0: no limit).
func truncate(s string, width int) string {
	if width <= 0 || lipgloss.Width(s) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && lipgloss.Width(string(r)) > width {
		r = r[:len(r)-1]
	}
	return string(r)
}
