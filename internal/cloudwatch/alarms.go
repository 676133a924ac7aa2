package cloudwatch

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Alarm messages; "chosen" as in metrics.go.
const (
	// chosen
	msgAnomalyUnsupported = "Anomaly detection alarms (ThresholdMetricId and the LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold and GreaterThanUpperThreshold operators) are not supported by Reservoir."
	msgAlarmLimit         = "The maximum number of alarms (%d) for this account and region has been reached."
	msgAlarmNotFound      = "Alarm %s not found"
	msgSomeAlarmsNotFound = "%d of the alarm names could not be found"
	msgResourceNotFound   = "Resource %s does not exist" // ResourceNotFoundException
	msgNamesAndPrefix     = "AlarmNames and AlarmNamePrefix are mutually exclusive. Only one of these parameters can be passed."
)

// anomalyOperator reports whether op compares with an anomaly band.
func anomalyOperator(op ComparisonOperator) bool {
	return op == LessThanLowerOrGreaterThanUpperThreshold || op == LessThanLowerThreshold || op == GreaterThanUpperThreshold
}

func staticOperator(op ComparisonOperator) bool {
	return op == GreaterThanOrEqualToThreshold || op == GreaterThanThreshold || op == LessThanThreshold || op == LessThanOrEqualToThreshold
}

// PutMetricAlarm creates or replaces a metric alarm. A new alarm starts in
// INSUFFICIENT_DATA ("Unchecked: Initial alarm creation") and is evaluated
// at once; replacing an alarm keeps its state and ignores Tags, as AWS
// does. The alarm watches one metric (MetricName, Namespace, Statistic or
// ExtendedStatistic, Dimensions, Period, Unit) or a Metrics array whose one
// query with ReturnData is evaluated.
func (s *Service) PutMetricAlarm(ctx context.Context, scope Scope, in PutMetricAlarmInput) (PutMetricAlarmOutput, error) {
	cfg, err := checkAlarm(scope, &in)
	if err != nil {
		return PutMetricAlarmOutput{}, err
	}
	if err := s.checkAlarmReturnsSeries(ctx, scope, &cfg); err != nil {
		return PutMetricAlarmOutput{}, err
	}
	w, err := s.lockWrites(ctx)
	if err != nil {
		return PutMetricAlarmOutput{}, err
	}
	defer w.unlock()
	now := s.clock.Now().UTC()
	old, exists := s.alarm(scope, in.AlarmName)
	if !exists && s.alarmCount(scope) >= s.maxAlarms {
		return PutMetricAlarmOutput{}, newError(CodeLimitExceeded, msgAlarmLimit, s.maxAlarms)
	}
	a := Alarm{Scope: scope, MetricAlarm: cfg}
	a.AlarmConfigurationUpdatedTimestamp = now
	kind := "Create"
	if exists {
		kind = "Update"
		a.StateValue, a.StateReason, a.StateReasonData = old.StateValue, old.StateReason, old.StateReasonData
		a.StateUpdatedTimestamp, a.StateTransitionedTimestamp = old.StateUpdatedTimestamp, old.StateTransitionedTimestamp
		a.Tags = old.Tags
	} else {
		a.StateValue, a.StateReason = StateInsufficientData, "Unchecked: Initial alarm creation"
		a.StateUpdatedTimestamp, a.StateTransitionedTimestamp = now, now
		a.Tags = slices.Clone(in.Tags)
	}
	h := configHistory(&a, kind, now)
	if err := w.saveAlarm(ctx, a, h); err != nil {
		return PutMetricAlarmOutput{}, err
	}
	s.kickEvaluator()
	return PutMetricAlarmOutput{}, nil
}

