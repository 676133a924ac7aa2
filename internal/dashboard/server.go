package dashboard

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
)

//go:embed static
var staticFiles embed.FS

// Options configure a Server.
type Options struct {
	Source Source
	// Timeline gives a function's scaling activities and alarm state
	// changes (nil: none).
	Timeline Timeline
	// Logs gives a log group's recent lines (nil: none); Tap its new ones.
	Logs LogHistory
	Tap  *LogTap
	// Credentials, when set (--auth sigv4), are what the login form and
	// signed requests are checked against; each key sees only its account.
	Credentials awsproto.Credentials
	Logger      *slog.Logger
	// Interval between samples (0: one second); Now reads the clock (nil: time.Now).
	Interval time.Duration
	Now      func() time.Time
	// SendTimeout bounds the write of one stream event (0: 10 s).
	SendTimeout time.Duration
}

// Timeline lists a function's timeline events since a time, oldest first.
type Timeline interface {
	Timeline(ctx context.Context, ar AccountRegion, function string, since time.Time) ([]TimelineEvent, error)
}

// LogHistory lists up to limit of a log group's latest lines since a time,
// oldest first.
type LogHistory interface {
	Recent(ctx context.Context, ar AccountRegion, group string, since time.Time, limit int) ([]LogLine, error)
}

// Server samples the live state once per interval and serves the
// dashboard: its page, its snapshot and detail API and their event
// streams, under /_reservoir/.
type Server struct {
	o   Options
	log *slog.Logger

	mu      sync.Mutex // guards sampler (its histories are read by detail requests)
	sampler *sampler

	latest atomic.Pointer[tick]

	subMu sync.Mutex
	subs  map[chan *tick]struct{}

	sessions sessions

	tlMu    sync.Mutex
	tlCache map[timelineKey]*timelineEntry

	done      chan struct{}
	stopped   chan struct{}
	startOnce sync.Once
	closeOnce sync.Once
}

// New returns a server that has taken its first sample; Start starts the
// sampling.
func New(o Options) *Server {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Tap == nil {
		o.Tap = NewLogTap()
	}
	s := &Server{o: o, log: o.Logger, sampler: newSampler(o.Source, o.Credentials != nil),
		subs: map[chan *tick]struct{}{}, done: make(chan struct{}), stopped: make(chan struct{}),
		sessions: sessions{m: map[string]session{}}, tlCache: map[timelineKey]*timelineEntry{}}
	s.Sample()
	return s
}

// Start samples every interval until Close.
func (s *Server) Start() {
	s.startOnce.Do(func() {
		go func() {
			defer close(s.stopped)
			if s.o.Interval%time.Second == 0 {
				// Tick just after each second begins, so that a tick's
				// second (the history's slot) is not lost to jitter
				// around the boundary.
				now := s.o.Now()
				wait := now.Truncate(time.Second).Add(time.Second + 20*time.Millisecond).Sub(now)
				select {
				case <-s.done:
					return
				case <-time.After(wait):
				}
				s.Sample()
			}
			t := time.NewTicker(s.o.Interval)
			defer t.Stop()
			for {
				select {
				case <-s.done:
					return
				case <-t.C:
					s.Sample()
				}
			}
		}()
	})
}

// Close stops sampling and ends every open stream.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		started := true
		s.startOnce.Do(func() { started = false })
		if started {
			<-s.stopped
		}
	})
}

// Sample takes one sample now and hands it to the streams.
func (s *Server) Sample() {
	s.mu.Lock()
	t := s.sampler.sample(s.o.Now())
	s.latest.Store(t) // under the lock: two Samples cannot store out of order
	s.mu.Unlock()
	s.pruneTimelines(t.n)
	s.subMu.Lock()
	for ch := range s.subs {
		select { // the latest tick wins: a slow stream skips ticks, never blocks
		case ch <- t:
		default:
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- t:
			default:
			}
		}
	}
	s.subMu.Unlock()
}

// Subscribers is how many streams are open.
func (s *Server) Subscribers() int {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	return len(s.subs)
}

func (s *Server) subscribe() (chan *tick, func()) {
	ch := make(chan *tick, 1)
	s.subMu.Lock()
	s.subs[ch] = struct{}{}
	s.subMu.Unlock()
	return ch, func() {
		s.subMu.Lock()
		delete(s.subs, ch)
		s.subMu.Unlock()
	}
}

