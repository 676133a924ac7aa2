package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// cpServer is one control-plane server under test.
type cpServer struct {
	name string
	srv  *server
	c    *apiClient
	// unsupported operations, with what the server answered
	unsupported map[string]string
}

const cpFunction = "cp-bench"

// putChanging is PutFunctionConcurrency with a new value on every call;
// putSpread is the same with each client on a function of its own.
const (
	putChanging = "PutFunctionConcurrency (changing value)"
	putSpread   = "PutFunctionConcurrency (changing value, a function per client)"
)

// cpOps are the measured operations, in order.
var cpOps = []string{"GetFunctionConcurrency", "PutFunctionConcurrency", putChanging, putSpread, "GetProvisionedConcurrencyConfig", "PutProvisionedConcurrencyConfig"}

// spreadFunction is client c's own function for putSpread.
func spreadFunction(c int) string { return fmt.Sprintf("%s-%02d", cpFunction, c) }

func cpRequest(op, version string) request {
	switch op {
	case "GetFunctionConcurrency":
		return getConcurrencyReq(cpFunction)
	case "PutFunctionConcurrency":
		return putConcurrencyReq(cpFunction, 10)
	case "GetProvisionedConcurrencyConfig":
		return getProvisionedReq(cpFunction, version)
	default:
		return putProvisionedReq(cpFunction, version, 1)
	}
}

