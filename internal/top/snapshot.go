// Package top is `reservoir top`: a terminal view of the concurrency of one
// account and region, read from the dashboard's snapshot API
// (GET /_reservoir/api/snapshot) once a second. The client fetches and
// decodes a snapshot (signing the request with SigV4 when given
// credentials), the table renders it for a terminal or as plain text, and
// the interactive program (bubbletea) refreshes, sorts and selects.
package top

import "time"

// Snapshot is the answer of GET /_reservoir/api/snapshot, as the shared
// contract with the dashboard server defines it. These are the client's own
// decoding types: the server's live in internal/dashboard.
type Snapshot struct {
	Time      time.Time       `json:"time"`
	Accounts  []AccountRegion `json:"accounts"`
	Account   string          `json:"account"`
	Region    string          `json:"region"`
	Pool      Pool            `json:"pool"`
	Functions []Function      `json:"functions"`
}

// AccountRegion is one account and region the caller may see.
type AccountRegion struct {
	Account string `json:"account"`
	Region  string `json:"region"`
}

// Pool is the account's regional concurrency.
type Pool struct {
	Limit              int64   `json:"limit"`
	UnreservedMinimum  int64   `json:"unreservedMinimum"`
	Reserved           int64   `json:"reserved"`
	Unreserved         int64   `json:"unreserved"`
	Inflight           int64   `json:"inflight"`
	ThrottlesPerMinute float64 `json:"throttlesPerMinute"`
	Throttles          int64   `json:"throttles"`
}

// Function is one function's row. Per-minute figures cover the last
// complete 60 seconds; totals count since the server started.
type Function struct {
	Name     string `json:"name"`
	Reserved *int64 `json:"reserved"` // nil: no reserved concurrency
	Inflight int64  `json:"inflight"`

	InvocationsPerMinute float64  `json:"invocationsPerMinute"`
	ErrorsPerMinute      float64  `json:"errorsPerMinute"`
	ThrottlesPerMinute   float64  `json:"throttlesPerMinute"`
	SpilloverPerMinute   float64  `json:"spilloverPerMinute"`
	P99DurationMs        *float64 `json:"p99DurationMs"` // nil: no invocation in the last minute

	Invocations int64 `json:"invocations"`
	Errors      int64 `json:"errors"`
	Throttles   int64 `json:"throttles"`
	Spillover   int64 `json:"spillover"`

	Provisioned []Provisioned `json:"provisioned"`
	Sparklines  Sparklines    `json:"sparklines"`
}

// Provisioned is one provisioned concurrency config (an alias or version).
type Provisioned struct {
	Qualifier string `json:"qualifier"`
	Requested int64  `json:"requested"`
	Allocated int64  `json:"allocated"`
	Status    string `json:"status"`
}

// Sparklines are the last 15 minutes, one point a minute, oldest first
// (Inflight: each minute's maximum).
type Sparklines struct {
	Inflight    []float64 `json:"inflight"`
	Invocations []float64 `json:"invocations"`
	Errors      []float64 `json:"errors"`
	Throttles   []float64 `json:"throttles"`
	Spillover   []float64 `json:"spillover"`
}
