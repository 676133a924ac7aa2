package metrics

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/concurrency"
	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/testutil"
)

// TestREADMEListsEveryMetric: README's Metrics table lists every metric
// /metrics serves, with its labels, and no other. Every collector is fed
// so that each family appears.
func TestREADMEListsEveryMetric(t *testing.T) {
	books := concurrency.New(1000)
	sc := concurrency.Scope{Account: "123456789012", Region: "us-east-1"}
	books.SetProvisioned(sc, "fn", "1", 2)
	books.SetAllocated(sc, "fn", "1", 2)
	lease := books.AcquireProvisioned(sc, "fn", "1")
	defer books.Release(lease)
	m := New(books)
	lsc := lambda.Scope{Account: sc.Account, Region: sc.Region}
	m.Invoked(lsc, "fn", lambda.InvokeRecord{FunctionError: true, Provisioned: true, Spillover: true,
		Duration: time.Millisecond, InitDuration: time.Millisecond})
	m.Throttled(lsc, "fn", lambda.ThrottleRecord{Reason: concurrency.ReasonAccountLimit})
	m.AsyncReceived(lsc, "fn", "")
	m.AsyncDropped(lsc, "fn", "", lambda.DropRetriesExhausted)
	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]string{} // name → labels, comma-separated
	for _, f := range families {
		var labels []string
		for _, l := range f.GetMetric()[0].GetLabel() {
			labels = append(labels, l.GetName())
		}
		served[f.GetName()] = strings.Join(labels, ",")
	}

	listed := map[string]string{}
	for _, line := range strings.Split(testutil.READMESection(t, "### Metrics"), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 5 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`lambda_") {
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[1]), "`")
		var labels []string
		for _, l := range strings.Split(cells[3], ",") {
			labels = append(labels, strings.Trim(strings.TrimSpace(l), "`"))
		}
		listed[name] = strings.Join(labels, ",")
	}
	for name, labels := range served {
		if got, ok := listed[name]; !ok {
			t.Errorf("README's Metrics table lacks %s", name)
		} else if !sameSet(got, labels) {
			t.Errorf("README's Metrics table gives %s the labels %s; it has %s", name, got, labels)
		}
	}
	for name := range listed {
		if _, ok := served[name]; !ok {
			t.Errorf("README's Metrics table lists %s, which /metrics does not serve", name)
		}
	}
}

func sameSet(a, b string) bool {
	x, y := strings.Split(a, ","), strings.Split(b, ",")
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
