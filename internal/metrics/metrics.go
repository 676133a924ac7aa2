// Package metrics exposes Reservoir's invocation metrics in the Prometheus
// format, named after Lambda's CloudWatch metrics (ConcurrentExecutions,
// UnreservedConcurrentExecutions, Invocations, Errors, Throttles, Duration,
// ProvisionedConcurrentExecutions, ProvisionedConcurrencyUtilization,
// ProvisionedConcurrencySpilloverInvocations). Counters and histograms are
// fed by the domain's InvokeObserver; gauges are read from the concurrency
// books at scrape time.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/reservoir-dev/reservoir/internal/concurrency"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// Metrics is a registry with Reservoir's collectors.
type Metrics struct {
	registry    *prometheus.Registry
	invocations *prometheus.CounterVec
	errors      *prometheus.CounterVec
	throttles   *prometheus.CounterVec
	spillovers  *prometheus.CounterVec
	provInvokes *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	initDur     *prometheus.HistogramVec
	asyncIn     *prometheus.CounterVec
	asyncDrop   *prometheus.CounterVec
}

var fnLabels = []string{"account", "region", "function"}

// New registers the collectors; books is read at every scrape.
func New(books *concurrency.Accountant) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lambda_invocations_total",
			Help: "Invocations that ran (CloudWatch Invocations)."}, fnLabels),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lambda_errors_total",
			Help: "Invocations that ended in a function error (CloudWatch Errors)."}, fnLabels),
		throttles: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lambda_throttles_total",
			Help: "Invocation attempts throttled, by reason (CloudWatch Throttles)."}, append(fnLabels, "reason")),
		spillovers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lambda_provisioned_concurrency_spillover_invocations_total",
			Help: "Invocations of a provisioned qualifier served on demand because every provisioned environment was busy."}, fnLabels),
		provInvokes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lambda_provisioned_concurrency_invocations_total",
			Help: "Invocations served by provisioned environments."}, fnLabels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lambda_duration_seconds",
			Help: "Invocation duration (CloudWatch Duration).", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, fnLabels),
		initDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lambda_init_duration_seconds",
			Help: "Initialization duration of new environments on cold starts.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}, fnLabels),
		asyncIn: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lambda_async_events_received_total",
			Help: "Asynchronous events queued (CloudWatch AsyncEventsReceived)."}, fnLabels),
		asyncDrop: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lambda_async_events_dropped_total",
			Help: "Asynchronous events dropped without a successful run, by reason (CloudWatch AsyncEventsDropped)."}, append(fnLabels, "reason")),
	}
	m.registry.MustRegister(m.invocations, m.errors, m.throttles, m.spillovers, m.provInvokes, m.duration, m.initDur,
		m.asyncIn, m.asyncDrop, booksCollector{books: books})
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Throttled implements lambda.InvokeObserver.
func (m *Metrics) Throttled(sc lambda.Scope, function string, t lambda.ThrottleRecord) {
	m.throttles.WithLabelValues(sc.Account, sc.Region, function, t.Reason).Inc()
}

// AsyncReceived implements lambda.InvokeObserver.
func (m *Metrics) AsyncReceived(sc lambda.Scope, function, _ string) {
	m.asyncIn.WithLabelValues(sc.Account, sc.Region, function).Inc()
}

// AsyncDropped implements lambda.InvokeObserver.
func (m *Metrics) AsyncDropped(sc lambda.Scope, function, _, reason string) {
	m.asyncDrop.WithLabelValues(sc.Account, sc.Region, function, reason).Inc()
}

// Invoked implements lambda.InvokeObserver.
func (m *Metrics) Invoked(sc lambda.Scope, function string, r lambda.InvokeRecord) {
	l := []string{sc.Account, sc.Region, function}
	m.invocations.WithLabelValues(l...).Inc()
	if r.FunctionError {
		m.errors.WithLabelValues(l...).Inc()
	}
	if r.Provisioned {
		m.provInvokes.WithLabelValues(l...).Inc()
	}
	if r.Spillover {
		m.spillovers.WithLabelValues(l...).Inc()
	}
	m.duration.WithLabelValues(l...).Observe(r.Duration.Seconds())
	if r.InitDuration > 0 {
		m.initDur.WithLabelValues(l...).Observe(r.InitDuration.Seconds())
	}
}

// booksCollector reads the live gauges from the concurrency books.
type booksCollector struct{ books *concurrency.Accountant }

var (
	descFnConc = prometheus.NewDesc("lambda_concurrent_executions",
		"Executions in flight per function (CloudWatch ConcurrentExecutions).", fnLabels, nil)
	descAcctConc = prometheus.NewDesc("lambda_account_concurrent_executions",
		"Executions in flight in the account and region (CloudWatch ConcurrentExecutions, all functions).", []string{"account", "region"}, nil)
	descUnreservedConc = prometheus.NewDesc("lambda_unreserved_concurrent_executions",
		"Executions in flight of functions without reserved concurrency (CloudWatch UnreservedConcurrentExecutions).", []string{"account", "region"}, nil)
	descLimit = prometheus.NewDesc("lambda_account_concurrency_limit",
		"The account's regional concurrency limit.", []string{"account", "region"}, nil)
	descProvConc = prometheus.NewDesc("lambda_provisioned_concurrent_executions",
		"Executions in flight on provisioned environments (CloudWatch ProvisionedConcurrentExecutions).", fnLabels, nil)
	descProvUtil = prometheus.NewDesc("lambda_provisioned_concurrency_utilization",
		"Provisioned executions in flight divided by allocated provisioned environments (CloudWatch ProvisionedConcurrencyUtilization).", fnLabels, nil)
)

func (c booksCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descFnConc, descAcctConc, descUnreservedConc, descLimit, descProvConc, descProvUtil} {
		ch <- d
	}
}

func (c booksCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.books.Snapshot() {
		a, r := s.Scope.Account, s.Scope.Region
		ch <- prometheus.MustNewConstMetric(descAcctConc, prometheus.GaugeValue, float64(s.Usage.InFlight), a, r)
		ch <- prometheus.MustNewConstMetric(descUnreservedConc, prometheus.GaugeValue, float64(s.Usage.SharedInFlight), a, r)
		ch <- prometheus.MustNewConstMetric(descLimit, prometheus.GaugeValue, float64(s.Usage.Limit), a, r)
		for _, f := range s.Functions {
			ch <- prometheus.MustNewConstMetric(descFnConc, prometheus.GaugeValue, float64(f.InFlight), a, r, f.Name)
			if f.ProvisionedAlloc > 0 {
				ch <- prometheus.MustNewConstMetric(descProvConc, prometheus.GaugeValue, float64(f.ProvisionedInFlight), a, r, f.Name)
				ch <- prometheus.MustNewConstMetric(descProvUtil, prometheus.GaugeValue, float64(f.ProvisionedInFlight)/float64(f.ProvisionedAlloc), a, r, f.Name)
			}
		}
	}
}
