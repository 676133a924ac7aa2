package lambda

import (
	"context"
	"slices"
	"sync"
)

// codeGC decides which deployment packages may be deleted. Packages are
// content-addressed and shared by functions, versions and scopes: one is
// garbage when no function snapshot (shown or durable, the $LATEST an update
// replaces included) references it and no upload holds a pin on it. The
// decision is taken under mu, which guards only these in-memory sets and is
// never held across store I/O: the deletes (each an fsync) run outside it, so
// an upload or an invocation never waits for one, except an upload of the
// very package being deleted, which waits for that deletion to end.
type codeGC struct {
	mu       sync.Mutex
	pins     map[string]int           // digest → uploads that will reference it
	deleting map[string]chan struct{} // digest → closed when its deletion ended
}

// Lock order: mu before the layer index's mu.

// pinCode keeps digest from being collected until unpin is called: from
// before an upload stores the package until the function referencing it is
// published (or the upload failed). If the package is being deleted, it first
// waits for that deletion to end (the upload then stores the package again).
func (s *Service) pinCode(ctx context.Context, digest string) (unpin func(), err error) {
	g := &s.code
	for {
		g.mu.Lock()
		done, busy := g.deleting[digest]
		if !busy {
			if g.pins == nil {
				g.pins = map[string]int{}
			}
			g.pins[digest]++
			g.mu.Unlock()
			break
		}
		g.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			if g.pins[digest]--; g.pins[digest] == 0 {
				delete(g.pins, digest)
			}
			g.mu.Unlock()
		})
	}, nil
}

// collectCode deletes those of the candidate packages that nothing references
// or pins, and returns their digests. A delete that fails leaves the package
// for the sweep at the next start.
func (s *Service) collectCode(ctx context.Context, candidates ...string) []string {
	g := &s.code
	g.mu.Lock()
	doomed := make(map[string]chan struct{}, len(candidates))
	for _, d := range candidates {
		if _, busy := g.deleting[d]; d != "" && !busy && g.pins[d] == 0 {
			doomed[d] = nil
		}
	}
	if len(doomed) > 0 {
		// Under mu: an upload unpins only after publishing the function that
		// references its package, so either the pin or the reference is seen.
		for _, sc := range s.scopeList() {
			for _, e := range s.entries(sc) {
				if fn := e.cur.Load(); fn != nil {
					fn.eachDigest(func(d string) { delete(doomed, d) })
				}
			}
		}
		// A layer version's zip is kept while the version exists.
		s.layers.eachDigest(func(d string) { delete(doomed, d) })
	}
	if g.deleting == nil {
		g.deleting = map[string]chan struct{}{}
	}
	for d := range doomed {
		doomed[d] = make(chan struct{})
		g.deleting[d] = doomed[d]
	}
	g.mu.Unlock()

	ctx = context.WithoutCancel(ctx) // garbage goes even if its client left
	var deleted []string
	for d, done := range doomed {
		err := s.store.DeleteCode(ctx, d)
		g.mu.Lock()
		delete(g.deleting, d)
		g.mu.Unlock()
		close(done)
		if err != nil {
			s.log.Warn("delete unreferenced code", "digest", d, "err", err)
			continue
		}
		deleted = append(deleted, d)
	}
	slices.Sort(deleted)
	return deleted
}

// sweepCode deletes every stored package no loaded function references:
// those an earlier run left behind (a crash between storing a package and
// the function write, or a delete that failed). It runs while the service is
// built, before anything can upload, invoke or warm up.
func (s *Service) sweepCode(ctx context.Context) {
	digests, err := s.store.CodeDigests(ctx)
	if err != nil {
		s.log.Warn("sweep unreferenced code", "err", err)
		return
	}
	if swept := s.collectCode(ctx, digests...); len(swept) > 0 {
		s.log.Info("swept unreferenced deployment packages", "count", len(swept), "digests", swept)
	}
}

// eachDigest calls f with the digest of every package fn references: its
// $LATEST, its versions, and the $LATEST an update in progress replaces,
// with their layers.
func (fn *Function) eachDigest(f func(string)) {
	fn.Latest.eachDigest(f)
	for _, v := range fn.Versions {
		v.eachDigest(f)
	}
	if fn.running != nil {
		fn.running.eachDigest(f)
	}
}

// eachDigest calls f with the digest of the configuration's package and of
// each of its layers: a function keeps the layer versions it runs with
// even once they are deleted, as on AWS.
func (c *Config) eachDigest(f func(string)) {
	f(c.CodeSha256)
	for _, l := range c.Layers {
		f(l.CodeSha256)
	}
}

// checkPackage runs the injected deep check of a deployment package.
func (s *Service) checkPackage(zip []byte) error {
	if s.check == nil {
		return nil
	}
	if err := s.check(zip); err != nil {
		s.log.Debug("deployment package refused", "err", err)
		return newErr(KindInvalidParameterValue, msgCannotUnzip)
	}
	return nil
}
