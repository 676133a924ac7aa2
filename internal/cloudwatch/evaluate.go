package cloudwatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Alarm evaluation, as CloudWatch does it: every minute each alarm looks at
// its last EvaluationPeriods complete periods (periods aligned to multiples
// of Period since the epoch), and a datapoint breaches when it compares
// with Threshold as ComparisonOperator says. The alarm goes to ALARM when
// at least DatapointsToAlarm of them breach ("M out of N"), else to OK.
// Missing datapoints follow TreatMissingData, as AWS's table in "Configuring
// how CloudWatch alarms treat missing data" shows:
//
//   - notBreaching: a missing point does not breach.
//   - breaching: ALARM when M present points breach, or when the M most
//     recent points all breach or are missing (AWS's table: "- - - - 0"
//     stays OK, its non-breaching point being evaluated with two missing
//     ones; the next evaluation, without it, goes to ALARM).
//   - missing: only present points count; none present → INSUFFICIENT_DATA;
//     fewer present than M → ALARM if every present point breaches, else OK.
//   - ignore: as missing, but where missing would give INSUFFICIENT_DATA
//     (none present) or rests on fewer than M points and would give ALARM,
//     the alarm keeps its state.
//
// A state change is written with its StateUpdate history item before the
// actions of the new state run (when ActionsEnabled); each action's outcome
// is an Action history item. While an alarm stays in ALARM, its Application
// Auto Scaling policy actions (arn:aws:autoscaling:...:scalingPolicy:...) are
// invoked again once a minute, as CloudWatch does for them; those repeats
// have no history item.

// errNoSink is the error recorded for actions when no ActionSink is set.
var errNoSink = errors.New("Reservoir has no handler for this action")

// evalPoint is one period of an alarm's evaluation range.
type evalPoint struct {
	t       int64 // period start, Unix seconds
	v       float64
	present bool
}

// verdict is the outcome of an evaluation.
type verdict struct {
	state StateValue
	keep  bool // ignore: keep the current state
	// counted is the number of points that made the decision (breaching
	// for ALARM, not breaching for OK, missing for INSUFFICIENT_DATA);
	// listed the present ones among them, newest first.
	counted int
	listed  []evalPoint
	// noneReceived is set when no point was present and missing points
	// were treated as breaching or not breaching.
	noneReceived bool
}

func breaches(op ComparisonOperator, v, thr float64) bool {
	switch op {
	case GreaterThanOrEqualToThreshold:
		return v >= thr
	case GreaterThanThreshold:
		return v > thr
	case LessThanThreshold:
		return v < thr
	case LessThanOrEqualToThreshold:
		return v <= thr
	}
	return false
}

// decide applies the rules above to the points (oldest first).
func decide(points []evalPoint, m int, op ComparisonOperator, thr float64, missing string) verdict {
	var present, breaching, calm []evalPoint
	for i := len(points) - 1; i >= 0; i-- {
		p := points[i]
		if !p.present {
			continue
		}
		present = append(present, p)
		if breaches(op, p.v, thr) {
			breaching = append(breaching, p)
		} else {
			calm = append(calm, p)
		}
	}
	absent := len(points) - len(present)
	switch missing {
	case MissingDataBreaching:
		if len(breaching) >= m {
			return verdict{state: StateAlarm, counted: len(breaching), listed: breaching}
		}
		recent := points[max(len(points)-m, 0):]
		bad, seen := 0, []evalPoint{}
		for i := len(recent) - 1; i >= 0; i-- {
			if p := recent[i]; !p.present || breaches(op, p.v, thr) {
				bad++
				if p.present {
					seen = append(seen, p)
				}
			}
		}
		if bad == len(recent) {
			if len(present) == 0 {
				bad = len(points)
			}
			return verdict{state: StateAlarm, counted: bad, listed: seen, noneReceived: len(present) == 0}
		}
		return verdict{state: StateOK, counted: len(calm), listed: calm}
	case MissingDataNotBreaching:
		if len(breaching) >= m {
			return verdict{state: StateAlarm, counted: len(breaching), listed: breaching}
		}
		return verdict{state: StateOK, counted: len(calm) + absent, listed: calm, noneReceived: len(present) == 0}
	}
	ignore := missing == MissingDataIgnore
	switch {
	case len(present) == 0:
		if ignore {
			return verdict{keep: true}
		}
		return verdict{state: StateInsufficientData, counted: absent}
	case len(breaching) >= m:
		return verdict{state: StateAlarm, counted: len(breaching), listed: breaching}
	case len(present) < m && len(calm) == 0:
		if ignore {
			return verdict{keep: true}
		}
		return verdict{state: StateAlarm, counted: len(breaching), listed: breaching}
	}
	return verdict{state: StateOK, counted: len(calm), listed: calm}
}

