package reliability

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// reg is what the test knows about one durable setting: the value of the
// last acknowledged write (a 2xx answer), and the values written after it
// whose answer never came because the server died. After a restart the
// server must show the acknowledged value or one of those; nil stands for
// "absent".
type reg[T comparable] struct {
	acked   *T
	pending []T
}

func (r *reg[T]) attempt(v T) { r.pending = append(r.pending, v) }

func (r *reg[T]) ack(v T) {
	r.acked = &v
	r.pending = nil
}

func (r *reg[T]) allows(observed *T) bool {
	if observed == nil {
		return r.acked == nil
	}
	return (r.acked != nil && *r.acked == *observed) || slices.Contains(r.pending, *observed)
}

// settle records what a restarted server shows: it is durable now.
func (r *reg[T]) settle(observed *T) {
	r.acked, r.pending = nil, nil
	if observed != nil {
		v := *observed
		r.acked = &v
	}
}

func (r *reg[T]) String() string {
	a := "absent"
	if r.acked != nil {
		a = fmt.Sprint(*r.acked)
	}
	return fmt.Sprintf("acknowledged %s, in flight at the kill %v", a, r.pending)
}

// fnModel is one function as the test wrote it. One worker owns it, so its
// writes are sequential and "later" is well defined.
type fnModel struct {
	name        string
	exists      reg[bool]
	versions    []string // published versions known to exist, oldest first
	reserved    reg[int]
	description reg[string]
	alias       reg[string] // the version alias "live" points at
	prov        reg[int]    // requested provisioned concurrency on "live"
	edits       int
}

// cluster hands the current server's client to the workers and lets the
// controller stop them around a kill and a restart.
type cluster struct {
	mu     sync.Mutex
	cond   *sync.Cond
	client *lambda.Client
	gen    int
	paused bool
	active int
	killed bool // the current generation's server is being killed

	unexpected atomic.Int64 // transport errors while no kill was under way
}

func newCluster(c *lambda.Client) *cluster {
	cl := &cluster{client: c}
	cl.cond = sync.NewCond(&cl.mu)
	return cl
}

// acquire waits until the workers may run and returns the client.
func (cl *cluster) acquire(ctx context.Context) (*lambda.Client, int, bool) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for cl.paused && ctx.Err() == nil {
		cl.cond.Wait()
	}
	if ctx.Err() != nil {
		return nil, 0, false
	}
	cl.active++
	return cl.client, cl.gen, true
}

// release ends a call; transport reports that it failed for want of a
// server, and then the worker waits for the next one.
func (cl *cluster) release(ctx context.Context, gen int, transport bool) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.active--
	if transport && !cl.killed && gen == cl.gen {
		cl.unexpected.Add(1)
	}
	cl.cond.Broadcast()
	for transport && cl.gen == gen && ctx.Err() == nil {
		cl.cond.Wait()
	}
}

func (cl *cluster) markKilled() {
	cl.mu.Lock()
	cl.killed = true
	cl.mu.Unlock()
}

// pause stops new calls and waits for those in flight to end.
func (cl *cluster) pause() {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.paused = true
	for cl.active > 0 {
		cl.cond.Wait()
	}
}

func (cl *cluster) resume(c *lambda.Client) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.client, cl.paused, cl.killed = c, false, false
	cl.gen++
	cl.cond.Broadcast()
}

func (cl *cluster) wake() {
	cl.mu.Lock()
	cl.cond.Broadcast()
	cl.mu.Unlock()
}

// outcome classifies a call's error.
type outcome int

const (
	acked     outcome = iota // 2xx
	apiError                 // an AWS error answer: nothing was written
	transport                // no answer: the write may or may not have landed
)

