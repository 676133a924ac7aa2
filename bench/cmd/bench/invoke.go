package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// invokePayload is the event of every benchmark invocation; the echo
// function returns it unchanged.
var invokePayload = []byte(`{"hello":"world","n":42}`)

// Recorded reference (not measured in this run): AWS's Runtime Interface
// Emulator serving the same kind of Go function, one client, on this machine
// class.
const (
	riePpc50 = 556 * time.Microsecond
	rieRPS   = 1670
)

func checkEcho(b []byte) error {
	if !bytes.Equal(b, invokePayload) {
		return fmt.Errorf("unexpected answer %q", b)
	}
	return nil
}

// startInvokeReservoir starts Reservoir with the echo function deployed,
// reserved concurrency reserved, and warm environments pre-started.
func (e *benchEnv) startInvokeReservoir(name string, reserved, warm int) (*server, *apiClient, error) {
	srv, err := e.startReservoir()
	if err != nil {
		return nil, nil, err
	}
	c := newClient(srv.url, 16)
	if err := c.createFunction(name, e.echoZip, false, nil); err != nil {
		return nil, nil, err
	}
	if reserved > 0 {
		if _, _, err := c.do(putConcurrencyReq(name, reserved)); err != nil {
			return nil, nil, err
		}
	}
	// Pre-warm: rounds of warm concurrent calls start warm environments.
	req := invokeReq(name, invokePayload)
	for range 5 {
		var wg sync.WaitGroup
		errs := make([]error, warm)
		for i := range warm {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b, _, err := c.do(req)
				if err == nil {
					err = checkEcho(b)
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, nil, err
		}
	}
	return srv, c, nil
}

func benchInvoke(e *benchEnv) error {
	p := e.plan
	maxClients := 0
	for _, c := range p.invClients {
		maxClients = max(maxClients, c)
	}
	floor, err := e.startFloor()
	if err != nil {
		return err
	}
	fc := newClient(floor.url, maxClients)
	defer fc.close()

	var loops []*runtimeLoop
	defer func() {
		for _, l := range loops {
			l.close()
		}
	}()
	for range maxClients {
		l, err := startRuntimeLoop(e.bootstrapBin, e.tmp)
		if err != nil {
			return err
		}
		loops = append(loops, l)
		if err := l.waitReady(e.ctx, 10*time.Second); err != nil {
			return err
		}
		if b, err := l.invoke(invokePayload); err != nil {
			return err
		} else if err := checkEcho(b); err != nil {
			return err
		}
	}

	srv, rc, err := e.startInvokeReservoir("echo", max(8, maxClients), maxClients)
	if err != nil {
		return err
	}
	defer rc.close()
	if n := len(children(srv.pid())); n != maxClients {
		progress("   note: reservoir runs %d environments after pre-warming %d", n, maxClients)
	}

	floorReq := invokeReq("echo", invokePayload)
	resReq := invokeReq("echo", invokePayload)
	sec := e.rep.section("Warm invoke: Reservoir vs the floor and a direct Runtime API loop",
		"path", "clients", "req/s", "p50", "p99", "p50 over floor", "throughput vs floor", "server CPU/invoke", "function CPU/invoke")
	loopPids := func() []int {
		var out []int
		for _, l := range loops {
			out = append(out, l.cmd.Process.Pid)
		}
		return out
	}
	resKids := func() []int { return children(srv.pid()) }
	var res1, res4, floor1 stats
	for _, clients := range p.invClients {
		progress("   floor, direct loop, reservoir x%d", clients)
		loopCPU, kidCPU := newCPUMeter(loopPids), newCPUMeter(resKids)
		ms := compare(e.ctx, clients, p.invRounds, p.invWarmup, p.invDuration,
			contestant{name: "floor", pids: func() []int { return []int{floor.pid()} }, op: func(int) error {
				b, _, err := fc.do(floorReq)
				if err == nil {
					err = checkEcho(b)
				}
				return err
			}},
			contestant{name: "direct", op: func(c int) error {
				b, err := loops[c].invoke(invokePayload)
				if err == nil {
					err = checkEcho(b)
				}
				return err
			}},
			contestant{name: "reservoir", pids: func() []int { return []int{srv.pid()} }, op: func(int) error {
				b, _, err := rc.do(resReq)
				if err == nil {
					err = checkEcho(b)
				}
				return err
			}})
		fl, di, rs := ms[0], ms[1], ms[2]
		rows := []struct {
			name          string
			m             measured
			server, funcs string
		}{
			{"floor: Go HTTP echo server", fl, perRequest(fl.cpu, fl.total), ""},
			{"direct Runtime API loop (no HTTP front)", di, "", perRequest(loopCPU.used(), di.total)},
			{"reservoir Invoke", rs, perRequest(rs.cpu, rs.total), perRequest(kidCPU.used(), rs.total)},
		}
		for i, r := range rows {
			over := "–"
			if i > 0 {
				over = fmt.Sprintf("%+d µs", (r.m.p50 - fl.p50).Microseconds())
			}
			name := r.name
			if r.m.errors > 0 {
				name += " (errors: " + errCell(r.m.stats) + ")"
			}
			sec.row(name, fmt.Sprint(clients), rate(r.m.rps), us(r.m.p50), us(r.m.p99), over, ratio(r.m.rps/fl.rps), r.server, r.funcs)
		}
		switch clients {
		case 1:
			res1, floor1 = rs.stats, fl.stats
			sec.row("AWS RIE (recorded reference, not this run)", "1", fmt.Sprint(rieRPS), us(riePpc50), "", fmt.Sprintf("%+d µs", (riePpc50-fl.p50).Microseconds()), "", "", "")
		case 4:
			res4 = rs.stats
		}
	}
	if err := e.invokeBreakdown(sec); err != nil {
		return err
	}
	sec.note("Reservoir: `--executor process` (the default), function `provided.al2023` with the aws-lambda-go echo bootstrap (built `-tags lambda.norpc`), reserved concurrency %d, %d environments pre-warmed. Each client sends `POST /2015-03-31/functions/echo/invocations` with a %d-byte event and checks the echoed body.", max(8, maxClients), maxClients, len(invokePayload))
	sec.note("Each figure is the median of %d alternating rounds (floor, direct, Reservoir, ...) of %s each. Server CPU/invoke: the floor's or Reservoir's process; function CPU/invoke: the bootstrap processes (the direct loop's server runs inside the benchmark process and is not counted).", p.invRounds, p.invDuration/time.Duration(p.invRounds))
	sec.note("Floor: a Go net/http server in its own process that echoes the body, driven by the same client code. Direct loop: a minimal Runtime API server inside the benchmark process hands each call straight to one bootstrap process per client (no HTTP between the caller and the loop); Reservoir's work is the rest: its HTTP front, admission, environment lease and the Runtime API exchange.")
	if res1.n > 0 {
		e.rep.target("Warm invoke p50 ≤ ½ of AWS RIE's 556 µs (1 client)", res1.p50 <= riePpc50/2 && res1.errors == 0,
			us(res1.p50)+" p50, "+rate(res1.rps)+" req/s", "RIE p50 is "+ratio(float64(riePpc50)/float64(res1.p50))+" Reservoir's (needs ≥ 2×)")
		over := res1.p50 - floor1.p50
		e.rep.target("Warm invoke overhead over the floor < 150 µs (p50, 1 client)", over < 150*time.Microsecond,
			fmt.Sprintf("%d µs (%s vs floor %s)", over.Microseconds(), us(res1.p50), us(floor1.p50)), ratio(float64(res1.p50)/float64(floor1.p50))+" floor p50")
	}
	if res4.n > 0 {
		e.rep.target("≥ 4,000 invokes/s with 4 warm environments", res4.rps >= 4000 && res4.errors == 0,
			rate(res4.rps)+" req/s", ratio(res4.rps/4000)+" of 4,000")
	}
	return nil
}

// benchColdStart times the first invocation of a new environment.
func benchColdStart(e *benchEnv) error {
	p := e.plan
	srv, err := e.startReservoir()
	if err != nil {
		return err
	}
	c := newClient(srv.url, 4)
	defer c.close()
	if err := c.createFunction("cold", e.echoZip, false, map[string]string{"RUN": "0"}); err != nil {
		return err
	}
	req := invokeReq("cold", invokePayload)
	var afterUpdate, fresh, direct []time.Duration
	for i := range p.coldRuns {
		// A changed configuration needs a new environment.
		if err := c.updateEnv("cold", map[string]string{"RUN": fmt.Sprint(i + 1)}); err != nil {
			return err
		}
		t0 := time.Now()
		b, _, err := c.do(req)
		if err == nil {
			err = checkEcho(b)
		}
		if err != nil {
			return err
		}
		afterUpdate = append(afterUpdate, time.Since(t0))

		name := fmt.Sprintf("fresh-%d", i)
		if err := c.createFunction(name, e.echoZip, false, nil); err != nil {
			return err
		}
		t0 = time.Now()
		b, _, err = c.do(invokeReq(name, invokePayload))
		if err == nil {
			err = checkEcho(b)
		}
		if err != nil {
			return err
		}
		fresh = append(fresh, time.Since(t0))

		t0 = time.Now()
		l, err := startRuntimeLoop(e.bootstrapBin, e.tmp)
		if err != nil {
			return err
		}
		b, err = l.invoke(invokePayload)
		direct = append(direct, time.Since(t0))
		l.close()
		if err == nil {
			err = checkEcho(b)
		}
		if err != nil {
			return err
		}
	}
	sec := e.rep.section("Cold start: first invocation of a new environment", "path", "runs", "median", "min", "max", "median vs direct")
	d := median(direct)
	sec.row("direct: exec bootstrap + first invocation (no unzip)", fmt.Sprint(len(direct)), ms(d), ms(minDur(direct)), ms(maxDur(direct)), "1.00×")
	sec.row("reservoir: Invoke after UpdateFunctionConfiguration", fmt.Sprint(len(afterUpdate)), ms(median(afterUpdate)), ms(minDur(afterUpdate)), ms(maxDur(afterUpdate)), ratio(float64(median(afterUpdate))/float64(d)))
	sec.row("reservoir: first Invoke of a new function", fmt.Sprint(len(fresh)), ms(median(fresh)), ms(minDur(fresh)), ms(maxDur(fresh)), ratio(float64(median(fresh))/float64(d)))
	sec.note("Reservoir's times are the Invoke round trip as the client sees it, including unzipping the %.1f MB package (%.1f MB zipped) into the environment's directory; the direct baseline runs the already-unzipped binary.", float64(fileSize(e.bootstrapBin))/(1<<20), float64(len(e.echoZip))/(1<<20))
	return nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// benchProvisioning times provisioned configs from Put to READY.
func benchProvisioning(e *benchEnv) error {
	p := e.plan
	srv, err := e.startReservoir()
	if err != nil {
		return err
	}
	c := newClient(srv.url, 4)
	defer c.close()
	if err := c.createFunction("prov", e.echoZip, false, nil); err != nil {
		return err
	}
	version, err := c.publishVersion("prov")
	if err != nil {
		return err
	}
	sec := e.rep.section("Provisioned concurrency: Put to READY", "environments", "reservoir Put → READY", "direct: start n bootstraps in parallel", "ratio", "per environment (reservoir)")
	var res100, dir100 time.Duration
	for _, n := range p.provisionNs {
		// Baseline: n runtime loops started at once, until each asked for work.
		t0 := time.Now()
		loops := make([]*runtimeLoop, n)
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, err := startRuntimeLoop(e.bootstrapBin, e.tmp)
				if err != nil {
					errs[i] = err
					return
				}
				loops[i] = l
				errs[i] = l.waitReady(e.ctx, 30*time.Second)
			}()
		}
		wg.Wait()
		direct := time.Since(t0)
		for _, l := range loops {
			if l != nil {
				l.close()
			}
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond) // let the killed processes go

		progress("   reservoir: %d provisioned environments", n)
		t0 = time.Now()
		if _, _, err := c.do(putProvisionedReq("prov", version, n)); err != nil {
			return err
		}
		for {
			st, err := c.provisionedStatus("prov", version)
			if err != nil {
				return err
			}
			if st == "READY" {
				break
			}
			if time.Since(t0) > 60*time.Second {
				return fmt.Errorf("%d provisioned environments not READY after 60 s (%s)", n, st)
			}
			time.Sleep(5 * time.Millisecond)
		}
		took := time.Since(t0)
		sec.row(fmt.Sprint(n), ms(took), ms(direct), ratio(float64(took)/float64(direct)), ms(took/time.Duration(n)))
		if n == 100 {
			res100, dir100 = took, direct
		}
		if _, _, err := c.do(deleteProvisionedReq("prov", version)); err != nil {
			return err
		}
		if err := waitChildren(e.ctx, srv.pid(), 0, 30*time.Second); err != nil {
			return fmt.Errorf("after deleting the provisioned config: %w", err)
		}
	}
	sec.note("Reservoir: PutProvisionedConcurrencyConfig on a published version, then GetProvisionedConcurrencyConfig every 5 ms until `READY`; between sizes the config is deleted and its processes are waited for. Each environment unzips the package, starts its Runtime API listener and the bootstrap, and is ready at the runtime's first `next`.")
	goal := "100 provisioned Go environments READY < 3 s"
	if res100 > 0 {
		e.rep.target(goal, res100 < 3*time.Second,
			ms(res100), ratio(float64(res100)/float64(3*time.Second))+" of 3 s; "+ratio(float64(res100)/float64(dir100))+" direct parallel start")
	} else {
		e.rep.targetNA(goal, "not measured (quick run)")
	}
	return nil
}