// setupCP creates the benchmark function on s: a published version with
// reserved concurrency 10 and, where supported, a provisioned config of 1.
func setupCP(s *cpServer, zip, tiny []byte, clients int) (version string, err error) {
	s.unsupported = map[string]string{}
	if err := s.c.createRole(); err != nil {
		return "", fmt.Errorf("%s: create role: %w", s.name, err)
	}
	for c := range clients {
		if err := s.c.createFunction(spreadFunction(c), tiny, false, nil); err != nil {
			return "", fmt.Errorf("%s: %w", s.name, err)
		}
	}
	if err := s.c.createFunction(cpFunction, zip, false, nil); err != nil {
		return "", fmt.Errorf("%s: %w", s.name, err)
	}
	if version, err = s.c.publishVersion(cpFunction); err != nil {
		return "", fmt.Errorf("%s: %w", s.name, err)
	}
	if _, _, err := s.c.do(putConcurrencyReq(cpFunction, 10)); err != nil {
		return "", fmt.Errorf("%s: %w", s.name, err)
	}
	_, _, err = s.c.do(putProvisionedReq(cpFunction, version, 1))
	var se *statusError
	if errors.As(err, &se) {
		s.unsupported["GetProvisionedConcurrencyConfig"] = fmt.Sprintf("PutProvisionedConcurrencyConfig answers HTTP %d", se.status)
		s.unsupported["PutProvisionedConcurrencyConfig"] = s.unsupported["GetProvisionedConcurrencyConfig"]
		return version, nil
	}
	if err != nil {
		return "", err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := s.c.provisionedStatus(cpFunction, version)
		if err != nil {
			return "", fmt.Errorf("%s: %w", s.name, err)
		}
		if st == "READY" {
			return version, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("%s: provisioned config not READY after 30 s (%s)", s.name, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func benchControlPlane(e *benchEnv) error {
	p := e.plan
	maxClients := 0
	for _, c := range p.cpClients {
		maxClients = max(maxClients, c)
	}
	var servers []*cpServer
	if e.moto != "" {
		srv, err := e.startMoto()
		if err != nil {
			return err
		}
		servers = append(servers, &cpServer{name: "moto", srv: srv, c: newClient(srv.url, maxClients)})
	}
	srv, err := e.startReservoir()
	if err != nil {
		return err
	}
	servers = append(servers, &cpServer{name: "reservoir", srv: srv, c: newClient(srv.url, maxClients)})
	defer func() {
		for _, s := range servers {
			s.c.close()
		}
	}()
	versions := map[string]string{}
	for _, s := range servers {
		v, err := setupCP(s, e.echoZip, e.tinyZip, maxClients)
		if err != nil {
			return err
		}
		versions[s.name] = v
	}
	floor, err := e.startFloor()
	if err != nil {
		return err
	}
	fc := newClient(floor.url, maxClients)
	defer fc.close()

	sec := e.rep.section("Control plane: Reservoir vs moto_server (and the floor)",
		"operation", "clients", "moto req/s", "moto p50", "moto p99", "moto CPU/req",
		"reservoir req/s", "reservoir p50", "reservoir p99", "reservoir CPU/req", "× moto", "of floor")
	type key struct {
		op      string
		clients int
	}
	results := map[string]map[key]measured{"moto": {}, "reservoir": {}, "floor": {}}
	floorReq := getConcurrencyReq(cpFunction)
	floorC := contestant{name: "floor", pids: func() []int { return []int{floor.pid()} }, op: func(int) error {
		_, _, err := fc.do(floorReq)
		return err
	}}
	boltC, closeBolt, err := bboltFloor(e)
	if err != nil {
		return err
	}
	defer closeBolt()
	for i, op := range cpOps {
		for _, clients := range p.cpClients {
			var cs []contestant
			if i == 0 {
				cs = append(cs, floorC)
			}
			if op == putChanging && clients == 1 {
				cs = append(cs, boltC)
			}
			for _, s := range servers {
				if _, ok := s.unsupported[op]; ok {
					continue
				}
				c := contestant{name: s.name, pids: func() []int { return []int{s.srv.pid()} }}
				switch op {
				case putChanging:
					// The clients share one function and a counter: the values
					// cycle through 128, so every Put changes the reservation.
					reqs := make([]request, 128)
					for i := range reqs {
						reqs[i] = putConcurrencyReq(cpFunction, 10+i)
					}
					var next atomic.Uint64
					c.op = func(int) error {
						_, _, err := s.c.do(reqs[next.Add(1)%128])
						return err
					}
				case putSpread:
					// Each client alternates 10 and 11 on its own function.
					reqs := make([][2]request, clients)
					for c := range clients {
						reqs[c] = [2]request{putConcurrencyReq(spreadFunction(c), 10), putConcurrencyReq(spreadFunction(c), 11)}
					}
					flips := make([]int, clients)
					c.op = func(c int) error {
						flips[c]++
						_, _, err := s.c.do(reqs[c][flips[c]%2])
						return err
					}
				default:
					req := cpRequest(op, versions[s.name])
					c.op = func(int) error {
						_, _, err := s.c.do(req)
						return err
					}
				}
				cs = append(cs, c)
			}
			progress("   %s x%d", op, clients)
			for j, m := range compare(e.ctx, clients, p.cpRounds, p.cpWarmup, p.cpDuration, cs...) {
				if r := results[cs[j].name]; r != nil {
					r[key{op, clients}] = m
				}
				if cs[j].name == "floor" {
					results["floor"][key{"", clients}] = m
				}
				if cs[j].name == "bolt" {
					results["floor"][key{"bolt", 1}] = m
				}
			}
		}
	}
	for _, clients := range p.cpClients {
		f := results["floor"][key{"", clients}]
		sec.row("floor: Go HTTP server answering the GET", fmt.Sprint(clients), "", "", "", "",
			rate(f.rps), us(f.p50), us(f.p99), perRequest(f.cpu, f.total), "", "1.00×")
	}
	bolt := results["floor"][key{"bolt", 1}]
	sec.row("floor: one fsync'd bbolt commit (1 writer, same disk)", "1", "", "", "", "",
		rate(bolt.rps), us(bolt.p50), us(bolt.p99), "", "", "")
	for _, op := range cpOps {
		for _, clients := range p.cpClients {
			m, mok := results["moto"][key{op, clients}]
			r := results["reservoir"][key{op, clients}]
			f := results["floor"][key{"", clients}]
			name := op
			if r.errors > 0 {
				name += " (reservoir errors: " + errCell(r.stats) + ")"
			}
			if mok && m.errors > 0 {
				name += " (moto errors: " + errCell(m.stats) + ")"
			}
			cells := []string{name, fmt.Sprint(clients)}
			if mok {
				cells = append(cells, rate(m.rps), us(m.p50), us(m.p99), perRequest(m.cpu, m.total))
			} else {
				cells = append(cells, "unsupported", "", "", "")
			}
			cells = append(cells, rate(r.rps), us(r.p50), us(r.p99), perRequest(r.cpu, r.total))
			if mok && m.rps > 0 {
				cells = append(cells, ratio(r.rps/m.rps))
			} else {
				cells = append(cells, "–")
			}
			cells = append(cells, ratio(r.rps/f.rps))
			sec.row(cells...)
		}
	}
	for _, s := range servers {
		for _, op := range cpOps {
			if why, ok := s.unsupported[op]; ok {
				sec.note("%s does not implement %s (%s).", s.name, op, why)
			}
		}
	}
	sec.note("Each cell is the median of %d alternating rounds (floor, moto, Reservoir, floor, ...) of %s each, so that load from other work on the shared machine falls on all alike.", p.cpRounds, p.cpDuration/time.Duration(p.cpRounds))
	sec.note("Closed loop: each client sends its next request when the previous one is answered, over kept-alive connections; every client hits the same function. Requests carry a SigV4-shaped Authorization header (neither server verifies signatures). The load generator runs on the same 2 CPUs.")
	sec.note("CPU/req is the server process's user+system CPU (from /proc/PID/stat) over the run divided by the requests it answered. \"of floor\" is Reservoir's throughput over the floor's at the same client count.")
	sec.note("Reservoir fsyncs every acknowledged write (bbolt); moto keeps everything in memory. A Put of the current value writes nothing in Reservoir, so the changing-value rows make every request a write: on the shared function the values cycle through 10..137 (one counter for all clients); in %q client i alternates 10 and 11 on function %s-i (64 functions, created with a 200-byte package).", putSpread, cpFunction)
	for _, op := range cpOps {
		r := results["reservoir"][key{op, 64}]
		m, mok := results["moto"][key{op, 64}]
		f := results["floor"][key{"", 64}]
		if mok {
			x := 0.0
			if m.rps > 0 {
				x = r.rps / m.rps
			}
			e.rep.target(op+" at 64 clients: throughput ≥ 20× moto's", x >= 20 && r.errors == 0,
				fmt.Sprintf("%s vs %s req/s", rate(r.rps), rate(m.rps)), ratio(x))
		} else {
			why := "moto does not implement it"
			if e.moto == "" {
				why = "moto_server not found"
			}
			e.rep.targetNA(op+" at 64 clients: throughput ≥ 20× moto's", why)
		}
		e.rep.target(op+" at 64 clients: p99 < 2 ms", r.n > 0 && r.errors == 0 && r.p99 < 2*time.Millisecond,
			fmt.Sprintf("p99 %s (1 client: %s; floor at 64: %s)", us(r.p99), us(results["reservoir"][key{op, 1}].p99), us(f.p99)),
			ratio(float64(r.p99)/float64(f.p99))+" the floor's p99")
	}
	return nil
}

// bboltFloor is a contestant that commits one key per fsync'd bbolt
// transaction in the run's temporary directory: the least a durable write
// costs on this disk. It is measured alongside the changing-value Put.
func bboltFloor(e *benchEnv) (contestant, func(), error) {
	db, err := bolt.Open(filepath.Join(e.dir("bolt"), "floor.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return contestant{}, nil, err
	}
	value := make([]byte, 600) // about a function record
	bucket := []byte("functions")
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucket); return err }); err != nil {
		db.Close()
		return contestant{}, nil, err
	}
	n := 0
	return contestant{name: "bolt", op: func(int) error {
		n++
		value[0] = byte(n)
		return db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(cpFunction), value) })
	}}, func() { db.Close() }, nil
}

