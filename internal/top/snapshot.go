// Package top is `reservoir top`: a terminal view of the concurrency of one
// account and region, read from the dashboard's snapshot API
// (GET /_reservoir/api/snapshot) once a second. The client fetches and
// decodes a snapshot (signing the request with SigV4 when given
// credentials), the table renders it for a terminal or as plain text, and
// the interactive program (bubbletea) refreshes, sorts and selects.
package top

import "github.com/reservoir-dev/reservoir/internal/dashboard"

// The snapshot's shapes are the server's own (internal/dashboard), so the
// two ends cannot drift apart.
type (
	Snapshot      = dashboard.Snapshot
	AccountRegion = dashboard.AccountRegion
	Pool          = dashboard.Pool
	Function      = dashboard.Function
	Provisioned   = dashboard.Provisioned
	Sparklines    = dashboard.Sparklines
)