// invokeBreakdown runs the in-process data-plane benchmarks of
// internal/sandbox: the same bootstrap driven by a minimal Runtime API loop,
// by runtimeapi.Server alone, and by sandbox.Manager (no HTTP front, no
// domain), so that Reservoir's overhead can be attributed to a layer.
func (e *benchEnv) invokeBreakdown(sec *section) error {
	g, err := e.goTestBinary("./internal/sandbox")
	if err != nil {
		return err
	}
	rounds, benchtime := 3, "1s"
	if e.plan.quick {
		rounds, benchtime = 1, "300ms"
	}
	const pattern = "^Benchmark(MinimalRuntimeLoop|RuntimeAPIInvoke|ManagerInvokeWarm|ManagerInvokeWarm4)$"
	progress("   in-process layers: %s", g.command(pattern, "-benchtime", benchtime))
	res, err := g.run(pattern, rounds, "-benchtime", benchtime)
	if err != nil {
		return err
	}
	rows := []struct{ bench, label string }{
		{"BenchmarkMinimalRuntimeLoop", "in-process: minimal Runtime API loop (go test)"},
		{"BenchmarkRuntimeAPIInvoke", "in-process: runtimeapi.Server.Invoke"},
		{"BenchmarkManagerInvokeWarm", "in-process: sandbox.Manager.Invoke"},
		{"BenchmarkManagerInvokeWarm4", "in-process: sandbox.Manager.Invoke"},
	}
	var floorP50 float64
	for _, r := range rows {
		var v benchValues
		for k, vals := range res {
			if k.name == r.bench {
				v = vals
			}
		}
		if v == nil {
			return fmt.Errorf("no result for %s", r.bench)
		}
		clients := "1"
		if strings.HasSuffix(r.bench, "4") {
			clients = "4"
		}
		p50 := v.median("p50-µs")
		if r.bench == "BenchmarkMinimalRuntimeLoop" {
			floorP50 = p50
		}
		over := fmt.Sprintf("%+.0f µs vs minimal loop", p50-floorP50)
		if clients == "4" {
			over = ""
		}
		sec.row(r.label, clients, rate(1e9/v.median("ns/op")), fmt.Sprintf("%.0f µs", p50), fmt.Sprintf("%.0f µs", v.median("p99-µs")), over, "", "", "")
	}
	sec.note("In-process rows: `%s`, median of %d runs; req/s = 1 / (ns/op). They run in one process with their caller, so they have no client-side HTTP.", g.command(pattern, "-benchtime", benchtime), rounds)
	return nil
}