// benchStartup times exec → first answered request for both servers.
func benchStartup(e *benchEnv) error {
	p := e.plan
	var res, mot []time.Duration
	for i := range max(p.startupRuns, p.motoStartupRuns) {
		if i < p.startupRuns {
			s, err := e.startReservoir()
			if err != nil {
				return err
			}
			res = append(res, s.ready)
			s.stop()
		}
		if i < p.motoStartupRuns && e.moto != "" {
			s, err := e.startMoto()
			if err != nil {
				return err
			}
			mot = append(mot, s.ready)
			s.stop()
		}
	}
	sec := e.rep.section("Startup: exec to first answered request", "server", "runs", "median", "min", "max")
	sec.row("reservoir (fresh data dir)", fmt.Sprint(len(res)), ms(median(res)), ms(minDur(res)), ms(maxDur(res)))
	if len(mot) > 0 {
		sec.row("moto_server", fmt.Sprint(len(mot)), ms(median(mot)), ms(minDur(mot)), ms(maxDur(mot)))
	}
	sec.note("Measured from just before exec to the first HTTP answer to a ListFunctions request, probing every 0.5 ms on a new connection.")
	r := median(res)
	ratioText := ""
	if len(mot) > 0 {
		ratioText = ratio(float64(median(mot))/float64(r)) + " faster than moto"
	}
	e.rep.target("Startup < 50 ms (moto ≈ 0.75 s)", r < 50*time.Millisecond, ms(r)+" median", ratioText)
	return nil
}