func classify(err error) (outcome, string) {
	if err == nil {
		return acked, ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() != "" && ae.ErrorCode() != "UnknownError" {
		return apiError, ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return transport, err.Error()
}

type crashCounts struct {
	acked, inFlight, publishes atomic.Int64 // publishes: PublishVersion calls unanswered
}

type worker struct {
	t      *testing.T
	fns    []*fnModel
	rng    *rand.Rand
	counts *crashCounts
}

// step makes one write and records its fate; it reports whether the
// server did not answer.
func (w *worker) step(ctx context.Context, c *lambda.Client) bool {
	m := w.fns[w.rng.IntN(len(w.fns))]
	name := aws.String(m.name)
	// record applies a call's outcome to r.
	record := func(err error, what string, onAck func()) bool {
		o, msg := classify(err)
		switch o {
		case acked:
			w.counts.acked.Add(1)
			onAck()
		case apiError:
			w.t.Errorf("%s on %s: unexpected error answer %s", what, m.name, msg)
		case transport:
			w.counts.inFlight.Add(1)
		}
		return o == transport
	}
	if m.exists.acked == nil {
		m.exists.attempt(true)
		_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: name, Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
			Role: aws.String(role), Code: &types.FunctionCode{ZipFile: tinyZip}, Publish: true,
		})
		return record(err, "CreateFunction", func() {
			m.exists.ack(true)
			m.versions = []string{"1"}
		})
	}
	switch r := w.rng.IntN(10); {
	case r < 3 || (r < 5 && m.alias.acked == nil) || (r >= 8 && len(m.versions) >= 6):
		v := 5 + w.rng.IntN(16)
		m.reserved.attempt(v)
		_, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: name, ReservedConcurrentExecutions: aws.Int32(int32(v))})
		return record(err, "PutFunctionConcurrency", func() { m.reserved.ack(v) })
	case r < 5:
		v := 1 + w.rng.IntN(3)
		m.prov.attempt(v)
		_, err := c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
			FunctionName: name, Qualifier: aws.String("live"), ProvisionedConcurrentExecutions: aws.Int32(int32(v))})
		return record(err, "PutProvisionedConcurrencyConfig", func() { m.prov.ack(v) })
	case r < 8:
		target := m.versions[w.rng.IntN(len(m.versions))]
		m.alias.attempt(target)
		if m.alias.acked == nil {
			_, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: name, Name: aws.String("live"), FunctionVersion: aws.String(target)})
			return record(err, "CreateAlias", func() { m.alias.ack(target) })
		}
		_, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: name, Name: aws.String("live"), FunctionVersion: aws.String(target)})
		return record(err, "UpdateAlias", func() { m.alias.ack(target) })
	default:
		m.edits++
		d := fmt.Sprintf("edit %d", m.edits)
		m.description.attempt(d)
		_, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: name, Description: aws.String(d)})
		if record(err, "UpdateFunctionConfiguration", func() { m.description.ack(d) }) {
			return true
		}
		out, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: name})
		if o, _ := classify(err); o == transport {
			w.counts.publishes.Add(1) // its landing shows as a version after the restart
		}
		return record(err, "PublishVersion", func() {
			if v := aws.ToString(out.Version); !slices.Contains(m.versions, v) {
				m.versions = append(m.versions, v)
			}
		})
	}
}

// tinyZip is a valid deployment package; no code runs in simulate mode.
var tinyZip = func() []byte {
	// An empty zip archive (end of central directory only).
	return []byte{0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
}()

func isNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	var pnf *types.ProvisionedConcurrencyConfigNotFoundException
	return errors.As(err, &nf) || errors.As(err, &pnf)
}