// checkAlarm validates PutMetricAlarm's input and returns the alarm's
// configuration.
func checkAlarm(scope Scope, in *PutMetricAlarmInput) (MetricAlarm, error) {
	if in.AlarmName == "" {
		return MetricAlarm{}, errMissing("AlarmName")
	}
	var v violations
	v.checkLen("alarmName", in.AlarmName, 1, maxNameLen)
	if len(in.AlarmDescription) > 1024 {
		v.add("alarmDescription", cMaxLen, 1024)
	}
	for _, l := range []struct {
		m    string
		arns []string
	}{{"oKActions", in.OKActions}, {"alarmActions", in.AlarmActions}, {"insufficientDataActions", in.InsufficientDataActions}} {
		if len(l.arns) > maxAlarmActions {
			v.add(l.m, cMaxLen, maxAlarmActions)
		}
		for i, arn := range l.arns {
			v.checkLen(fmt.Sprintf("%s.member.%d", l.m, i+1), arn, 1, 1024)
		}
	}
	if in.Namespace != "" {
		v.checkNamespace("namespace", in.Namespace)
	}
	if in.MetricName != "" {
		v.checkLen("metricName", in.MetricName, 1, maxNameLen)
	}
	if in.Statistic != "" && !validStatistic(in.Statistic) {
		v.add("statistic", cEnum, "SampleCount, Average, Sum, Minimum, Maximum")
	}
	v.checkDimensions("dimensions", in.Dimensions)
	v.checkUnit("unit", in.Unit)
	if in.Period < 0 {
		v.add("period", cMinValue, 1)
	}
	if in.EvaluationPeriods < 0 {
		v.add("evaluationPeriods", cMinValue, 1)
	}
	if in.DatapointsToAlarm < 0 {
		v.add("datapointsToAlarm", cMinValue, 1)
	}
	if in.ComparisonOperator != "" && !staticOperator(in.ComparisonOperator) && !anomalyOperator(in.ComparisonOperator) {
		v.add("comparisonOperator", cEnum, "GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold, LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, GreaterThanUpperThreshold")
	}
	if len(in.Tags) > maxTags {
		v.add("tags", cMaxLen, maxTags)
	}
	for i, t := range in.Tags {
		v.checkLen(fmt.Sprintf("tags.member.%d.key", i+1), t.Key, 1, 128)
		if len(t.Value) > 256 {
			v.add(fmt.Sprintf("tags.member.%d.value", i+1), cMaxLen, 256)
		}
	}
	if err := v.err(); err != nil {
		return MetricAlarm{}, err
	}
	if in.EvaluationPeriods == 0 {
		return MetricAlarm{}, errMissing("EvaluationPeriods")
	}
	if in.ComparisonOperator == "" {
		return MetricAlarm{}, errMissing("ComparisonOperator")
	}
	if in.ThresholdMetricId != "" || anomalyOperator(in.ComparisonOperator) {
		return MetricAlarm{}, errInvalidValue(msgAnomalyUnsupported)
	}
	if in.Threshold == nil {
		return MetricAlarm{}, errMissing("Threshold")
	}
	if !finite(*in.Threshold) {
		return MetricAlarm{}, errInvalidValue(msgInvalidValue, fmtFloat(*in.Threshold), "Threshold")
	}
	if in.DatapointsToAlarm > in.EvaluationPeriods {
		// chosen
		return MetricAlarm{}, errInvalidValue("DatapointsToAlarm (%d) must be less than or equal to EvaluationPeriods (%d).", in.DatapointsToAlarm, in.EvaluationPeriods)
	}
	switch in.TreatMissingData {
	case "", MissingDataMissing, MissingDataNotBreaching, MissingDataBreaching, MissingDataIgnore:
	default:
		return MetricAlarm{}, errInvalidValue(msgInvalidValue, in.TreatMissingData, "TreatMissingData")
	}
	switch in.EvaluateLowSampleCountPercentile {
	case "", "evaluate", "ignore":
	default:
		return MetricAlarm{}, errInvalidValue(msgInvalidValue, in.EvaluateLowSampleCountPercentile, "EvaluateLowSampleCountPercentile")
	}
	if err := dimensionsErr("Dimensions", in.Dimensions); err != nil {
		return MetricAlarm{}, err
	}
	for i, t := range in.Tags {
		for _, u := range in.Tags[:i] {
			if u.Key == t.Key {
				return MetricAlarm{}, errInvalidValue("Duplicate tag key %s.", t.Key) // chosen
			}
		}
	}
	period := in.Period
	if len(in.Metrics) > 0 {
		for _, set := range []struct {
			name string
			set  bool
		}{{"MetricName", in.MetricName != ""}, {"Namespace", in.Namespace != ""}, {"Statistic", in.Statistic != ""},
			{"ExtendedStatistic", in.ExtendedStatistic != ""}, {"Dimensions", len(in.Dimensions) > 0}, {"Period", in.Period != 0}, {"Unit", in.Unit != ""}} {
			if set.set {
				return MetricAlarm{}, newError(CodeInvalidParameterCombination, msgMutuallyExclusive, "Metrics", set.name)
			}
		}
		c, err := compileQueries("Metrics", in.Metrics, scope)
		if err != nil {
			return MetricAlarm{}, err
		}
		returned := 0
		for i := range c.queries {
			q := &c.queries[i]
			if returnData(q) {
				returned++
				period = q.Period
				if q.MetricStat != nil {
					period = q.MetricStat.Period
				}
			}
		}
		if returned != 1 { // chosen
			return MetricAlarm{}, errInvalidValue("Exactly one element of the Metrics list must have ReturnData set to true.")
		}
		if period == 0 {
			// An expression's period: the smallest of its metric stats.
			for _, q := range c.queries {
				if q.MetricStat != nil && (period == 0 || q.MetricStat.Period < period) {
					period = q.MetricStat.Period
				}
			}
		}
		if period == 0 {
			return MetricAlarm{}, errMissing("Metrics.member.N.Period")
		}
	} else {
		if in.MetricName == "" {
			return MetricAlarm{}, errMissing("MetricName")
		}
		if in.Namespace == "" {
			return MetricAlarm{}, errMissing("Namespace")
		}
		if (in.Statistic == "") == (in.ExtendedStatistic == "") {
			// chosen
			return MetricAlarm{}, newError(CodeInvalidParameterCombination, "Exactly one of the parameters Statistic and ExtendedStatistic must be specified.")
		}
		if in.ExtendedStatistic != "" {
			if _, ok := parsePercentile(in.ExtendedStatistic); !ok {
				return MetricAlarm{}, errInvalidValue(msgInvalidValue, in.ExtendedStatistic, "ExtendedStatistic")
			}
		}
		if in.Period == 0 {
			return MetricAlarm{}, errMissing("Period")
		}
	}
	if !validPeriod(period) {
		return MetricAlarm{}, errInvalidValue(msgPeriodMultiple)
	}
	if int64(period)*int64(in.EvaluationPeriods) > 7*24*3600 { // chosen
		return MetricAlarm{}, errInvalidValue("The evaluation period (Period * EvaluationPeriods) must not exceed 604800 seconds (7 days).")
	}
	enabled := in.ActionsEnabled == nil || *in.ActionsEnabled
	m := MetricAlarm{
		AlarmName: in.AlarmName, AlarmArn: scope.AlarmARN(in.AlarmName), AlarmDescription: in.AlarmDescription,
		ActionsEnabled: enabled, OKActions: slices.Clone(in.OKActions), AlarmActions: slices.Clone(in.AlarmActions),
		InsufficientDataActions: slices.Clone(in.InsufficientDataActions), MetricName: in.MetricName, Namespace: in.Namespace,
		Statistic: in.Statistic, ExtendedStatistic: in.ExtendedStatistic, Dimensions: slices.Clone(in.Dimensions),
		Period: in.Period, Unit: in.Unit, EvaluationPeriods: in.EvaluationPeriods, DatapointsToAlarm: in.DatapointsToAlarm,
		Threshold: new(*in.Threshold), ComparisonOperator: in.ComparisonOperator, TreatMissingData: in.TreatMissingData,
		EvaluateLowSampleCountPercentile: in.EvaluateLowSampleCountPercentile, Metrics: cloneQueries(in.Metrics),
	}
	return m, nil
}

