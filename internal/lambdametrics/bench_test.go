package lambdametrics

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/cloudwatch"
	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/metrics"
)

// BenchmarkObserveInvoked is the cost an invocation pays to be counted, on
// the invoke path: the CloudWatch recorder next to the Prometheus observer
// (the baseline, there before it), in parallel over 100 functions, for an
// alias invocation (three series: the function, its Resource, its
// ExecutedVersion) and an unqualified one (the function's only).
//
//	go test ./internal/lambdametrics -run '^$' -bench ObserveInvoked -benchmem -count 5
func BenchmarkObserveInvoked(b *testing.B) {
	fns := make([]string, 100)
	for i := range fns {
		fns[i] = fmt.Sprintf("fn-%d", i)
	}
	recs := map[string]lambda.InvokeRecord{
		"alias":       {Qualifier: "live", ExecutedVersion: "3", Duration: 12 * time.Millisecond, Provisioned: true},
		"unqualified": {Duration: 12 * time.Millisecond},
	}
	for _, kind := range []string{"alias", "unqualified"} {
		rec := recs[kind]
		observers := map[string]lambda.InvokeObserver{
			"prometheus": metrics.New(nil),
			"cloudwatch": New(Options{Sink: func(cloudwatch.Scope, []cloudwatch.Datum) {}}),
		}
		for _, name := range []string{"prometheus", "cloudwatch"} {
			o := observers[name]
			b.Run(kind+"/"+name, func(b *testing.B) {
				var next atomic.Uint64
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					i := next.Add(1)
					for pb.Next() {
						o.Invoked(lsc, fns[i%uint64(len(fns))], rec)
						i++
					}
				})
			})
		}
		observers["cloudwatch"].(*Recorder).Close()
	}
}
