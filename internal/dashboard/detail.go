package dashboard

import "time"

// Detail is one function's view: GET /_reservoir/api/functions/{name}.
type Detail struct {
	Time     time.Time `json:"time"`
	Account  string    `json:"account"`
	Region   string    `json:"region"`
	Function Function  `json:"function"`
	// Seconds are the last 15 minutes, one point a second, oldest first.
	Seconds  SecondSeries    `json:"seconds"`
	Timeline []TimelineEvent `json:"timeline"`
}

// SecondSeries is a function's per-second history. Start is the time of
// the first point; point i is Start + i seconds.
type SecondSeries struct {
	Start                time.Time `json:"start"`
	Inflight             []int     `json:"inflight"` // the second's maximum
	Reserved             []*int    `json:"reserved"` // null where none was set
	ProvisionedAllocated []int     `json:"provisionedAllocated"`
	ProvisionedRequested []int     `json:"provisionedRequested"`
	Invocations          []int     `json:"invocations"`
	Errors               []int     `json:"errors"`
	Throttles            []int     `json:"throttles"`
	Spillover            []int     `json:"spillover"`
}

// TimelineEvent marks a scaling activity or an alarm state change on a
// function's timeline.
type TimelineEvent struct {
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"`      // TimelineScaling or TimelineAlarm
	Qualifier string    `json:"qualifier"` // the scaled alias or version; "" for alarms
	Name      string    `json:"name"`      // the alarm's name, or the activity's ID
	Text      string    `json:"text"`      // the activity's description and status, or the alarm's summary
	State     string    `json:"state"`     // the alarm's new state, or the activity's status
}

// Timeline event kinds.
const (
	TimelineScaling = "scaling"
	TimelineAlarm   = "alarm"
)

// LogLine is one log event of a function's log group.
type LogLine struct {
	Time    time.Time `json:"time"`
	Stream  string    `json:"stream"`
	Message string    `json:"message"`
}

// PointEvent is what the function view's stream sends each tick: the new
// second and the function's row.
type PointEvent struct {
	Point    Point    `json:"point"`
	Function Function `json:"function"`
	Pool     Pool     `json:"pool"`
}

func (h *fnHistory) detailSeries() SecondSeries {
	secs := h.series()
	out := SecondSeries{Start: time.Unix(h.newest-(historySeconds-1), 0).UTC(),
		Inflight: make([]int, len(secs)), Reserved: make([]*int, len(secs)), ProvisionedAllocated: make([]int, len(secs)),
		ProvisionedRequested: make([]int, len(secs)), Invocations: make([]int, len(secs)), Errors: make([]int, len(secs)),
		Throttles: make([]int, len(secs)), Spillover: make([]int, len(secs))}
	reserved := map[int32]*int{}
	for i, s := range secs {
		out.Inflight[i] = int(s.inflight)
		if s.reserved >= 0 {
			p := reserved[s.reserved]
			if p == nil {
				v := int(s.reserved)
				p = &v
				reserved[s.reserved] = p
			}
			out.Reserved[i] = p
		}
		out.ProvisionedAllocated[i] = int(s.provAlloc)
		out.ProvisionedRequested[i] = int(s.provReq)
		out.Invocations[i] = int(s.invocations)
		out.Errors[i] = int(s.errors)
		out.Throttles[i] = int(s.throttles)
		out.Spillover[i] = int(s.spillover)
	}
	return out
}