// checkAlarmReturnsSeries evaluates a Metrics alarm over its last period:
// its returned query must give one time series, not an array of them.
func (s *Service) checkAlarmReturnsSeries(ctx context.Context, scope Scope, m *MetricAlarm) error {
	if len(m.Metrics) == 0 {
		return nil
	}
	c, err := compileQueries("Metrics", m.Metrics, scope)
	if err != nil {
		return err
	}
	period := alarmPeriod(&Alarm{MetricAlarm: *m})
	end := floorDiv(s.clock.Now().Unix(), period) * period
	res, err := s.evalQueries(ctx, scope, c, end-period, end)
	if err != nil {
		return err
	}
	for _, q := range m.Metrics {
		if returnData(&q) && res.arrays[q.Id] != nil { // chosen
			return errInvalidValue("Error in expression '%s': an alarm's expression must return a single time series.", q.Id)
		}
	}
	return nil
}

func cloneQueries(qs []MetricDataQuery) []MetricDataQuery {
	if len(qs) == 0 {
		return nil
	}
	out := make([]MetricDataQuery, len(qs))
	for i, q := range qs {
		if q.MetricStat != nil {
			ms := *q.MetricStat
			ms.Metric.Dimensions = slices.Clone(ms.Metric.Dimensions)
			q.MetricStat = &ms
		}
		if q.ReturnData != nil {
			q.ReturnData = new(*q.ReturnData)
		}
		out[i] = q
	}
	return out
}