var opPhrases = map[ComparisonOperator]string{
	GreaterThanOrEqualToThreshold: "greater than or equal to",
	GreaterThanThreshold:          "greater than",
	LessThanThreshold:             "less than",
	LessThanOrEqualToThreshold:    "less than or equal to",
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// maxListed bounds the datapoints a reason lists (chosen: AWS's reasons are
// at most 1,023 characters).
const maxListed = 10

// stateReason writes AWS's StateReason for a verdict, e.g. "Threshold
// Crossed: 1 out of the last 1 datapoints [5.0 (12/05/26 19:30:00)] was
// greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM
// transition)."
func stateReason(a *Alarm, v verdict, n, m int, prev StateValue) string {
	if v.state == StateInsufficientData {
		return fmt.Sprintf("Insufficient Data: %d %s %s unknown.", v.counted, plural(v.counted, "datapoint", "datapoints"), plural(v.counted, "was", "were"))
	}
	if v.noneReceived {
		treated := "Breaching"
		if v.state == StateOK {
			treated = "NonBreaching"
		}
		return fmt.Sprintf("Threshold Crossed: no datapoints were received for %d %s and %d missing %s %s treated as [%s].",
			n, plural(n, "period", "periods"), v.counted, plural(v.counted, "datapoint", "datapoints"), plural(v.counted, "was", "were"), treated)
	}
	var list []string
	for i, p := range v.listed {
		if i == maxListed {
			break
		}
		list = append(list, fmt.Sprintf("%s (%s)", fmtFloat(p.v), time.Unix(p.t, 0).UTC().Format("02/01/06 15:04:05")))
	}
	phrase := opPhrases[a.ComparisonOperator]
	if v.state == StateOK {
		phrase = "not " + phrase
	}
	need := m
	if v.state == StateOK {
		need = 1
	}
	r := fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] %s %s the threshold (%s) (minimum %d %s for %s -> %s transition).",
		v.counted, n, strings.Join(list, ", "), plural(v.counted, "was", "were"), phrase, fmtFloat(*a.Threshold),
		need, plural(need, "datapoint", "datapoints"), prev, v.state)
	if len(r) > 1023 {
		r = r[:1020] + "..."
	}
	return r
}

// stateReasonData is the StateReasonData JSON of an evaluation.
func stateReasonData(a *Alarm, points []evalPoint, now time.Time, start, period int64) string {
	type evaluated struct {
		Timestamp string      `json:"timestamp"`
		Value     json.Number `json:"value"`
	}
	doc := struct {
		Version             string        `json:"version"`
		QueryDate           string        `json:"queryDate"`
		StartDate           string        `json:"startDate"`
		Statistic           string        `json:"statistic,omitempty"`
		Unit                Unit          `json:"unit,omitempty"`
		Period              int64         `json:"period"`
		RecentDatapoints    []json.Number `json:"recentDatapoints"`
		Threshold           json.Number   `json:"threshold"`
		EvaluatedDatapoints []evaluated   `json:"evaluatedDatapoints"`
	}{Version: "1.0", QueryDate: awsTime(now), StartDate: awsTime(time.Unix(start, 0)), Unit: a.Unit, Period: period,
		RecentDatapoints: []json.Number{}, Threshold: json.Number(fmtFloat(*a.Threshold)), EvaluatedDatapoints: []evaluated{}}
	doc.Statistic = string(a.Statistic)
	if a.ExtendedStatistic != "" {
		doc.Statistic = a.ExtendedStatistic
	}
	for _, p := range points {
		if p.present {
			doc.RecentDatapoints = append(doc.RecentDatapoints, json.Number(fmtFloat(p.v)))
		}
	}
	for i := len(points) - 1; i >= 0 && len(doc.EvaluatedDatapoints) < 20; i-- {
		if p := points[i]; p.present {
			doc.EvaluatedDatapoints = append(doc.EvaluatedDatapoints, evaluated{Timestamp: awsTime(time.Unix(p.t, 0)), Value: json.Number(fmtFloat(p.v))})
		}
	}
	if len(doc.RecentDatapoints) > 20 {
		doc.RecentDatapoints = doc.RecentDatapoints[len(doc.RecentDatapoints)-20:]
	}
	return mustJSON(doc)
}

