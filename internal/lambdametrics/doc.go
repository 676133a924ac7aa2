// Package lambdametrics publishes Lambda's CloudWatch metrics (namespace
// AWS/Lambda) from what really happened: it is a lambda.InvokeObserver that
// counts invocations, throttles and asynchronous events as they happen,
// reads the concurrency books' high-water marks, and every minute hands the
// minute that ended to a sink, one cloudwatch.Datum per metric and
// dimension set. It stores and serves nothing; the cloudwatch service does.
//
// # Metrics, units, dimension sets
//
// Sources: AWS Lambda Developer Guide, "Types of metrics for Lambda
// functions" (monitoring-metrics-types), "Viewing metrics for Lambda
// functions" and "Monitoring concurrency" (monitoring-concurrency); the
// dimension sets per metric as AWS's metric catalog lists them (the
// generated LambdaMetrics of aws-cdk-lib, e.g. ConcurrentExecutions with
// {}, {FunctionName}, {FunctionName, Resource} and {FunctionName, Resource,
// ExecutedVersion}).
//
//	metric                                      unit          dimension sets published
//	Invocations, Errors, Duration               Count, Count, {}, FN, FN+Resource, FN+Resource+ExecutedVersion
//	                                            Milliseconds
//	ProvisionedConcurrencyInvocations,          Count         same
//	ProvisionedConcurrencySpilloverInvocations
//	Throttles                                   Count         {}, FN, FN+Resource
//	AsyncEventsReceived, AsyncEventsDropped     Count         {}, FN, FN+Resource
//	AsyncEventAge                               Milliseconds  {}, FN, FN+Resource
//	ConcurrentExecutions                        Count         {}, FN
//	UnreservedConcurrentExecutions              Count         {}
//	ProvisionedConcurrentExecutions             Count         FN+Resource
//	ProvisionedConcurrencyUtilization           None          FN+Resource
//
// {} is the account and region (AWS's "across all functions"), the sum
// (distributions: the merge) of its functions' figures. Resource is
// "name:qualifier", published for an invocation of a version, an alias or
// an explicit $LATEST; an unqualified call has only {} and FunctionName
// (AWS documents Resource as "a version or alias"; what it publishes for an
// unqualified call is not documented). ExecutedVersion is published, with
// FunctionName and Resource as AWS's catalog pairs them, for alias
// invocations only: for a version it would repeat the Resource, and a
// throttled call executed nothing. The Prometheus-style name/FunctionName
// pair the issue suggested (FunctionName+ExecutedVersion) is not a set AWS
// lists.
//
// Statistics. Invocation metrics are binary indicators, as AWS describes
// them: Invocations, Throttles and the other counts are one sample of 1 per
// event (SampleCount = Sum = n); Errors is one sample per invocation, 1 for
// a function error and 0 otherwise, so it is published (Sum 0) in every
// minute that had invocations and its Average is the error rate. Duration
// is the function's run without a cold start's initialization (AWS: "does
// not include cold start time", as in the REPORT line); AsyncEventAge is,
// for each attempt at an asynchronous event, the time from its queueing to
// the attempt (it grows with retries and throttles, as AWS says).
// ProvisionedConcurrencyUtilization is ProvisionedConcurrentExecutions over
// the environments allocated, a fraction (AWS: ".5 indicates that 50
// percent ... is in use"), hence Unit None and not Percent. AWS does not
// document the unit it publishes it with.
//
// Distributions (Duration, AsyncEventAge) carry exact SampleCount, Sum,
// Minimum and Maximum, and Values/Counts from fixed log-scale buckets: a
// value is reported as its bucket's midpoint, within 3.125 % of the value
// (exact below 16 µs), clamped to the minute's minimum and maximum, so
// percentiles computed from them (p99) are within that bound.
//
// Concurrency metrics are the minute's Maximum, the statistic AWS says to
// view them with: the books note each count's high-water mark at every
// admission (the only moment a count grows) and the recorder takes them at
// each roll-over, the next minute starting at what still runs. So a
// minute's figure is exact, and an execution running across minutes counts
// in each. They are published as one sample whose Minimum, Maximum,
// Average and Sum are that peak (AWS samples more often: only Maximum
// means the same). ConcurrentExecutions per Resource (AWS publishes it for
// aliases and versions too) is not published: the books count per function
// and per provisioned config, not per qualifier.
//
// Sparse: a minute in which nothing happened publishes nothing; a count of
// zero is not published (Errors aside, above). Concurrency metrics are
// published for a minute in which something ran, including an execution
// that started earlier and was still running (AWS publishes them when
// invocations are in flight); UnreservedConcurrentExecutions only when an
// unreserved function ran.
//
// # Cost on the invoke path
//
// A record allocates nothing and takes no lock shared between functions:
// the function's state is found in a sync.Map keyed by a comparable struct
// (created once per function, qualifier and executed version), counters are
// atomics, distributions fixed arrays of atomic buckets (created at a
// series' first use). The roll-over never loses or double counts: figures
// have two slots chosen by the parity of an epoch the roll-over advances;
// a writer counts itself into its function's guard for the slot and
// re-checks the epoch (see Recorder.enter), and the roll-over waits for the
// guard of the slot it takes. The only shared word a record touches is the
// epoch, read-only between roll-overs.
package lambdametrics