// Owns reports whether path is the dashboard's (the rest of /_reservoir/,
// such as code downloads, is not).
func Owns(path string) bool {
	if path == "/_reservoir" || path == "/_reservoir/" {
		return true
	}
	for _, p := range []string{"/_reservoir/api/", "/_reservoir/fn/", "/_reservoir/static/", "/_reservoir/login", "/_reservoir/logout"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// Handler serves the dashboard's paths.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_reservoir", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/_reservoir/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /_reservoir/{$}", s.page)
	mux.HandleFunc("GET /_reservoir/fn/{name}", s.page)
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /_reservoir/static/", http.StripPrefix("/_reservoir/static/", http.FileServerFS(static)))
	mux.HandleFunc("POST /_reservoir/login", s.login)
	mux.HandleFunc("POST /_reservoir/logout", s.logout)
	mux.HandleFunc("GET /_reservoir/api/snapshot", s.api(s.snapshot))
	mux.HandleFunc("GET /_reservoir/api/events", s.api(s.events))
	mux.HandleFunc("GET /_reservoir/api/functions/{name}", s.api(s.detail))
	mux.HandleFunc("GET /_reservoir/api/functions/{name}/logs", s.api(s.logs))
	mux.HandleFunc("/_reservoir/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such dashboard path")
	})
	return mux
}

// viewer is who is asking: every account, or one.
type viewer struct {
	all     bool
	account string
	session string // the session id it came with; "" for a signature or no auth
}