func minDur(d []time.Duration) time.Duration {
	m := d[0]
	for _, x := range d {
		m = min(m, x)
	}
	return m
}

func maxDur(d []time.Duration) time.Duration {
	m := d[0]
	for _, x := range d {
		m = max(m, x)
	}
	return m
}

// benchRSS reads VmRSS idle and after creating many functions.
func benchRSS(e *benchEnv) error {
	p := e.plan
	sec := e.rep.section("Memory: VmRSS idle and with many functions", "server", "idle", "functions", "with functions", "per function", "create rate", "restart with them")
	measure := func(name string, n int) (idle, full int64, err error) {
		var srv *server
		dataDir := e.dir("rss")
		if name == "moto" {
			srv, err = e.startMoto()
		} else {
			srv, err = e.startServer("reservoir", []string{e.reservoirBin, "serve", "--listen", "127.0.0.1:{PORT}", "--data-dir", dataDir, "--log-level", "warn"})
		}
		if err != nil {
			return 0, 0, err
		}
		time.Sleep(300 * time.Millisecond)
		if idle, err = rssBytes(srv.pid()); err != nil {
			return 0, 0, err
		}
		c := newClient(srv.url, 8)
		defer c.close()
		if err := c.createRole(); err != nil {
			return 0, 0, err
		}
		progress("   %s: creating %d functions", name, n)
		var next atomic.Int64
		var firstErr error
		var errMu sync.Mutex
		var wg sync.WaitGroup
		t0 := time.Now()
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= int64(n) || e.ctx.Err() != nil {
						return
					}
					if err := c.createFunction(fmt.Sprintf("fn-%05d", i), e.tinyZip, false, nil); err != nil {
						errMu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						errMu.Unlock()
						return
					}
				}
			}()
		}
		wg.Wait()
		took := time.Since(t0)
		if firstErr != nil {
			return 0, 0, firstErr
		}
		time.Sleep(300 * time.Millisecond)
		if full, err = rssBytes(srv.pid()); err != nil {
			return 0, 0, err
		}
		restart := "–"
		if name == "reservoir" {
			srv.stop()
			again, err := e.startServer("reservoir", []string{e.reservoirBin, "serve", "--listen", "127.0.0.1:{PORT}", "--data-dir", dataDir, "--log-level", "warn"})
			if err != nil {
				return 0, 0, err
			}
			restart = ms(again.ready)
			again.stop()
		}
		srv.stop()
		sec.row(name, mb(idle), fmt.Sprint(n), mb(full), fmt.Sprintf("%.1f KB", float64(full-idle)/float64(n)/1024),
			fmt.Sprintf("%s/s", rate(float64(n)/took.Seconds())), restart)
		return idle, full, nil
	}
	_, rFull, err := measure("reservoir", p.rssFunctions)
	if err != nil {
		return err
	}
	var mFull int64
	if p.motoRSSFunctions > 0 && e.moto != "" {
		if _, mFull, err = measure("moto", p.motoRSSFunctions); err != nil {
			return err
		}
	}
	sec.note("Functions are created by 8 concurrent clients with a 200-byte zip (the same package for all; Reservoir stores code by digest). \"restart with them\" is exec to first answer of a new Reservoir process on the same data directory.")
	goal := "10,000 functions < 100 MB RSS"
	if p.rssFunctions != 10000 {
		e.rep.targetNA(goal, fmt.Sprintf("quick run: %s with %d functions", mb(rFull), p.rssFunctions))
		return nil
	}
	rt := ratio(float64(rFull)/float64(100<<20)) + " of 100 MB"
	if mFull > 0 {
		rt += "; moto uses " + ratio(float64(mFull)/float64(rFull))
	}
	e.rep.target(goal, rFull < 100<<20, mb(rFull), rt)
	return nil
}
