package app

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/dashboard"
	"github.com/reservoir-dev/reservoir/internal/logs"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

// TestDashboardLogsRecent: the dashboard's last lines are the group's
// latest, across its streams, oldest first: with 300 lines in one stream
// and 50 newer in another, the last 100 are the second's 50 and the
// first's newest 50; a stream last written before since is not read; a
// group that does not exist is no lines.
func TestDashboardLogsRecent(t *testing.T) {
	ctx := context.Background()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().Truncate(time.Millisecond)
	svc, err := logs.NewService(ctx, logs.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close(ctx)
	sc := logs.Scope{Account: "123456789012", Region: "us-east-1"}
	const group = "/aws/lambda/fn"
	if err := svc.CreateLogGroup(ctx, sc, logs.CreateLogGroupInput{Name: group}); err != nil {
		t.Fatal(err)
	}
	put := func(stream string, from time.Time, n int, prefix string) {
		if err := svc.CreateLogStream(ctx, sc, group, stream); err != nil {
			t.Fatal(err)
		}
		var ev []logs.InputEvent
		for i := range n {
			ev = append(ev, logs.InputEvent{Timestamp: from.Add(time.Duration(i) * time.Second).UnixMilli(), Message: fmt.Sprintf("%s%d", prefix, i)})
		}
		if _, err := svc.PutLogEvents(ctx, sc, logs.PutLogEventsInput{Group: group, Stream: stream, Events: ev}); err != nil {
			t.Fatal(err)
		}
	}
	put("old", now.Add(-2*time.Hour), 10, "old")
	put("a", now.Add(-10*time.Minute), 300, "a") // a0 at −10 min … a299 at −5 min
	put("b", now.Add(-4*time.Minute), 50, "b")

	d := dashboardLogs{svc}
	ar := dashboard.AccountRegion{Account: sc.Account, Region: sc.Region}
	lines, err := d.Recent(ctx, ar, group, now.Add(-15*time.Minute), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 100 || lines[0].Message != "a250" || lines[49].Message != "a299" || lines[50].Message != "b0" || lines[99].Message != "b49" {
		first, last := "", ""
		if len(lines) > 0 {
			first, last = lines[0].Message, lines[len(lines)-1].Message
		}
		t.Fatalf("%d lines, %s … %s; want 100, a250 … b49", len(lines), first, last)
	}
	for i := 1; i < len(lines); i++ {
		if lines[i].Time.Before(lines[i-1].Time) {
			t.Fatalf("line %d out of order", i)
		}
	}
	if lines, err := d.Recent(ctx, ar, "/aws/lambda/none", now.Add(-15*time.Minute), 100); err != nil || len(lines) != 0 {
		t.Errorf("missing group: %d lines, %v", len(lines), err)
	}
}