// alarmPeriod is the period an alarm evaluates: its Period, or that of its
// returned query (an expression's: the smallest of its metric stats').
func alarmPeriod(a *Alarm) int64 {
	if len(a.Metrics) == 0 {
		return max(int64(a.Period), 60)
	}
	p := int64(0)
	for _, q := range a.Metrics {
		if returnData(&q) {
			if q.MetricStat != nil {
				p = int64(q.MetricStat.Period)
			} else {
				p = int64(q.Period)
			}
		}
	}
	if p == 0 {
		for _, q := range a.Metrics {
			if q.MetricStat != nil && (p == 0 || int64(q.MetricStat.Period) < p) {
				p = int64(q.MetricStat.Period)
			}
		}
	}
	return max(p, 60)
}

// evalPoints reads an alarm's evaluation range [start, end).
func (s *Service) evalPoints(ctx context.Context, a *Alarm, start, end, period int64) ([]evalPoint, error) {
	var sr *series
	if len(a.Metrics) == 0 {
		stat := string(a.Statistic)
		if a.ExtendedStatistic != "" {
			stat = a.ExtendedStatistic
		}
		var err error
		sr, err = s.metricSeries(ctx, a.Scope, &MetricStat{Metric: Metric{Namespace: a.Namespace, MetricName: a.MetricName, Dimensions: a.Dimensions},
			Period: int32(period), Stat: stat, Unit: a.Unit}, start, end)
		if err != nil {
			return nil, err
		}
	} else {
		c, err := compileQueries("Metrics", a.Metrics, a.Scope)
		if err != nil {
			return nil, err
		}
		res, err := s.evalQueries(ctx, a.Scope, c, start, end)
		if err != nil {
			return nil, err
		}
		for _, q := range a.Metrics {
			if returnData(&q) {
				sr = res.series[q.Id]
			}
		}
		if sr == nil {
			return nil, errors.New("no returned query")
		}
	}
	n := (end - start) / period
	points := make([]evalPoint, n)
	for i := range points {
		points[i].t = start + int64(i)*period
	}
	for i, t := range sr.ts {
		if k := (t - start) / period; t >= start && t < end && (t-start)%period == 0 {
			points[k] = evalPoint{t: t, v: sr.vals[i], present: true}
		}
	}
	return points, nil
}

// isScalingPolicy reports whether an action is an Application Auto Scaling
// policy, which CloudWatch invokes every minute while the alarm is in ALARM.
func isScalingPolicy(arn string) bool {
	return strings.HasPrefix(arn, "arn:aws:autoscaling:") && strings.Contains(arn, ":scalingPolicy:")
}