// cloneAlarm is a deep copy of a.
func cloneAlarm(a *Alarm) Alarm {
	c := *a
	c.OKActions, c.AlarmActions, c.InsufficientDataActions = slices.Clone(a.OKActions), slices.Clone(a.AlarmActions), slices.Clone(a.InsufficientDataActions)
	c.Dimensions = slices.Clone(a.Dimensions)
	c.Metrics = cloneQueries(a.Metrics)
	c.Tags = slices.Clone(a.Tags)
	if a.Threshold != nil {
		c.Threshold = new(*a.Threshold)
	}
	return c
}

// alarm returns a copy of an alarm.
func (s *Service) alarm(scope Scope, name string) (Alarm, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.alarms[scope][name]
	if !ok {
		return Alarm{}, false
	}
	return cloneAlarm(a), true
}

func (s *Service) alarmCount(scope Scope) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.alarms[scope])
}

// saveAlarm writes an alarm with history items and commits it to memory.
func (w *writer) saveAlarm(ctx context.Context, a Alarm, history []HistoryRecord) error {
	a.AlarmArn = a.Scope.AlarmARN(a.AlarmName)
	if err := w.s.store.SaveAlarm(ctx, a, history); err != nil {
		return err
	}
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	c := cloneAlarm(&a)
	s.alarmsOf(a.Scope, true)[a.AlarmName] = &c
	return nil
}

// scopeAlarms returns copies of a scope's alarms sorted by name.
func (s *Service) scopeAlarms(scope Scope) []Alarm {
	s.mu.RLock()
	out := make([]Alarm, 0, len(s.alarms[scope]))
	for _, a := range s.alarms[scope] {
		out = append(out, cloneAlarm(a))
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Alarm) int { return strings.Compare(a.AlarmName, b.AlarmName) })
	return out
}