// verify checks a freshly restarted server against the models, then
// settles them to what it shows.
func verify(t *testing.T, c *lambda.Client, models []*fnModel, limit int) {
	t.Helper()
	ctx := context.Background()
	sumReserved, present := 0, map[string]bool{}
	yes := true
	var readyWait []*fnModel
	for _, m := range models {
		name := aws.String(m.name)
		fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: name})
		if isNotFound(err) {
			if !m.exists.allows(nil) {
				t.Errorf("LOST: function %s is gone after the restart (%s)", m.name, &m.exists)
			}
			*m = fnModel{name: m.name}
			continue
		}
		if err != nil {
			t.Fatalf("GetFunction %s: %v", m.name, err)
		}
		if !m.exists.allows(&yes) {
			t.Errorf("function %s exists but was never created", m.name)
		}
		m.exists.settle(&yes)
		present[m.name] = true
		if fn.Configuration == nil || fn.Code == nil || aws.ToString(fn.Code.Location) == "" {
			t.Errorf("HALF-WRITTEN: GetFunction %s lacks Configuration or Code: %+v", m.name, fn)
		} else if zip, err := download(aws.ToString(fn.Code.Location)); err != nil || !bytes.Equal(zip, tinyZip) {
			t.Errorf("HALF-WRITTEN: the package of %s cannot be read back: %v", m.name, err)
		}

		// Versions: 1..N without gaps, every acknowledged one among them.
		vs, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: name, MaxItems: aws.Int32(10000)})
		if err != nil {
			t.Fatalf("ListVersionsByFunction %s: %v", m.name, err)
		}
		var seen []string
		for i, v := range vs.Versions {
			want := strconv.Itoa(i)
			if i == 0 {
				want = "$LATEST"
			}
			if aws.ToString(v.Version) != want {
				t.Errorf("HALF-WRITTEN: versions of %s are not $LATEST,1..N: position %d is %q", m.name, i, aws.ToString(v.Version))
			}
			if i > 0 {
				seen = append(seen, aws.ToString(v.Version))
			}
		}
		for _, v := range m.versions {
			if !slices.Contains(seen, v) {
				t.Errorf("LOST: acknowledged version %s of %s is gone (have %v)", v, m.name, seen)
			}
		}
		m.versions = seen

		latest := fn.Configuration
		desc := aws.ToString(latest.Description)
		var descp *string
		if desc != "" {
			descp = &desc
		}
		if !m.description.allows(descp) {
			t.Errorf("LOST: description of %s is %q; %s", m.name, desc, &m.description)
		}
		m.description.settle(descp)

		// Reserved concurrency, read both ways.
		rc, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: name})
		if err != nil {
			t.Fatalf("GetFunctionConcurrency %s: %v", m.name, err)
		}
		var got *int
		if rc.ReservedConcurrentExecutions != nil {
			n := int(*rc.ReservedConcurrentExecutions)
			got = &n
			sumReserved += n
		}
		if !m.reserved.allows(got) {
			t.Errorf("LOST: reservation of %s is %v; %s", m.name, fmtPtr(got), &m.reserved)
		}
		var fromFn *int
		if fn.Concurrency != nil && fn.Concurrency.ReservedConcurrentExecutions != nil {
			n := int(*fn.Concurrency.ReservedConcurrentExecutions)
			fromFn = &n
		}
		if fmtPtr(fromFn) != fmtPtr(got) {
			t.Errorf("reservation of %s: GetFunction says %s, GetFunctionConcurrency %s", m.name, fmtPtr(fromFn), fmtPtr(got))
		}
		m.reserved.settle(got)

		// Alias live.
		al, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: name, Name: aws.String("live")})
		var target *string
		switch {
		case isNotFound(err):
		case err != nil:
			t.Fatalf("GetAlias %s: %v", m.name, err)
		default:
			target = al.FunctionVersion
			if !slices.Contains(m.versions, *target) {
				t.Errorf("HALF-WRITTEN: alias live of %s points at version %s, which does not exist (%v)", m.name, *target, m.versions)
			}
		}
		if !m.alias.allows(target) {
			t.Errorf("LOST: alias live of %s points at %s; %s", m.name, fmtPtr(target), &m.alias)
		}
		m.alias.settle(target)

		// Provisioned concurrency on live.
		var req *int
		if target != nil {
			pc, err := c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: name, Qualifier: aws.String("live")})
			switch {
			case isNotFound(err):
			case err != nil:
				t.Fatalf("GetProvisionedConcurrencyConfig %s: %v", m.name, err)
			default:
				n := int(aws.ToInt32(pc.RequestedProvisionedConcurrentExecutions))
				req = &n
				readyWait = append(readyWait, m)
			}
		}
		if !m.prov.allows(req) {
			t.Errorf("LOST: provisioned config of %s:live requests %s; %s", m.name, fmtPtr(req), &m.prov)
		}
		m.prov.settle(req)
	}

	// Every function listed is one of ours, and the account adds up.
	listed := 0
	var marker *string
	for {
		out, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{Marker: marker, MaxItems: aws.Int32(5)})
		if err != nil {
			t.Fatalf("ListFunctions: %v", err)
		}
		for _, f := range out.Functions {
			listed++
			if !present[aws.ToString(f.FunctionName)] {
				t.Errorf("ListFunctions shows %s, which GetFunction did not find", aws.ToString(f.FunctionName))
			}
		}
		if out.NextMarker == nil {
			break
		}
		marker = out.NextMarker
	}
	if listed != len(present) {
		t.Errorf("ListFunctions lists %d functions, GetFunction found %d", listed, len(present))
	}
	acct, err := c.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := int(aws.ToInt32(acct.AccountLimit.UnreservedConcurrentExecutions)), limit-sumReserved; got != want {
		t.Errorf("HALF-WRITTEN: UnreservedConcurrentExecutions %d, want %d − Σ reservations %d = %d", got, limit, sumReserved, want)
	}
	if got := int(acct.AccountUsage.FunctionCount); got != len(present) {
		t.Errorf("FunctionCount %d, want %d", got, len(present))
	}

	// Provisioned configs warm up again.
	for _, m := range readyWait {
		var last *lambda.GetProvisionedConcurrencyConfigOutput
		ok := waitFor(15*time.Second, func() bool {
			pc, err := c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String(m.name), Qualifier: aws.String("live")})
			if err != nil {
				t.Fatalf("GetProvisionedConcurrencyConfig %s: %v", m.name, err)
			}
			last = pc
			n := aws.ToInt32(pc.RequestedProvisionedConcurrentExecutions)
			return pc.Status == types.ProvisionedConcurrencyStatusEnumReady && aws.ToInt32(pc.AllocatedProvisionedConcurrentExecutions) == n &&
				aws.ToInt32(pc.AvailableProvisionedConcurrentExecutions) == n
		})
		if !ok {
			t.Errorf("provisioned config %s:live not READY after the restart: %s %s allocated %d of %d", m.name, last.Status,
				aws.ToString(last.StatusReason), aws.ToInt32(last.AllocatedProvisionedConcurrentExecutions), aws.ToInt32(last.RequestedProvisionedConcurrentExecutions))
		}
	}

}

