package lambda

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Event invoke configs tune the asynchronous queue for one qualifier of a
// function ($LATEST, a version or an alias): how many times a failed event
// is retried, how old an event may grow before it is dropped, and where the
// record of an event that succeeded or finally failed is sent. They live in
// the function's record, so deleting the function, version or alias deletes
// them with it.

// Bounds of MaximumRetryAttempts and MaximumEventAgeInSeconds (the model's).
const (
	MaxRetryAttempts   = 2
	MinEventAgeSeconds = 60
	MaxEventAgeSeconds = 21600
)

// EventInvokeConfig is one qualifier's asynchronous invocation settings.
// A nil limit means the config does not set it: the queue's default
// applies (two retries, six hours).
type EventInvokeConfig struct {
	Qualifier                string // $LATEST, a version number or an alias name
	MaximumRetryAttempts     *int
	MaximumEventAgeInSeconds *int
	OnSuccess                string // destination ARN; "" for none
	OnFailure                string // destination ARN; "" for none
	LastModified             time.Time
}

func (c *EventInvokeConfig) clone() *EventInvokeConfig {
	out := *c
	if c.MaximumRetryAttempts != nil {
		n := *c.MaximumRetryAttempts
		out.MaximumRetryAttempts = &n
	}
	if c.MaximumEventAgeInSeconds != nil {
		n := *c.MaximumEventAgeInSeconds
		out.MaximumEventAgeInSeconds = &n
	}
	return &out
}

// EventInvokeInput is a Put or Update request. A nil member was not sent;
// a Destinations member that is set but "" clears that destination.
type EventInvokeInput struct {
	FunctionName             string
	Qualifier                string
	MaximumRetryAttempts     *int
	MaximumEventAgeInSeconds *int
	HasDestinationConfig     bool
	OnSuccess, OnFailure     *string
}

// EventInvokeView is a config as the API reports it.
type EventInvokeView struct {
	FunctionARN string // qualified with the config's qualifier
	EventInvokeConfig
}

// destinationARNRE is the model's DestinationArn pattern.
const destinationARNPattern = `$|kafka://([^.]([a-zA-Z0-9\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)`

var destinationARNRE = regexp.MustCompile(`^(` + destinationARNPattern + `)$`)

// AWS's sentences for event invoke configs.
const (
	msgEventInvokeEmpty      = "You must specify at least one of error handling or destination setting."
	msgEventInvokeNoFunction = "The function doesn't exist."
	msgDestinationIsSelf     = "You can't specify the function as a destination for itself."
)

func errNoEventInvokeConfig(arn string) *Error {
	return newErr(KindResourceNotFound, "The function %s doesn't have an EventInvokeConfig", arn)
}

// eventInvokeTarget resolves FunctionName + Qualifier ("" is $LATEST).
func (s *Service) eventInvokeTarget(sc Scope, name, qualifier string) (FunctionRef, string, error) {
	ref, err := s.resolve(sc, name, qualifier, nameWrite)
	if err != nil {
		return ref, "", err
	}
	q := ref.Qualifier
	if q == "" {
		q = LatestVersion
	}
	return ref, q, nil
}

// hasQualifier reports whether q ($LATEST, a version or an alias) exists.
func (fn *Function) hasQualifier(q string) bool {
	if q == LatestVersion {
		return true
	}
	return fn.checkQualifierExists(q, func() error { return errNoChange }) == nil
}