// DescribeAlarms lists a scope's metric alarms sorted by name, filtered by
// AlarmNames or AlarmNamePrefix, StateValue, ActionPrefix and AlarmTypes,
// MaxRecords (default 50) a page. Reservoir has no composite alarms, so
// ChildrenOfAlarmName and ParentsOfAlarmName find nothing.
func (s *Service) DescribeAlarms(ctx context.Context, scope Scope, in DescribeAlarmsInput) (DescribeAlarmsOutput, error) {
	var v violations
	if len(in.AlarmNames) > maxAlarmNames {
		v.add("alarmNames", cMaxLen, maxAlarmNames)
	}
	if in.AlarmNamePrefix != "" {
		v.checkLen("alarmNamePrefix", in.AlarmNamePrefix, 1, maxNameLen)
	}
	if in.StateValue != "" && in.StateValue != StateOK && in.StateValue != StateAlarm && in.StateValue != StateInsufficientData {
		v.add("stateValue", cEnum, "OK, ALARM, INSUFFICIENT_DATA")
	}
	if in.MaxRecords < 0 || in.MaxRecords > maxRecordsAlarms {
		if in.MaxRecords < 0 {
			v.add("maxRecords", cMinValue, 1)
		} else {
			v.add("maxRecords", cMaxValue, maxRecordsAlarms)
		}
	}
	for i, t := range in.AlarmTypes {
		if t != AlarmTypeMetric && t != AlarmTypeComposite {
			v.add(fmt.Sprintf("alarmTypes.member.%d", i+1), cEnum, "CompositeAlarm, MetricAlarm")
		}
	}
	if err := v.err(); err != nil {
		return DescribeAlarmsOutput{}, err
	}
	if len(in.AlarmNames) > 0 && in.AlarmNamePrefix != "" {
		return DescribeAlarmsOutput{}, newError(CodeInvalidParameterCombination, msgNamesAndPrefix)
	}
	offset := 0
	if in.NextToken != "" {
		n, ok := decodeToken("da", in.NextToken)
		if !ok {
			return DescribeAlarmsOutput{}, newError(CodeInvalidNextToken, msgInvalidToken)
		}
		offset = n
	}
	out := DescribeAlarmsOutput{MetricAlarms: []MetricAlarm{}, CompositeAlarms: []struct{}{}}
	if in.ChildrenOfAlarmName != "" || in.ParentsOfAlarmName != "" ||
		len(in.AlarmTypes) > 0 && !slices.Contains(in.AlarmTypes, AlarmTypeMetric) {
		return out, nil
	}
	var match []MetricAlarm
	for _, a := range s.scopeAlarms(scope) {
		if len(in.AlarmNames) > 0 && !slices.Contains(in.AlarmNames, a.AlarmName) ||
			in.AlarmNamePrefix != "" && !strings.HasPrefix(a.AlarmName, in.AlarmNamePrefix) ||
			in.StateValue != "" && a.StateValue != in.StateValue ||
			in.ActionPrefix != "" && !hasActionPrefix(&a, in.ActionPrefix) {
			continue
		}
		match = append(match, a.MetricAlarm)
	}
	if offset > len(match) {
		return DescribeAlarmsOutput{}, newError(CodeInvalidNextToken, msgInvalidToken)
	}
	limit := int(in.MaxRecords)
	if limit == 0 {
		limit = 50
	}
	page := match[offset:]
	if len(page) > limit {
		page = page[:limit]
		out.NextToken = encodeToken("da", offset+limit)
	}
	out.MetricAlarms = append(out.MetricAlarms, page...)
	return out, nil
}

func hasActionPrefix(a *Alarm, prefix string) bool {
	for _, l := range [][]string{a.OKActions, a.AlarmActions, a.InsufficientDataActions} {
		for _, arn := range l {
			if strings.HasPrefix(arn, prefix) {
				return true
			}
		}
	}
	return false
}

// DescribeAlarmsForMetric lists the single-metric alarms on a metric: its
// namespace and name, and, when given, the same dimensions (as a set),
// statistic, extended statistic, period and unit.
func (s *Service) DescribeAlarmsForMetric(ctx context.Context, scope Scope, in DescribeAlarmsForMetricInput) (DescribeAlarmsForMetricOutput, error) {
	if in.MetricName == "" {
		return DescribeAlarmsForMetricOutput{}, errMissing("MetricName")
	}
	if in.Namespace == "" {
		return DescribeAlarmsForMetricOutput{}, errMissing("Namespace")
	}
	var v violations
	v.checkNamespace("namespace", in.Namespace)
	v.checkLen("metricName", in.MetricName, 1, maxNameLen)
	v.checkDimensions("dimensions", in.Dimensions)
	v.checkUnit("unit", in.Unit)
	if in.Statistic != "" && !validStatistic(in.Statistic) {
		v.add("statistic", cEnum, "SampleCount, Average, Sum, Minimum, Maximum")
	}
	if err := v.err(); err != nil {
		return DescribeAlarmsForMetricOutput{}, err
	}
	dims := metricID("", "", canonicalDims(in.Dimensions))
	out := DescribeAlarmsForMetricOutput{MetricAlarms: []MetricAlarm{}}
	for _, a := range s.scopeAlarms(scope) {
		if a.Namespace != in.Namespace || a.MetricName != in.MetricName ||
			len(in.Dimensions) > 0 && metricID("", "", canonicalDims(a.Dimensions)) != dims ||
			in.Statistic != "" && a.Statistic != in.Statistic ||
			in.ExtendedStatistic != "" && a.ExtendedStatistic != in.ExtendedStatistic ||
			in.Period != 0 && a.Period != in.Period ||
			in.Unit != "" && a.Unit != in.Unit {
			continue
		}
		out.MetricAlarms = append(out.MetricAlarms, a.MetricAlarm)
	}
	return out, nil
}

