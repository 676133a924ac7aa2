package boltstore

import (
	"time"

	"github.com/reservoir-dev/reservoir/internal/autoscaling"
)

// The autoscaling bucket's values: JSON of these records, never of the
// domain types, so renaming a domain field cannot change what is on disk.
// Times are RFC 3339 with nanoseconds, in UTC; absent pointers are absent
// values.

type asTargetRecord struct {
	Account      string            `json:"account"`
	Region       string            `json:"region"`
	Function     string            `json:"function"`
	Qualifier    string            `json:"qualifier"`
	ID           string            `json:"id"`
	Min          int               `json:"min"`
	Max          int               `json:"max"`
	SuspendedIn  bool              `json:"suspended_in,omitempty"`
	SuspendedOut bool              `json:"suspended_out,omitempty"`
	SuspendedSch bool              `json:"suspended_scheduled,omitempty"`
	Created      time.Time         `json:"created"`
	Tags         map[string]string `json:"tags,omitempty"`
	LastScaleOut time.Time         `json:"last_scale_out"`
	LastScaleIn  time.Time         `json:"last_scale_in"`
	ScaleOutFrom int               `json:"scale_out_from,omitempty"`
}

type asDimensionRecord struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type asCustomizedRecord struct {
	Namespace  string              `json:"namespace"`
	MetricName string              `json:"metric_name"`
	Dimensions []asDimensionRecord `json:"dimensions,omitempty"`
	Statistic  string              `json:"statistic"`
	Unit       string              `json:"unit,omitempty"`
}

type asTargetTrackingRecord struct {
	TargetValue      float64             `json:"target_value"`
	Predefined       string              `json:"predefined,omitempty"`
	ResourceLabel    string              `json:"resource_label,omitempty"`
	Customized       *asCustomizedRecord `json:"customized,omitempty"`
	ScaleOutCooldown *int                `json:"scale_out_cooldown_s,omitempty"`
	ScaleInCooldown  *int                `json:"scale_in_cooldown_s,omitempty"`
	DisableScaleIn   bool                `json:"disable_scale_in,omitempty"`
}

type asStepRecord struct {
	Lower      *float64 `json:"lower,omitempty"`
	Upper      *float64 `json:"upper,omitempty"`
	Adjustment int      `json:"adjustment"`
}

type asStepScalingRecord struct {
	AdjustmentType         string         `json:"adjustment_type"`
	Steps                  []asStepRecord `json:"steps"`
	MinAdjustmentMagnitude *int           `json:"min_adjustment_magnitude,omitempty"`
	Cooldown               *int           `json:"cooldown_s,omitempty"`
	MetricAggregationType  string         `json:"metric_aggregation_type,omitempty"`
}

type asAlarmRecord struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
}

type asPolicyRecord struct {
	Account        string                  `json:"account"`
	Region         string                  `json:"region"`
	Function       string                  `json:"function"`
	Qualifier      string                  `json:"qualifier"`
	Name           string                  `json:"name"`
	ID             string                  `json:"id"`
	Type           string                  `json:"type"`
	TargetTracking *asTargetTrackingRecord `json:"target_tracking,omitempty"`
	StepScaling    *asStepScalingRecord    `json:"step_scaling,omitempty"`
	Alarms         []asAlarmRecord         `json:"alarms,omitempty"`
	Created        time.Time               `json:"created"`
}

type asActionRecord struct {
	Account   string    `json:"account"`
	Region    string    `json:"region"`
	Function  string    `json:"function"`
	Qualifier string    `json:"qualifier"`
	Name      string    `json:"name"`
	ID        string    `json:"id"`
	Schedule  string    `json:"schedule"`
	Timezone  string    `json:"timezone,omitempty"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Min       *int      `json:"min,omitempty"`
	Max       *int      `json:"max,omitempty"`
	Created   time.Time `json:"created"`
	LastFired time.Time `json:"last_fired"`
}

type asActivityRecord struct {
	Account     string    `json:"account"`
	Region      string    `json:"region"`
	Function    string    `json:"function"`
	Qualifier   string    `json:"qualifier"`
	ID          string    `json:"id"`
	Description string    `json:"description"`
	Cause       string    `json:"cause"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Status      string    `json:"status"`
	Message     string    `json:"message,omitempty"`
}

func toTargetRecord(t autoscaling.Target) asTargetRecord {
	return asTargetRecord{Account: t.Scope.Account, Region: t.Scope.Region, Function: t.Resource.Function, Qualifier: t.Resource.Qualifier,
		ID: t.ID, Min: t.Min, Max: t.Max, SuspendedIn: t.Suspended.DynamicScalingIn, SuspendedOut: t.Suspended.DynamicScalingOut,
		SuspendedSch: t.Suspended.Scheduled, Created: utc(t.Created), Tags: t.Tags, LastScaleOut: utc(t.LastScaleOut),
		LastScaleIn: utc(t.LastScaleIn), ScaleOutFrom: t.ScaleOutFrom}
}

func (r asTargetRecord) target() autoscaling.Target {
	return autoscaling.Target{Scope: autoscaling.Scope{Account: r.Account, Region: r.Region},
		Resource: autoscaling.ResourceID{Function: r.Function, Qualifier: r.Qualifier}, ID: r.ID, Min: r.Min, Max: r.Max,
		Suspended: autoscaling.Suspended{DynamicScalingIn: r.SuspendedIn, DynamicScalingOut: r.SuspendedOut, Scheduled: r.SuspendedSch},
		Created:   r.Created, Tags: r.Tags, LastScaleOut: r.LastScaleOut, LastScaleIn: r.LastScaleIn, ScaleOutFrom: r.ScaleOutFrom}
}

