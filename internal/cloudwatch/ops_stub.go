package cloudwatch

import "context"

// The operations below are being filled in; the skeleton fixes their
// signatures for the wire layer.

var errNotYet = &Error{Code: "NotImplemented", Message: "not implemented yet"}

func (s *Service) PutMetricAlarm(ctx context.Context, scope Scope, in PutMetricAlarmInput) (PutMetricAlarmOutput, error) {
	return PutMetricAlarmOutput{}, errNotYet
}
func (s *Service) DescribeAlarms(ctx context.Context, scope Scope, in DescribeAlarmsInput) (DescribeAlarmsOutput, error) {
	return DescribeAlarmsOutput{}, errNotYet
}
func (s *Service) DescribeAlarmsForMetric(ctx context.Context, scope Scope, in DescribeAlarmsForMetricInput) (DescribeAlarmsForMetricOutput, error) {
	return DescribeAlarmsForMetricOutput{}, errNotYet
}
func (s *Service) DeleteAlarms(ctx context.Context, scope Scope, in DeleteAlarmsInput) (DeleteAlarmsOutput, error) {
	return DeleteAlarmsOutput{}, errNotYet
}
func (s *Service) DescribeAlarmHistory(ctx context.Context, scope Scope, in DescribeAlarmHistoryInput) (DescribeAlarmHistoryOutput, error) {
	return DescribeAlarmHistoryOutput{}, errNotYet
}
func (s *Service) SetAlarmState(ctx context.Context, scope Scope, in SetAlarmStateInput) (SetAlarmStateOutput, error) {
	return SetAlarmStateOutput{}, errNotYet
}
func (s *Service) EnableAlarmActions(ctx context.Context, scope Scope, in EnableAlarmActionsInput) (EnableAlarmActionsOutput, error) {
	return EnableAlarmActionsOutput{}, errNotYet
}
func (s *Service) DisableAlarmActions(ctx context.Context, scope Scope, in DisableAlarmActionsInput) (DisableAlarmActionsOutput, error) {
	return DisableAlarmActionsOutput{}, errNotYet
}
func (s *Service) TagResource(ctx context.Context, scope Scope, in TagResourceInput) (TagResourceOutput, error) {
	return TagResourceOutput{}, errNotYet
}
func (s *Service) UntagResource(ctx context.Context, scope Scope, in UntagResourceInput) (UntagResourceOutput, error) {
	return UntagResourceOutput{}, errNotYet
}
func (s *Service) ListTagsForResource(ctx context.Context, scope Scope, in ListTagsForResourceInput) (ListTagsForResourceOutput, error) {
	return ListTagsForResourceOutput{}, errNotYet
}

func (s *Service) loop() {
	defer close(s.done)
	<-s.stop
}