// download GETs url and returns the body of a 200.
func download(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b, err
}

func fmtPtr[T any](p *T) string {
	if p == nil {
		return "absent"
	}
	return fmt.Sprint(*p)
}

// TestCrashSafety drives concurrent control-plane writes against the real
// binary and kills it with SIGKILL at random moments: after each restart on
// the same data dir every acknowledged write is there, writes in flight at
// the kill are there or not (never half), the account adds up, and
// provisioned configs are READY again.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	kills := 3
	maxRun := 3500 * time.Millisecond
	if long() {
		kills = envInt("RESERVOIR_CRASH_KILLS", 40)
	}
	seed := uint64(envInt("RESERVOIR_SEED", int(time.Now().UnixNano()%1e9)))
	t.Logf("seed %d (RESERVOIR_SEED), %d kills", seed, kills)
	rng := rand.New(rand.NewPCG(seed, 1))

	const limit = 1000
	dataDir := t.TempDir()
	srv := startServer(t, dataDir, "simulate")
	httpTimeout := 20 * time.Second
	cl := newCluster(sdkClient(srv.URL, httpTimeout))

	const workers, perWorker = 6, 2
	var models []*fnModel
	counts := &crashCounts{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{t: t, rng: rand.New(rand.NewPCG(seed, uint64(i+2))), counts: counts}
		for j := range perWorker {
			m := &fnModel{name: fmt.Sprintf("crash-%d-%d", i, j)}
			w.fns = append(w.fns, m)
			models = append(models, m)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, gen, ok := cl.acquire(ctx)
				if !ok {
					return
				}
				failed := w.step(ctx, c)
				cl.release(ctx, gen, failed)
			}
		}()
	}
	stopWorkers := func() {
		cancel()
		cl.wake()
		wg.Wait()
	}
	defer stopWorkers()

	start := time.Now()
	var landed, lost int
	for k := 1; k <= kills; k++ {
		time.Sleep(time.Duration(300+rng.IntN(int(maxRun/time.Millisecond)-300)) * time.Millisecond)
		inFlightBefore := counts.inFlight.Load()
		cl.markKilled()
		srv.kill9()
		cl.pause()
		before := snapshotPending(models)
		pending := len(before)
		srv = startServer(t, dataDir, "simulate")
		c := sdkClient(srv.URL, httpTimeout)
		verify(t, c, models, limit)
		l := landedOf(before, models)
		landed += l
		lost += pending - l
		t.Logf("kill %d at %.1fs: %d writes acknowledged so far, %d in flight at the kill (%d landed, %d did not)",
			k, time.Since(start).Seconds(), counts.acked.Load(), counts.inFlight.Load()-inFlightBefore, l, pending-l)
		if t.Failed() {
			t.Logf("server log:\n%s", srv.log())
			break
		}
		cl.resume(c)
	}
	stopWorkers()
	if n := cl.unexpected.Load(); n > 0 {
		t.Errorf("%d calls failed without an answer while the server was not being killed", n)
	}
	t.Logf("RESULT crash: %d kills in %.1fs, %d acknowledged writes checked, %d calls unanswered at the kills (%d settings: %d landed, %d absent; %d PublishVersion)",
		kills, time.Since(start).Seconds(), counts.acked.Load(), counts.inFlight.Load(), landed+lost, landed, lost, counts.publishes.Load())
}