var (
	accountRE = regexp.MustCompile(`^\d{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)
	nameRE    = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
)

// apiError is an answer other than 200: the status and its message.
type apiError struct {
	status  int
	message string
}

func (e *apiError) Error() string { return e.message }

func writeError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Cache-Control", "no-store")
	awsproto.WriteJSON(w, status, map[string]string{"message": message})
}

// api authenticates the caller, resolves the account and region asked for
// and runs h; h's error is the answer.
func (s *Server) api(h func(w http.ResponseWriter, r *http.Request, v viewer, ar AccountRegion) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := s.who(r)
		if err == nil {
			var ar AccountRegion
			if ar, err = s.scopeOf(r, v); err == nil {
				err = h(w, r, v, ar)
			}
		}
		if err != nil {
			var e *apiError
			if !errors.As(err, &e) {
				s.log.Error("dashboard request failed", "path", r.URL.Path, "err", err)
				e = &apiError{http.StatusInternalServerError, "internal error"}
			}
			writeError(w, e.status, e.message)
		}
	}
}

// scopeOf is the account and region r asks for: by default the caller's
// account (or the first one with functions) and its first region.
func (s *Server) scopeOf(r *http.Request, v viewer) (AccountRegion, error) {
	q := r.URL.Query()
	ar := AccountRegion{Account: q.Get("account"), Region: q.Get("region")}
	if ar.Account != "" && !accountRE.MatchString(ar.Account) {
		return ar, &apiError{http.StatusBadRequest, "account must be 12 digits"}
	}
	if ar.Region != "" && !regionRE.MatchString(ar.Region) {
		return ar, &apiError{http.StatusBadRequest, "region must be a region name such as us-east-1"}
	}
	t := s.latest.Load()
	if ar.Account == "" {
		switch {
		case !v.all:
			ar.Account = v.account
		case len(t.all) > 0:
			ar.Account = t.all[0].Account
		default:
			ar.Account = awsproto.DefaultAccount
		}
	}
	if !v.all && ar.Account != v.account {
		return ar, &apiError{http.StatusForbidden, "this key may see account " + v.account + " only"}
	}
	if ar.Region == "" {
		ar.Region = awsproto.DefaultRegion
		for _, sc := range t.all {
			if sc.Account == ar.Account {
				ar.Region = sc.Region
				break
			}
		}
	}
	return ar, nil
}

// scopeTick returns the scope's snapshot in t, an empty one for a scope
// without functions.
func (s *Server) scopeTick(t *tick, ar AccountRegion) *scopeTick {
	if st := t.scopes[ar]; st != nil {
		return st
	}
	limit := s.o.Source.Books.Limit()
	st := &scopeTick{snap: Snapshot{Time: t.time.UTC(), Account: ar.Account, Region: ar.Region, Functions: []Function{},
		Accounts: s.sampler.visible(t.all, ar.Account),
		Pool:     Pool{Limit: limit, UnreservedMinimum: min(100, limit), Unreserved: limit}}}
	if st.snap.Accounts == nil {
		st.snap.Accounts = []AccountRegion{}
	}
	return st
}

func (s *Server) snapshot(w http.ResponseWriter, r *http.Request, v viewer, ar AccountRegion) error {
	b := s.scopeTick(s.latest.Load(), ar).JSON()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
	return nil
}

// stream is an open server-sent event stream.
type stream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
	// timeout bounds one event's write: a client that stops reading fails
	// its stream then, instead of holding its handler (and Close) forever.
	timeout time.Duration
}

func (s *Server) startStream(w http.ResponseWriter) *stream {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	st := &stream{w: w, rc: http.NewResponseController(w), timeout: s.o.SendTimeout}
	_ = st.rc.Flush()
	return st
}

// send writes one event; an error means the client is gone or stuck.
func (st *stream) send(event string, data []byte) error { return st.sendWithID(event, "", data) }

// sendWithID writes one event with an id ("": none).
func (st *stream) sendWithID(event, id string, data []byte) error {
	// Each write gets its own deadline: the previous one has passed when
	// the stream was idle for longer.
	_ = st.rc.SetWriteDeadline(time.Now().Add(st.timeout)) // not every writer supports it; the real server's does
	head := "event: " + event + "\ndata: "
	if id != "" {
		head = "id: " + id + "\n" + head
	}
	if _, err := st.w.Write([]byte(head)); err != nil {
		return err
	}
	if _, err := st.w.Write(data); err != nil {
		return err
	}
	if _, err := st.w.Write([]byte("\n\n")); err != nil {
		return err
	}
	return st.rc.Flush()
}

func (st *stream) sendJSON(event string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return st.send(event, b)
}

// events streams the scope's snapshot, each tick.
func (s *Server) events(w http.ResponseWriter, r *http.Request, v viewer, ar AccountRegion) error {
	ch, cancel := s.subscribe()
	defer cancel()
	st := s.startStream(w)
	if err := st.send("snapshot", s.scopeTick(s.latest.Load(), ar).JSON()); err != nil {
		return nil
	}
	s.eachTick(r, ch, v, func(t *tick) error {
		return st.send("snapshot", s.scopeTick(t, ar).JSON())
	})
	return nil
}

// eachTick calls send with each tick from ch until the request ends, the
// server closes, the viewer's session ends, or send fails (the client is
// gone or stopped reading).
func (s *Server) eachTick(r *http.Request, ch <-chan *tick, v viewer, send func(*tick) error) {
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case t := <-ch:
			if !s.current(v) {
				return // logged out or expired
			}
			if send(t) != nil {
				return
			}
		}
	}
}

// timelineEvery is how many ticks a function view's timeline is read again after.
const timelineEvery = 5

// timelineSpan is how far back a function's timeline goes.
const timelineSpan = historySeconds * time.Second

// timelineEntry is one function's timeline as read at a tick, shared by
// every view of the function at that tick: the look-up reads two services'
// pages and is the heaviest thing a view does.
type timelineEntry struct {
	mu   sync.Mutex // held while one reader looks it up for the others
	tick uint64
	ev   []TimelineEvent // nil: not read yet
}

type timelineKey struct {
	ar   AccountRegion
	name string
}

func (s *Server) timeline(ctx context.Context, ar AccountRegion, name string, t *tick) []TimelineEvent {
	if s.o.Timeline == nil {
		return []TimelineEvent{}
	}
	k := timelineKey{ar, name}
	s.tlMu.Lock()
	e := s.tlCache[k]
	if e == nil {
		e = &timelineEntry{}
		s.tlCache[k] = e
	}
	s.tlMu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ev != nil && e.tick == t.n {
		return e.ev
	}
	ev, err := s.o.Timeline.Timeline(ctx, ar, name, t.time.Add(-timelineSpan))
	if err != nil {
		s.log.Warn("dashboard timeline", "function", name, "err", err)
		if ctx.Err() != nil {
			return []TimelineEvent{} // this reader's own cancellation is not the others' answer
		}
	}
	if ev == nil {
		ev = []TimelineEvent{}
	}
	e.tick, e.ev = t.n, ev
	return ev
}

// pruneTimelines drops timelines no view has read for a minute of ticks.
func (s *Server) pruneTimelines(n uint64) {
	s.tlMu.Lock()
	defer s.tlMu.Unlock()
	for k, e := range s.tlCache {
		if e.mu.TryLock() {
			if e.tick+60 < n {
				delete(s.tlCache, k)
			}
			e.mu.Unlock()
		}
	}
}

// functionDetail builds name's view from t and the histories.
func (s *Server) functionDetail(ctx context.Context, t *tick, ar AccountRegion, name string) (Detail, error) {
	st := s.scopeTick(t, ar)
	i := -1
	for j := range st.snap.Functions {
		if st.snap.Functions[j].Name == name {
			i = j
			break
		}
	}
	if i < 0 {
		return Detail{}, &apiError{http.StatusNotFound, "Function not found: " + name}
	}
	d := Detail{Time: t.time.UTC(), Account: ar.Account, Region: ar.Region, Function: st.snap.Functions[i]}
	s.mu.Lock()
	if h := s.sampler.histories[ar][name]; h != nil {
		// The history may be a tick ahead of t; it ends at its newest second.
		d.Seconds = h.detailSeries()
	}
	s.mu.Unlock()
	d.Timeline = s.timeline(ctx, ar, name, t)
	return d, nil
}

// detail answers a function's view, as JSON or (Accept:
// text/event-stream) as a stream: the view, then each tick's point, and
// the timeline again whenever it changes.
func (s *Server) detail(w http.ResponseWriter, r *http.Request, v viewer, ar AccountRegion) error {
	name := r.PathValue("name")
	if !nameRE.MatchString(name) {
		return &apiError{http.StatusBadRequest, "function name must be 1 to 64 letters, digits, hyphens or underscores"}
	}
	if !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		d, err := s.functionDetail(r.Context(), s.latest.Load(), ar, name)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		awsproto.WriteJSON(w, http.StatusOK, d)
		return nil
	}
	ch, cancel := s.subscribe()
	defer cancel()
	t0 := s.latest.Load()
	d, err := s.functionDetail(r.Context(), t0, ar, name)
	if err != nil {
		return err
	}
	st := s.startStream(w)
	if err := st.sendJSON("detail", d); err != nil {
		return nil
	}
	lastTimeline, _ := json.Marshal(d.Timeline)
	refreshed := t0.n / timelineEvery // the window of ticks the timeline was last read in
	s.eachTick(r, ch, v, func(t *tick) error {
		sc := s.scopeTick(t, ar)
		p, ok := sc.points[name]
		if !ok {
			return nil // deleted: the page keeps what it has
		}
		ev := PointEvent{Point: p, Pool: sc.snap.Pool}
		for _, f := range sc.snap.Functions {
			if f.Name == name {
				ev.Function = f
			}
		}
		if err := st.sendJSON("point", ev); err != nil {
			return err
		}
		// Once per window of timelineEvery ticks, at the first tick
		// the stream sees in it (a slow stream skips ticks: it never
		// waits for one), so the views of a function read it at the
		// same tick and share the look-up.
		if w := t.n / timelineEvery; w != refreshed {
			refreshed = w
			b, _ := json.Marshal(s.timeline(r.Context(), ar, name, t))
			if string(b) != string(lastTimeline) {
				lastTimeline = b
				if err := st.send("timeline", b); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return nil
}

// logTail is how many earlier lines a log stream starts with.
const logTail = 100

// logs streams the function's log group: its last lines (or, for a page
// reconnecting with Last-Event-ID, the lines after the ones it has), then
// new ones as they are ingested. Each event's id is the cursor after its
// lines, so the browser's reconnect resumes without repeating any.
func (s *Server) logs(w http.ResponseWriter, r *http.Request, v viewer, ar AccountRegion) error {
	name := r.PathValue("name")
	if !nameRE.MatchString(name) {
		return &apiError{http.StatusBadRequest, "function name must be 1 to 64 letters, digits, hyphens or underscores"}
	}
	group, ok := s.scopeTick(s.latest.Load(), ar).logGroup[name]
	if !ok {
		return &apiError{http.StatusNotFound, "Function not found: " + name}
	}
	cur, resume := parseLogCursor(r.Header.Get("Last-Event-ID"))
	// Subscribed before the history is read, so no line falls between the
	// two; the lines in both are dropped from the tap's side.
	sub, cancel := s.o.Tap.subscribe(ar.Account, ar.Region, group)
	defer cancel()
	st := s.startStream(w)
	recent := []LogLine{}
	if s.o.Logs != nil {
		since := s.o.Now().Add(-timelineSpan)
		if resume {
			since = time.UnixMilli(cur.ms)
		}
		lines, err := s.o.Logs.Recent(r.Context(), ar, group, since, logTail)
		if err != nil {
			s.log.Warn("dashboard log history", "group", group, "err", err)
		}
		if resume {
			lines = cur.skipSent(lines)
		}
		if lines != nil {
			recent = lines
		}
	}
	overlap := newLineSet(recent)
	cur.advance(recent)
	if err := st.sendLines(recent, cur); err != nil {
		return nil
	}
	var reported int64
	check := time.NewTicker(s.o.Interval) // the session is checked as often as the other streams check it
	defer check.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.done:
			return nil
		case <-check.C:
			if !s.current(v) {
				return nil
			}
		case batch := <-sub.ch:
			if !s.current(v) {
				return nil
			}
			if batch = overlap.drop(batch); len(batch) > 0 {
				cur.advance(batch)
				if err := st.sendLines(batch, cur); err != nil {
					return nil
				}
			}
			if d := sub.dropped.Load(); d != reported {
				reported = d
				if err := st.sendJSON("dropped", d); err != nil {
					return nil
				}
			}
		}
	}
}

// sendLines sends a lines event whose id is the cursor after them.
func (st *stream) sendLines(lines []LogLine, cur logCursor) error {
	b, err := json.Marshal(lines)
	if err != nil {
		return err
	}
	id := ""
	if cur.n > 0 {
		id = cur.String()
	}
	return st.sendWithID("lines", id, b)
}