// DeleteAlarms deletes alarms. If any name is missing, none is deleted and
// the error is ResourceNotFound (moto's AWS-checked behaviour; the message
// is chosen). Their history stays until it expires.
func (s *Service) DeleteAlarms(ctx context.Context, scope Scope, in DeleteAlarmsInput) (DeleteAlarmsOutput, error) {
	if len(in.AlarmNames) == 0 {
		return DeleteAlarmsOutput{}, errMissing("AlarmNames")
	}
	if err := checkNames(in.AlarmNames); err != nil {
		return DeleteAlarmsOutput{}, err
	}
	w, err := s.lockWrites(ctx)
	if err != nil {
		return DeleteAlarmsOutput{}, err
	}
	defer w.unlock()
	names := slices.Compact(slices.Sorted(slices.Values(in.AlarmNames)))
	now := s.clock.Now().UTC()
	var history []HistoryRecord
	missing := 0
	for _, n := range names {
		a, ok := s.alarm(scope, n)
		if !ok {
			missing++
			continue
		}
		history = append(history, configHistory(&a, "Delete", now)...)
	}
	if missing > 0 {
		return DeleteAlarmsOutput{}, newError(CodeResourceNotFound, msgSomeAlarmsNotFound, missing)
	}
	if err := s.store.DeleteAlarms(ctx, scope, names, history); err != nil {
		return DeleteAlarmsOutput{}, err
	}
	s.mu.Lock()
	m := s.alarmsOf(scope, false)
	for _, n := range names {
		delete(m, n)
	}
	if len(m) == 0 {
		delete(s.alarms, scope)
	}
	s.mu.Unlock()
	return DeleteAlarmsOutput{}, nil
}

func checkNames(names []string) error {
	var v violations
	if len(names) > maxAlarmNames {
		v.add("alarmNames", cMaxLen, maxAlarmNames)
	}
	for i, n := range names {
		v.checkLen(fmt.Sprintf("alarmNames.member.%d", i+1), n, 1, maxNameLen)
	}
	return v.err()
}

// EnableAlarmActions turns on the actions of alarms; names that do not
// exist are skipped, as AWS does.
func (s *Service) EnableAlarmActions(ctx context.Context, scope Scope, in EnableAlarmActionsInput) (EnableAlarmActionsOutput, error) {
	return EnableAlarmActionsOutput{}, s.setActionsEnabled(ctx, scope, in.AlarmNames, true)
}

// DisableAlarmActions turns off the actions of alarms; names that do not
// exist are skipped.
func (s *Service) DisableAlarmActions(ctx context.Context, scope Scope, in DisableAlarmActionsInput) (DisableAlarmActionsOutput, error) {
	return DisableAlarmActionsOutput{}, s.setActionsEnabled(ctx, scope, in.AlarmNames, false)
}

func (s *Service) setActionsEnabled(ctx context.Context, scope Scope, names []string, on bool) error {
	if len(names) == 0 {
		return errMissing("AlarmNames")
	}
	if err := checkNames(names); err != nil {
		return err
	}
	w, err := s.lockWrites(ctx)
	if err != nil {
		return err
	}
	defer w.unlock()
	now := s.clock.Now().UTC()
	for _, n := range slices.Compact(slices.Sorted(slices.Values(names))) {
		a, ok := s.alarm(scope, n)
		if !ok || a.ActionsEnabled == on {
			continue
		}
		a.ActionsEnabled = on
		a.AlarmConfigurationUpdatedTimestamp = now
		if err := w.saveAlarm(ctx, a, configHistory(&a, "Update", now)); err != nil {
			return err
		}
	}
	return nil
}