// validateEventInvoke checks the members' bounds and the destinations, in
// AWS's order: constraints, then the at-least-one rule.
func validateEventInvoke(in *EventInvokeInput) error {
	var v Validation
	v.MinInt(in.MaximumRetryAttempts, 0, "maximumRetryAttempts")
	v.MaxInt(in.MaximumRetryAttempts, MaxRetryAttempts, "maximumRetryAttempts")
	v.MinInt(in.MaximumEventAgeInSeconds, MinEventAgeSeconds, "maximumEventAgeInSeconds")
	v.MaxInt(in.MaximumEventAgeInSeconds, MaxEventAgeSeconds, "maximumEventAgeInSeconds")
	for _, d := range []struct {
		arn   *string
		field string
	}{{in.OnSuccess, "destinationConfig.onSuccess.destination"}, {in.OnFailure, "destinationConfig.onFailure.destination"}} {
		if d.arn == nil {
			continue
		}
		v.Length(*d.arn, 0, 350, d.field)
		if !destinationARNRE.MatchString(*d.arn) {
			v.Add(Quote(*d.arn), d.field, "Member must satisfy regular expression pattern: "+destinationARNPattern)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if in.MaximumRetryAttempts == nil && in.MaximumEventAgeInSeconds == nil && !in.HasDestinationConfig {
		return newErr(KindInvalidParameterValue, msgEventInvokeEmpty)
	}
	return nil
}

// DestinationKind is the service a destination ARN names.
type DestinationKind string

// Destination kinds AWS accepts for asynchronous invocation.
const (
	DestinationFunction DestinationKind = "lambda"
	DestinationQueue    DestinationKind = "sqs"
	DestinationTopic    DestinationKind = "sns"
	DestinationEventBus DestinationKind = "events"
	DestinationBucket   DestinationKind = "s3" // OnFailure only
)

// destinationKind returns the service of a destination ARN.
func destinationKind(arn string) DestinationKind {
	parts := strings.SplitN(arn, ":", 4)
	if len(parts) < 3 || parts[0] != "arn" {
		return ""
	}
	return DestinationKind(parts[2])
}

// checkDestinations checks what the ARNs name: a function destination must
// exist in the scope and not be the function itself; S3 takes only
// failures; other services are refused.
func (s *Service) checkDestinations(sc Scope, self string, onSuccess, onFailure string) error {
	bad := false
	for i, arn := range []string{onSuccess, onFailure} {
		if arn == "" {
			continue
		}
		switch destinationKind(arn) {
		case DestinationFunction:
			ref, err := ParseFunctionName(arn, nameWrite)
			if err != nil || !strings.HasPrefix(arn, "arn:") {
				return newErr(KindInvalidParameterValue, "The destination ARN %s is invalid.", arn)
			}
			if (ref.Region != "" && ref.Region != sc.Region) || (ref.Account != "" && ref.Account != sc.Account) {
				return newErr(KindInvalidParameterValue, "The destination ARN %s is invalid.", arn)
			}
			if ref.Name == self {
				return newErr(KindInvalidParameterValue, msgDestinationIsSelf)
			}
			if _, fn := s.lookup(sc, ref.Name); fn == nil {
				return newErr(KindInvalidParameterValue, "The destination ARN %s is invalid.", arn)
			}
		case DestinationQueue, DestinationTopic, DestinationEventBus:
		case DestinationBucket:
			bad = bad || i == 0
		default:
			bad = true
		}
	}
	if bad {
		part := func(kind, arn string) string {
			if arn == "" {
				return "null"
			}
			return kind + "(destination=" + arn + ")"
		}
		return newErr(KindInvalidParameterValue, "The provided destination config DestinationConfig(onSuccess=%s, onFailure=%s) is invalid.",
			part("OnSuccess", onSuccess), part("OnFailure", onFailure))
	}
	return nil
}

// PutFunctionEventInvokeConfig sets a qualifier's config, replacing any it
// had (members not sent are removed); Update merges the members sent into
// an existing config.
func (s *Service) PutFunctionEventInvokeConfig(ctx context.Context, sc Scope, in EventInvokeInput) (EventInvokeView, error) {
	return s.writeEventInvoke(ctx, sc, in, false)
}

// UpdateFunctionEventInvokeConfig changes the members sent of an existing config.
func (s *Service) UpdateFunctionEventInvokeConfig(ctx context.Context, sc Scope, in EventInvokeInput) (EventInvokeView, error) {
	return s.writeEventInvoke(ctx, sc, in, true)
}

func (s *Service) writeEventInvoke(ctx context.Context, sc Scope, in EventInvokeInput, merge bool) (EventInvokeView, error) {
	ref, q, err := s.eventInvokeTarget(sc, in.FunctionName, in.Qualifier)
	if err != nil {
		return EventInvokeView{}, err
	}
	if err := validateEventInvoke(&in); err != nil {
		return EventInvokeView{}, err
	}
	arn := sc.FunctionARN(ref.Name) + ":" + q
	var view EventInvokeView
	var stored *EventInvokeConfig
	_, err = s.mutate(ctx, sc, ref.Name, func() error { return newErr(KindResourceNotFound, msgEventInvokeNoFunction) },
		func(fn *Function) (func(), func(*held), error) {
			if !fn.hasQualifier(q) {
				return nil, nil, newErr(KindResourceNotFound, msgEventInvokeNoFunction)
			}
			c := &EventInvokeConfig{Qualifier: q}
			if merge {
				old, ok := fn.EventInvoke[q]
				if !ok {
					return nil, nil, errNoEventInvokeConfig(arn)
				}
				c = old.clone()
			}
			if in.MaximumRetryAttempts != nil || !merge {
				c.MaximumRetryAttempts = in.MaximumRetryAttempts
			}
			if in.MaximumEventAgeInSeconds != nil || !merge {
				c.MaximumEventAgeInSeconds = in.MaximumEventAgeInSeconds
			}
			if in.OnSuccess != nil || !merge {
				c.OnSuccess = deref(in.OnSuccess, "")
			}
			if in.OnFailure != nil || !merge {
				c.OnFailure = deref(in.OnFailure, "")
			}
			// Only the destinations sent are checked: an Update of the
			// retries does not fail because a kept destination is gone since.
			sentS, sentF := deref(in.OnSuccess, ""), deref(in.OnFailure, "")
			if err := s.checkDestinations(sc, ref.Name, sentS, sentF); err != nil {
				return nil, nil, err
			}
			c.LastModified = s.now()
			if fn.EventInvoke == nil {
				fn.EventInvoke = map[string]*EventInvokeConfig{}
			}
			fn.EventInvoke[q] = c
			stored = c
			return nil, nil, nil
		})
	if err != nil {
		return EventInvokeView{}, err
	}
	for _, d := range []string{stored.OnSuccess, stored.OnFailure} {
		if d != "" && destinationKind(d) != DestinationFunction {
			s.log.Warn("event invoke config stored with a destination Reservoir does not deliver to: only Lambda function destinations receive records",
				"function", ref.Name, "qualifier", q, "destination", d)
		}
	}
	view = EventInvokeView{FunctionARN: arn, EventInvokeConfig: *stored.clone()}
	return view, nil
}

// GetFunctionEventInvokeConfig returns a qualifier's config.
func (s *Service) GetFunctionEventInvokeConfig(ctx context.Context, sc Scope, name, qualifier string) (EventInvokeView, error) {
	ref, q, err := s.eventInvokeTarget(sc, name, qualifier)
	if err != nil {
		return EventInvokeView{}, err
	}
	arn := sc.FunctionARN(ref.Name) + ":" + q
	_, fn := s.lookup(sc, ref.Name)
	if fn == nil {
		return EventInvokeView{}, errNoEventInvokeConfig(arn)
	}
	c, ok := fn.EventInvoke[q]
	if !ok {
		return EventInvokeView{}, errNoEventInvokeConfig(arn)
	}
	return EventInvokeView{FunctionARN: arn, EventInvokeConfig: *c.clone()}, nil
}

// DeleteFunctionEventInvokeConfig removes a qualifier's config.
func (s *Service) DeleteFunctionEventInvokeConfig(ctx context.Context, sc Scope, name, qualifier string) error {
	ref, q, err := s.eventInvokeTarget(sc, name, qualifier)
	if err != nil {
		return err
	}
	arn := sc.FunctionARN(ref.Name) + ":" + q
	_, err = s.mutate(ctx, sc, ref.Name, func() error { return errNoEventInvokeConfig(arn) },
		func(fn *Function) (func(), func(*held), error) {
			if _, ok := fn.EventInvoke[q]; !ok {
				return nil, nil, errNoEventInvokeConfig(arn)
			}
			delete(fn.EventInvoke, q)
			return nil, nil, nil
		})
	return err
}

// ListFunctionEventInvokeConfigs lists a function's configs, $LATEST first,
// then versions in number order, then aliases by name.
func (s *Service) ListFunctionEventInvokeConfigs(ctx context.Context, sc Scope, name, marker string, maxItems int) ([]EventInvokeView, string, error) {
	return listPerQualifier(s, sc, name, marker, maxItems, msgEventInvokeNoFunction,
		func(fn *Function) map[string]*EventInvokeConfig { return fn.EventInvoke },
		func(fn *Function, q string, c *EventInvokeConfig) EventInvokeView {
			return EventInvokeView{FunctionARN: sc.FunctionARN(fn.Name) + ":" + q, EventInvokeConfig: *c.clone()}
		})
}

// listPerQualifier pages one of a function's per-qualifier maps (its URLs,
// its event invoke configs) in qualifierLess order, at most 50 a page, as
// the List operations over them do; missing is the message for a function
// that does not exist.
func listPerQualifier[C any, V any](s *Service, sc Scope, name, marker string, maxItems int, missing string,
	entries func(*Function) map[string]C, view func(*Function, string, C) V) ([]V, string, error) {
	if err := checkMaxItems(maxItems, 50); err != nil {
		return nil, "", err
	}
	ref, err := s.functionOnly(sc, name)
	if err != nil {
		return nil, "", err
	}
	_, fn := s.lookup(sc, ref.Name)
	if fn == nil {
		return nil, "", newErr(KindResourceNotFound, "%s", missing)
	}
	m := entries(fn)
	qs := slices.Collect(maps.Keys(m))
	sort.Slice(qs, func(i, j int) bool { return qualifierLess(qs[i], qs[j]) })
	start, end, next, err := page(len(qs), marker, maxItems, 50)
	if err != nil {
		return nil, "", err
	}
	out := make([]V, 0, end-start)
	for _, q := range qs[start:end] {
		out = append(out, view(fn, q, m[q]))
	}
	return out, next, nil
}

// qualifierLess orders $LATEST, then versions by number, then aliases.
func qualifierLess(a, b string) bool {
	rank := func(q string) int {
		switch {
		case q == LatestVersion:
			return 0
		case isVersionNumber(q):
			return 1
		}
		return 2
	}
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return ra < rb
	}
	if ra == 1 && len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// asyncPolicy is what the queue applies to one event: the config of the
// qualifier it was sent to, or the queue's defaults.
type asyncPolicy struct {
	maxAge     time.Duration
	maxRetries int
	onSuccess  string // a function destination ARN, or ""
	onFailure  string
}

// policyFor returns the policy of an event sent to name:qualifier.
func (q *asyncQueue) policyFor(sc Scope, name, qualifier string) asyncPolicy {
	p := asyncPolicy{maxAge: q.opts.MaxEventAge, maxRetries: q.opts.MaxRetries}
	ref, err := q.s.resolve(sc, name, qualifier, nameRead)
	if err != nil {
		return p
	}
	_, fn := q.s.lookup(sc, ref.Name)
	if fn == nil || len(fn.EventInvoke) == 0 {
		return p
	}
	qual := ref.Qualifier
	if qual == "" {
		qual = LatestVersion
	}
	c, ok := fn.EventInvoke[qual]
	if !ok {
		return p
	}
	if c.MaximumRetryAttempts != nil {
		p.maxRetries = *c.MaximumRetryAttempts
	}
	if c.MaximumEventAgeInSeconds != nil {
		p.maxAge = time.Duration(*c.MaximumEventAgeInSeconds) * time.Second
	}
	if destinationKind(c.OnSuccess) == DestinationFunction {
		p.onSuccess = c.OnSuccess
	}
	if destinationKind(c.OnFailure) == DestinationFunction {
		p.onFailure = c.OnFailure
	}
	return p
}
