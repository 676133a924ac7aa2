// Package dashboard serves Reservoir's live view of concurrency: the
// snapshot API and server-sent event streams under /_reservoir/api/, and
// the embedded browser page at /_reservoir/.
//
// This file holds the JSON shapes of GET /_reservoir/api/snapshot, the
// contract shared with `reservoir top`. Per-minute figures cover the last
// complete 60 seconds (sliding); totals count since the server started;
// sparklines hold the last 15 minutes, one point per minute, oldest first
// (in-flight points are the minute's maximum). Functions are sorted by name.
package dashboard

import "time"

// Snapshot is one account/region's live state at Time.
type Snapshot struct {
	Time      time.Time       `json:"time"`
	Accounts  []AccountRegion `json:"accounts"`
	Account   string          `json:"account"`
	Region    string          `json:"region"`
	Pool      Pool            `json:"pool"`
	Functions []Function      `json:"functions"`
}

// AccountRegion names one account/region the caller may see.
type AccountRegion struct {
	Account string `json:"account"`
	Region  string `json:"region"`
}

// Pool is the account's concurrency pool in one region.
type Pool struct {
	Limit              int   `json:"limit"`
	UnreservedMinimum  int   `json:"unreservedMinimum"`
	Reserved           int   `json:"reserved"`
	Unreserved         int   `json:"unreserved"`
	Inflight           int   `json:"inflight"`
	ThrottlesPerMinute int64 `json:"throttlesPerMinute"`
	Throttles          int64 `json:"throttles"`
}

// Function is one function's live figures.
type Function struct {
	Name     string `json:"name"`
	Reserved *int   `json:"reserved"` // nil: no reserved concurrency

	Inflight             int   `json:"inflight"`
	InvocationsPerMinute int64 `json:"invocationsPerMinute"`
	ErrorsPerMinute      int64 `json:"errorsPerMinute"`
	ThrottlesPerMinute   int64 `json:"throttlesPerMinute"`
	SpilloverPerMinute   int64 `json:"spilloverPerMinute"`
	// P99DurationMs is nil with no invocations in the last minute.
	P99DurationMs *float64 `json:"p99DurationMs"`

	Invocations int64 `json:"invocations"`
	Errors      int64 `json:"errors"`
	Throttles   int64 `json:"throttles"`
	Spillover   int64 `json:"spillover"`

	Provisioned []Provisioned `json:"provisioned"`
	Sparklines  Sparklines    `json:"sparklines"`
}

// Provisioned is one qualifier's provisioned concurrency config.
type Provisioned struct {
	Qualifier string `json:"qualifier"`
	Requested int    `json:"requested"`
	Allocated int    `json:"allocated"`
	Status    string `json:"status"`
}

// Sparklines hold the last 15 minutes, one point per minute, oldest first.
type Sparklines struct {
	Inflight    []int64 `json:"inflight"` // the minute's maximum
	Invocations []int64 `json:"invocations"`
	Errors      []int64 `json:"errors"`
	Throttles   []int64 `json:"throttles"`
	Spillover   []int64 `json:"spillover"`
}