// pendingWrite identifies one in-flight write by its setting and value.
type pendingWrite struct {
	fn, setting, value string
}

func snapshotPending(models []*fnModel) []pendingWrite {
	var out []pendingWrite
	for _, m := range models {
		add := func(setting string, vals []string) {
			for _, v := range vals {
				out = append(out, pendingWrite{m.name, setting, v})
			}
		}
		add("exists", strs(m.exists.pending))
		add("reserved", strs(m.reserved.pending))
		add("description", m.description.pending)
		add("alias", m.alias.pending)
		add("prov", strs(m.prov.pending))
	}
	return out
}

func strs[T any](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprint(v)
	}
	return out
}

// landedOf counts the in-flight writes whose value the restarted server shows.
func landedOf(before []pendingWrite, models []*fnModel) int {
	byName := map[string]*fnModel{}
	for _, m := range models {
		byName[m.name] = m
	}
	n := 0
	for _, p := range before {
		m := byName[p.fn]
		var cur *string
		switch p.setting {
		case "exists":
			cur = ptrStr(m.exists.acked)
		case "reserved":
			cur = ptrStr(m.reserved.acked)
		case "description":
			cur = ptrStr(m.description.acked)
		case "alias":
			cur = ptrStr(m.alias.acked)
		case "prov":
			cur = ptrStr(m.prov.acked)
		}
		if cur != nil && *cur == p.value {
			n++
		}
	}
	return n
}

func ptrStr[T any](p *T) *string {
	if p == nil {
		return nil
	}
	s := fmt.Sprint(*p)
	return &s
}