// parseAlarmARN returns the name of the scope's alarm an ARN names.
func parseAlarmARN(scope Scope, arn string) (string, error) {
	prefix := scope.AlarmARN("")
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok || name == "" {
		if strings.HasPrefix(arn, "arn:aws:cloudwatch:") && strings.Contains(arn, ":alarm:") {
			// Another account or region's alarm: not found here.
			return "", &Error{Code: CodeResourceNotFoundException, Message: fmt.Sprintf(msgResourceNotFound, arn), ResourceType: "Alarm", ResourceID: arn}
		}
		return "", errInvalidValue(msgInvalidValue, arn, "ResourceARN")
	}
	return name, nil
}

func (s *Service) taggedAlarm(scope Scope, arn string) (Alarm, error) {
	if arn == "" {
		return Alarm{}, errMissing("ResourceARN")
	}
	name, err := parseAlarmARN(scope, arn)
	if err != nil {
		return Alarm{}, err
	}
	a, ok := s.alarm(scope, name)
	if !ok {
		return Alarm{}, &Error{Code: CodeResourceNotFoundException, Message: fmt.Sprintf(msgResourceNotFound, arn), ResourceType: "Alarm", ResourceID: arn}
	}
	return a, nil
}

// TagResource adds or replaces tags of an alarm.
func (s *Service) TagResource(ctx context.Context, scope Scope, in TagResourceInput) (TagResourceOutput, error) {
	if in.Tags == nil {
		return TagResourceOutput{}, errMissing("Tags")
	}
	var v violations
	for i, t := range in.Tags {
		v.checkLen(fmt.Sprintf("tags.member.%d.key", i+1), t.Key, 1, 128)
		if len(t.Value) > 256 {
			v.add(fmt.Sprintf("tags.member.%d.value", i+1), cMaxLen, 256)
		}
	}
	if err := v.err(); err != nil {
		return TagResourceOutput{}, err
	}
	w, err := s.lockWrites(ctx)
	if err != nil {
		return TagResourceOutput{}, err
	}
	defer w.unlock()
	a, err := s.taggedAlarm(scope, in.ResourceARN)
	if err != nil {
		return TagResourceOutput{}, err
	}
	for _, t := range in.Tags {
		if i := slices.IndexFunc(a.Tags, func(x Tag) bool { return x.Key == t.Key }); i >= 0 {
			a.Tags[i].Value = t.Value
		} else {
			a.Tags = append(a.Tags, t)
		}
	}
	if len(a.Tags) > maxTags { // chosen
		return TagResourceOutput{}, errInvalidValue("A resource can have no more than %d tags.", maxTags)
	}
	return TagResourceOutput{}, w.saveAlarm(ctx, a, nil)
}

// UntagResource removes tags of an alarm; keys it does not have are
// ignored.
func (s *Service) UntagResource(ctx context.Context, scope Scope, in UntagResourceInput) (UntagResourceOutput, error) {
	if in.TagKeys == nil {
		return UntagResourceOutput{}, errMissing("TagKeys")
	}
	w, err := s.lockWrites(ctx)
	if err != nil {
		return UntagResourceOutput{}, err
	}
	defer w.unlock()
	a, err := s.taggedAlarm(scope, in.ResourceARN)
	if err != nil {
		return UntagResourceOutput{}, err
	}
	a.Tags = slices.DeleteFunc(a.Tags, func(t Tag) bool { return slices.Contains(in.TagKeys, t.Key) })
	return UntagResourceOutput{}, w.saveAlarm(ctx, a, nil)
}

// ListTagsForResource returns an alarm's tags.
func (s *Service) ListTagsForResource(ctx context.Context, scope Scope, in ListTagsForResourceInput) (ListTagsForResourceOutput, error) {
	a, err := s.taggedAlarm(scope, in.ResourceARN)
	if err != nil {
		return ListTagsForResourceOutput{}, err
	}
	tags := a.Tags
	if tags == nil {
		tags = []Tag{}
	}
	return ListTagsForResourceOutput{Tags: tags}, nil
}