func toPolicyRecord(p autoscaling.Policy) asPolicyRecord {
	r := asPolicyRecord{Account: p.Scope.Account, Region: p.Scope.Region, Function: p.Resource.Function, Qualifier: p.Resource.Qualifier,
		Name: p.Name, ID: p.ID, Type: p.Type, Created: utc(p.Created)}
	if tt := p.TargetTracking; tt != nil {
		r.TargetTracking = &asTargetTrackingRecord{TargetValue: tt.TargetValue, Predefined: tt.Predefined, ResourceLabel: tt.ResourceLabel,
			ScaleOutCooldown: tt.ScaleOutCooldown, ScaleInCooldown: tt.ScaleInCooldown, DisableScaleIn: tt.DisableScaleIn}
		if c := tt.Customized; c != nil {
			cr := &asCustomizedRecord{Namespace: c.Namespace, MetricName: c.MetricName, Statistic: c.Statistic, Unit: c.Unit}
			for _, d := range c.Dimensions {
				cr.Dimensions = append(cr.Dimensions, asDimensionRecord{Name: d.Name, Value: d.Value})
			}
			r.TargetTracking.Customized = cr
		}
	}
	if ss := p.StepScaling; ss != nil {
		r.StepScaling = &asStepScalingRecord{AdjustmentType: ss.AdjustmentType, MinAdjustmentMagnitude: ss.MinAdjustmentMagnitude,
			Cooldown: ss.Cooldown, MetricAggregationType: ss.MetricAggregationType}
		for _, st := range ss.Steps {
			r.StepScaling.Steps = append(r.StepScaling.Steps, asStepRecord{Lower: st.Lower, Upper: st.Upper, Adjustment: st.Adjustment})
		}
	}
	for _, a := range p.Alarms {
		r.Alarms = append(r.Alarms, asAlarmRecord{Name: a.Name, ARN: a.ARN})
	}
	return r
}

func (r asPolicyRecord) policy() autoscaling.Policy {
	p := autoscaling.Policy{Scope: autoscaling.Scope{Account: r.Account, Region: r.Region},
		Resource: autoscaling.ResourceID{Function: r.Function, Qualifier: r.Qualifier}, Name: r.Name, ID: r.ID, Type: r.Type, Created: r.Created}
	if tr := r.TargetTracking; tr != nil {
		p.TargetTracking = &autoscaling.TargetTracking{TargetValue: tr.TargetValue, Predefined: tr.Predefined, ResourceLabel: tr.ResourceLabel,
			ScaleOutCooldown: tr.ScaleOutCooldown, ScaleInCooldown: tr.ScaleInCooldown, DisableScaleIn: tr.DisableScaleIn}
		if c := tr.Customized; c != nil {
			cm := &autoscaling.CustomizedMetric{Namespace: c.Namespace, MetricName: c.MetricName, Statistic: c.Statistic, Unit: c.Unit}
			for _, d := range c.Dimensions {
				cm.Dimensions = append(cm.Dimensions, autoscaling.MetricDimension{Name: d.Name, Value: d.Value})
			}
			p.TargetTracking.Customized = cm
		}
	}
	if sr := r.StepScaling; sr != nil {
		p.StepScaling = &autoscaling.StepScaling{AdjustmentType: sr.AdjustmentType, MinAdjustmentMagnitude: sr.MinAdjustmentMagnitude,
			Cooldown: sr.Cooldown, MetricAggregationType: sr.MetricAggregationType}
		for _, st := range sr.Steps {
			p.StepScaling.Steps = append(p.StepScaling.Steps, autoscaling.StepAdjustment{Lower: st.Lower, Upper: st.Upper, Adjustment: st.Adjustment})
		}
	}
	for _, a := range r.Alarms {
		p.Alarms = append(p.Alarms, autoscaling.AlarmRef{Name: a.Name, ARN: a.ARN})
	}
	return p
}

func toActionRecord(a autoscaling.ScheduledAction) asActionRecord {
	return asActionRecord{Account: a.Scope.Account, Region: a.Scope.Region, Function: a.Resource.Function, Qualifier: a.Resource.Qualifier,
		Name: a.Name, ID: a.ID, Schedule: a.Schedule, Timezone: a.Timezone, Start: utc(a.Start), End: utc(a.End), Min: a.Min, Max: a.Max,
		Created: utc(a.Created), LastFired: utc(a.LastFired)}
}

func (r asActionRecord) action() autoscaling.ScheduledAction {
	return autoscaling.ScheduledAction{Scope: autoscaling.Scope{Account: r.Account, Region: r.Region},
		Resource: autoscaling.ResourceID{Function: r.Function, Qualifier: r.Qualifier}, Name: r.Name, ID: r.ID, Schedule: r.Schedule,
		Timezone: r.Timezone, Start: r.Start, End: r.End, Min: r.Min, Max: r.Max, Created: r.Created, LastFired: r.LastFired}
}

func toActivityRecord(a autoscaling.Activity) asActivityRecord {
	return asActivityRecord{Account: a.Scope.Account, Region: a.Scope.Region, Function: a.Resource.Function, Qualifier: a.Resource.Qualifier,
		ID: a.ID, Description: a.Description, Cause: a.Cause, Start: utc(a.Start), End: utc(a.End), Status: a.Status, Message: a.Message}
}

func (r asActivityRecord) activity() autoscaling.Activity {
	return autoscaling.Activity{Scope: autoscaling.Scope{Account: r.Account, Region: r.Region},
		Resource: autoscaling.ResourceID{Function: r.Function, Qualifier: r.Qualifier}, ID: r.ID, Description: r.Description,
		Cause: r.Cause, Start: r.Start, End: r.End, Status: r.Status, Message: r.Message}
}
