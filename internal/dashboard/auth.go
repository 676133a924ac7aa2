package dashboard

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"html/template"
	"net/http"
	"sync"
	"time"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
)

// who authenticates r: without credentials everyone sees every account;
// with them, a session cookie or a SigV4 signature (service lambda) names
// the key and so the account.
func (s *Server) who(r *http.Request) (viewer, error) {
	if s.o.Credentials == nil {
		return viewer{all: true}, nil
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		if sess, ok := s.sessions.get(c.Value, s.o.Now()); ok {
			return viewer{account: sess.account, session: c.Value}, nil
		}
	}
	if r.Header.Get("Authorization") != "" {
		if awsproto.VerifySigV4(r, s.o.Credentials, s.o.Now(), "lambda") {
			return viewer{account: awsproto.ParseCaller(r).Account}, nil
		}
		return viewer{}, &apiError{http.StatusForbidden, "The request signature does not verify against the server's credentials."}
	}
	return viewer{}, &apiError{http.StatusUnauthorized, "Log in at /_reservoir/ or sign the request (SigV4, service lambda)."}
}

// current reports whether v may still see what it asked for: a viewer
// that came with a session loses its streams when the session ends.
func (s *Server) current(v viewer) bool {
	if v.session == "" {
		return true
	}
	_, ok := s.sessions.get(v.session, s.o.Now())
	return ok
}

// Sessions: the login form's key becomes a random session id in an
// HttpOnly, SameSite=Strict cookie; the server keeps the id's account until
// it expires or the user logs out.

const (
	sessionCookie = "reservoir_session"
	sessionTTL    = 12 * time.Hour
)

type session struct {
	account string
	expires time.Time
}

type sessions struct {
	mu sync.Mutex
	m  map[string]session
}

func (ss *sessions) get(id string, now time.Time) (session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[id]
	if ok && now.After(s.expires) {
		delete(ss.m, id)
		return session{}, false
	}
	return s, ok
}

func (ss *sessions) add(account string, now time.Time) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	id := hex.EncodeToString(b)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for k, s := range ss.m { // expired ones go as new ones come
		if now.After(s.expires) {
			delete(ss.m, k)
		}
	}
	ss.m[id] = session{account: account, expires: now.Add(sessionTTL)}
	return id
}

func (ss *sessions) remove(id string) {
	ss.mu.Lock()
	delete(ss.m, id)
	ss.mu.Unlock()
}

// checkKey reports whether secret is akid's secret, in constant time.
func (s *Server) checkKey(akid, secret string) bool {
	want, ok := s.o.Credentials[akid]
	if !ok {
		want = "\x00" // compare anyway: the time does not tell which keys exist
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(secret)) == 1 && ok
}

var pageTmpl = template.Must(template.ParseFS(staticFiles, "static/index.html", "static/login.html"))

// page serves the dashboard page, or the login form when it needs one.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if _, err := s.who(r); err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		_ = pageTmpl.ExecuteTemplate(w, "login.html", map[string]any{"Error": ""})
		return
	}
	_ = pageTmpl.ExecuteTemplate(w, "index.html", map[string]any{"Auth": s.o.Credentials != nil})
}

// crossOrigin refuses a login or logout another site's page posts (by
// Sec-Fetch-Site, or by an Origin whose host is not the request's).
var crossOrigin = http.NewCrossOriginProtection()

// refuseCrossOrigin answers 403 to a cross-origin POST and reports whether it did.
func refuseCrossOrigin(w http.ResponseWriter, r *http.Request) bool {
	if err := crossOrigin.Check(r); err != nil {
		writeError(w, http.StatusForbidden, "cross-origin requests may not log in or out")
		return true
	}
	return false
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if refuseCrossOrigin(w, r) {
		return
	}
	if s.o.Credentials == nil {
		http.Redirect(w, r, "/_reservoir/", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	akid, secret := r.PostFormValue("access_key_id"), r.PostFormValue("secret_access_key")
	if !s.checkKey(akid, secret) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusUnauthorized)
		_ = pageTmpl.ExecuteTemplate(w, "login.html", map[string]any{"Error": "That access key and secret do not match the server's credentials."})
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.remove(c.Value) // the browser's previous session ends with the new one
	}
	id := s.sessions.add(awsproto.AccountOfKey(akid), s.o.Now())
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/_reservoir/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: int(sessionTTL / time.Second)})
	http.Redirect(w, r, "/_reservoir/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if refuseCrossOrigin(w, r) {
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.remove(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/_reservoir/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/_reservoir/", http.StatusSeeOther)
}