// EvaluateAlarms evaluates every alarm once, as of the clock's now, and
// delivers the actions of the state changes (and the minute's repeats of
// scaling policy actions). The evaluator calls it every minute; tests may
// call it directly. Calls do not overlap.
func (s *Service) EvaluateAlarms(ctx context.Context) error {
	s.evalMu.Lock()
	defer s.evalMu.Unlock()
	// What was published so far counts: its minutes may close a period.
	if err := s.pub.flush(ctx); err != nil {
		s.log.Error("cloudwatch: writing published data before an evaluation failed", "err", err)
	}
	now := s.clock.Now().UTC()
	minute := unixMinute(now)
	type ref struct {
		scope Scope
		name  string
	}
	var refs []ref
	s.mu.RLock()
	for scope, m := range s.alarms {
		for name := range m {
			refs = append(refs, ref{scope, name})
		}
	}
	s.mu.RUnlock()
	// Forget the repeat minutes of alarms that are gone.
	live := make(map[alarmKey]bool, len(refs))
	for _, r := range refs {
		live[alarmKey{r.scope, r.name}] = true
	}
	for k := range s.repeated {
		if !live[k] {
			delete(s.repeated, k)
		}
	}
	var firstErr error
	for _, r := range refs {
		if err := s.evaluateOne(ctx, r.scope, r.name, now, minute); err != nil {
			s.log.Error("cloudwatch: evaluating an alarm failed", "alarm", r.name, "account", r.scope.Account, "err", err)
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	return firstErr
}

// evaluateOne evaluates one alarm under the writer slot; the actions run
// after the write, in write order, outside the slot.
func (s *Service) evaluateOne(ctx context.Context, scope Scope, name string, now time.Time, minute int64) error {
	w, err := s.lockWrites(ctx)
	if err != nil {
		return err
	}
	a, ok := s.alarm(scope, name)
	if !ok {
		w.unlock()
		return nil
	}
	period := alarmPeriod(&a)
	n := int64(a.EvaluationPeriods)
	m := int(a.DatapointsToAlarm)
	if m == 0 {
		m = int(n)
	}
	end := floorDiv(now.Unix(), period) * period
	start := end - n*period
	points, err := s.evalPoints(ctx, &a, start, end, period)
	if err != nil {
		w.unlock()
		return err
	}
	v := decide(points, m, a.ComparisonOperator, *a.Threshold, a.TreatMissingData)
	var actions []AlarmAction
	if !v.keep && v.state != a.StateValue {
		prev, prevReason := a.StateValue, a.StateReason
		a.StateValue = v.state
		a.StateReason = stateReason(&a, v, int(n), m, prev)
		a.StateReasonData = stateReasonData(&a, points, now, start, period)
		a.StateUpdatedTimestamp, a.StateTransitionedTimestamp = now, now
		if err := w.saveAlarm(ctx, a, []HistoryRecord{stateHistory(&a, prev, prevReason, now)}); err != nil {
			w.unlock()
			return err
		}
		actions = transitionActions(&a, prev, now)
	} else if a.StateValue == StateAlarm && a.ActionsEnabled {
		key := alarmKey{scope, name}
		if s.repeated[key] != minute {
			s.repeated[key] = minute
			for _, arn := range a.AlarmActions {
				if isScalingPolicy(arn) {
					actions = append(actions, AlarmAction{Scope: scope, AlarmName: name, AlarmARN: scope.AlarmARN(name), State: StateAlarm,
						Previous: StateAlarm, ActionARN: arn, Reason: a.StateReason, Timestamp: now, Repeat: true})
				}
			}
		}
	}
	if a.StateValue == StateAlarm && len(actions) > 0 && !actions[0].Repeat {
		s.repeated[alarmKey{scope, name}] = minute
	}
	s.deliverMu.Lock()
	w.unlock()
	defer s.deliverMu.Unlock()
	return s.deliver(ctx, actions)
}

type alarmKey struct {
	scope Scope
	name  string
}

// transitionActions are the actions of the state an alarm entered.
func transitionActions(a *Alarm, prev StateValue, now time.Time) []AlarmAction {
	if !a.ActionsEnabled {
		return nil
	}
	var arns []string
	switch a.StateValue {
	case StateAlarm:
		arns = a.AlarmActions
	case StateOK:
		arns = a.OKActions
	case StateInsufficientData:
		arns = a.InsufficientDataActions
	}
	out := make([]AlarmAction, 0, len(arns))
	for _, arn := range arns {
		out = append(out, AlarmAction{Scope: a.Scope, AlarmName: a.AlarmName, AlarmARN: a.Scope.AlarmARN(a.AlarmName), State: a.StateValue,
			Previous: prev, ActionARN: arn, Reason: a.StateReason, Timestamp: now})
	}
	return out
}

// deliver runs actions through the sink and records each transition
// action's outcome. Callers hold deliverMu.
func (s *Service) deliver(ctx context.Context, actions []AlarmAction) error {
	var history []HistoryRecord
	for i := range actions {
		act := &actions[i]
		err := errNoSink
		if s.actions != nil {
			err = s.actions(ctx, *act)
		}
		if err != nil {
			s.log.Debug("cloudwatch: alarm action not taken", "alarm", act.AlarmName, "action", act.ActionARN, "err", err)
		}
		if !act.Repeat {
			history = append(history, actionHistory(act, err))
		}
	}
	if len(history) == 0 {
		return nil
	}
	return s.store.AppendAlarmHistory(ctx, history)
}

// SetAlarmState sets an alarm's state until its next evaluation (within a
// minute), recording the change in history and running the new state's
// actions, as AWS does. Setting the state it is in changes nothing.
func (s *Service) SetAlarmState(ctx context.Context, scope Scope, in SetAlarmStateInput) (SetAlarmStateOutput, error) {
	if in.AlarmName == "" {
		return SetAlarmStateOutput{}, errMissing("AlarmName")
	}
	if in.StateValue == "" {
		return SetAlarmStateOutput{}, errMissing("StateValue")
	}
	var v violations
	v.checkLen("alarmName", in.AlarmName, 1, maxNameLen)
	if in.StateValue != StateOK && in.StateValue != StateAlarm && in.StateValue != StateInsufficientData {
		v.add("stateValue", cEnum, "OK, ALARM, INSUFFICIENT_DATA")
	}
	if len(in.StateReason) > 1023 {
		v.add("stateReason", cMaxLen, 1023)
	}
	if len(in.StateReasonData) > 4000 {
		v.add("stateReasonData", cMaxLen, 4000)
	}
	if err := v.err(); err != nil {
		return SetAlarmStateOutput{}, err
	}
	if in.StateReasonData != "" && !json.Valid([]byte(in.StateReasonData)) {
		return SetAlarmStateOutput{}, newError(CodeInvalidFormat, "StateReasonData is not valid JSON.") // chosen
	}
	w, err := s.lockWrites(ctx)
	if err != nil {
		return SetAlarmStateOutput{}, err
	}
	a, ok := s.alarm(scope, in.AlarmName)
	if !ok {
		w.unlock()
		return SetAlarmStateOutput{}, newError(CodeResourceNotFound, msgAlarmNotFound, in.AlarmName)
	}
	now := s.clock.Now().UTC()
	prev, prevReason := a.StateValue, a.StateReason
	a.StateReason, a.StateReasonData = in.StateReason, in.StateReasonData
	a.StateUpdatedTimestamp = now
	var actions []AlarmAction
	if prev != in.StateValue {
		a.StateValue = in.StateValue
		a.StateTransitionedTimestamp = now
		if err := w.saveAlarm(ctx, a, []HistoryRecord{stateHistory(&a, prev, prevReason, now)}); err != nil {
			w.unlock()
			return SetAlarmStateOutput{}, err
		}
		actions = transitionActions(&a, prev, now)
	}
	s.deliverMu.Lock()
	w.unlock()
	defer s.deliverMu.Unlock()
	return SetAlarmStateOutput{}, s.deliver(ctx, actions)
}

// kickEvaluator asks the evaluator for a pass now, without waiting.
func (s *Service) kickEvaluator() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// sweepEvery is how many evaluator ticks pass between sweeps.
const sweepEvery = 60

// EvaluationDelay is how long after a minute ends the evaluator looks at
// it. Publishers hand a minute's data over when it ends (AWS/Lambda's
// recorder, at the minute's roll-over); evaluating a few seconds later, after
// a flush, lets that minute count in the periods it closes rather than miss
// them and be outside the window at the next minute. CloudWatch's own
// evaluations run a little after the minute too; it does not say how long.
const EvaluationDelay = 5 * time.Second

// loop evaluates the alarms EvaluationDelay after every minute's start (and when kicked) and
// sweeps expired data every hour, until Close. With EvaluationInterval < 0
// it only sweeps, at start.
func (s *Service) loop() {
	defer close(s.done)
	ctx := context.Background()
	if err := s.Sweep(ctx); err != nil {
		s.log.Error("cloudwatch: sweep failed", "err", err)
	}
	if s.evalEvery < 0 {
		<-s.stop
		return
	}
	ticks := 0
	var tick <-chan time.Time
	for {
		if tick == nil {
			wait := s.evalEvery
			if wait == 0 {
				now := s.clock.Now()
				wait = now.Add(-EvaluationDelay).Truncate(time.Minute).Add(time.Minute + EvaluationDelay).Sub(now)
			}
			tick = s.clock.After(wait)
		}
		select {
		case <-s.stop:
			return
		case <-s.kick:
		case <-tick:
			tick = nil
			ticks++
		}
		if err := s.EvaluateAlarms(ctx); err != nil {
			s.log.Error("cloudwatch: alarm evaluation failed", "err", err)
		}
		if ticks >= sweepEvery {
			ticks = 0
			if err := s.Sweep(ctx); err != nil {
				s.log.Error("cloudwatch: sweep failed", "err", err)
			}
		}
	}
}

// sweepChunk is the most minutes one store write deletes.
const sweepChunk = 10000

// Sweep deletes metric data older than Retention and alarm history older
// than HistoryRetention, and forgets series left without data.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.clock.Now()
	cutoff := unixMinute(now.Add(-s.retention))
	for {
		n, err := s.store.DeleteMetricDataBefore(ctx, cutoff, sweepChunk)
		if err != nil {
			return err
		}
		if n < sweepChunk {
			break
		}
	}
	s.mu.Lock()
	for scope, metrics := range s.series {
		for id, st := range metrics {
			for u, last := range st.units {
				if last < cutoff {
					delete(st.units, u)
				}
			}
			if len(st.units) == 0 {
				delete(metrics, id)
			}
		}
		if len(metrics) == 0 {
			delete(s.series, scope)
		}
	}
	s.mu.Unlock()
	return s.store.DeleteAlarmHistoryBefore(ctx, now.Add(-s.histKeep))
}
