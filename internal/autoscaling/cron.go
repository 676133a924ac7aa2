package autoscaling

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// cronExpr is AWS's six-field cron: minutes hours day-of-month month
// day-of-week year. Day-of-week counts 1 (SUN) to 7 (SAT). Supported: *, ?,
// values, names (JAN-DEC, SUN-SAT), ranges a-b, steps a/n and a-b/n, lists.
// L, W and # are refused.
type cronExpr struct {
	fields [6]map[int]bool // nil: any
}

var cronRanges = [6][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {1, 7}, {1970, 2199}}

var cronNames = [6]map[string]int{
	3: {"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12},
	4: {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7},
}

var errCron = errors.New("bad cron")

func parseCron(s string) (*cronExpr, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return nil, errCron
	}
	var c cronExpr
	for i, field := range f {
		if field == "*" || field == "?" {
			continue
		}
		set := map[int]bool{}
		for _, part := range strings.Split(field, ",") {
			if err := addCronPart(set, part, i); err != nil {
				return nil, err
			}
		}
		c.fields[i] = set
	}
	// AWS requires ? in one of day-of-month and day-of-week.
	if f[2] != "?" && f[4] != "?" {
		return nil, errCron
	}
	return &c, nil
}

func cronValue(s string, i int) (int, error) {
	if n, ok := cronNames[i][strings.ToUpper(s)]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < cronRanges[i][0] || n > cronRanges[i][1] {
		return 0, errCron
	}
	return n, nil
}

func addCronPart(set map[int]bool, part string, i int) error {
	lo, hi := cronRanges[i][0], cronRanges[i][1]
	step := 1
	if base, st, ok := strings.Cut(part, "/"); ok {
		n, err := strconv.Atoi(st)
		if err != nil || n < 1 {
			return errCron
		}
		step, part = n, base
	}
	switch {
	case part == "*":
	case strings.Contains(part, "-"):
		a, b, _ := strings.Cut(part, "-")
		x, err := cronValue(a, i)
		if err != nil {
			return err
		}
		y, err := cronValue(b, i)
		if err != nil || y < x {
			return errCron
		}
		lo, hi = x, y
	default:
		x, err := cronValue(part, i)
		if err != nil {
			return err
		}
		lo = x
		if step == 1 {
			hi = x
		}
	}
	for v := lo; v <= hi; v += step {
		set[v] = true
	}
	return nil
}

// matches reports whether the minute t (in the schedule's zone) is due.
func (c *cronExpr) matches(t time.Time) bool {
	vals := [6]int{t.Minute(), t.Hour(), t.Day(), int(t.Month()), int(t.Weekday()) + 1, t.Year()}
	for i, set := range c.fields {
		if set != nil && !set[vals[i]] {
			return false
		}
	}
	return true
}
