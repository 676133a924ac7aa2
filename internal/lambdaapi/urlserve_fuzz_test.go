package lambdaapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
	"github.com/reservoir-dev/reservoir/internal/lambdaapi"
	"github.com/reservoir-dev/reservoir/internal/simulate"
	"github.com/reservoir-dev/reservoir/internal/store/boltstore"
)

// FuzzFunctionURL sends arbitrary requests (method, path, query, body and
// the headers the URL server reads) through a NONE function URL with CORS
// whose function echoes its event (and fails when the event says "fail").
// It must never panic or log an error; the answer is the echoed event (a
// 200 whose body is the event, with its rawPath), a preflight's 200, a
// function error's 502 or a body limit's 413, never anything else.
func FuzzFunctionURL(f *testing.F) {
	ctx := context.Background()
	st, err := boltstore.Open(filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	sim := simulate.New(time.Millisecond)
	log := fzLog{lines: make(chan string, 16)}
	logger := slog.New(log)
	svc, err := lambda.NewService(ctx, lambda.Options{Store: st, Executor: fzExecutor{sim}, Logger: logger})
	if err != nil {
		f.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		svc.Close()
		sim.Close()
		_ = st.Close()
	})
	sc := lambda.Scope{Account: "111111111111", Region: "us-east-1"}
	rt, role := "python3.12", "arn:aws:iam::111111111111:role/r"
	if _, err := svc.CreateFunction(ctx, sc, lambda.FunctionInput{FunctionName: "fn1", Runtime: &rt, Role: &role,
		HasCode: true, ZipFile: zipOf(f, echoZip)}); err != nil {
		f.Fatal(err)
	}
	none, maxAge := lambda.URLAuthNone, 30
	cfg, err := svc.CreateFunctionUrlConfig(ctx, sc, lambda.FunctionURLInput{FunctionName: "fn1", AuthType: &none,
		Cors: &lambda.Cors{AllowOrigins: []string{"https://a.example"}, AllowMethods: []string{"GET", "POST"}, MaxAge: &maxAge}})
	if err != nil {
		f.Fatal(err)
	}
	for _, st := range []lambda.Statement{
		{Sid: "url", Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionURLAuthType: lambda.URLAuthNone},
		{Sid: "invoke", Action: "lambda:InvokeFunction", Principal: "*", InvokedViaFunctionURL: true},
	} {
		if _, err := svc.AddPermission(ctx, sc, lambda.PermissionInput{FunctionName: "fn1", Statement: st}); err != nil {
			f.Fatal(err)
		}
	}
	host := cfg.URLID + ".lambda-url.us-east-1.localhost:9001"
	h := awsproto.Middleware(logger, lambdaapi.NewURLServer(svc, logger, lambdaapi.URLOptions{Port: "9001"}).Route(http.NotFoundHandler()))

	f.Add("GET", "/", "a=1&a=2&b=%20", []byte{}, "", "", "", "c=1; d=2")
	f.Add("POST", "/x/y%2Fz", "", []byte(`{"k":1}`), "application/json", "https://a.example", "", "")
	f.Add("POST", "/bin", "", []byte{0, 0xff, 'f', 'a', 'i', 'l'}, "application/octet-stream", "", "", "")
	f.Add("PUT", "/fail", "fail=1", []byte("fail"), "text/plain; charset=\xff", "", "", "")
	f.Add("OPTIONS", "/", "", []byte{}, "", "https://a.example", "POST", "")
	f.Add("OPTIONS", "/", "", []byte{}, "", "https://b.example", "DELETE", "")
	f.Fuzz(func(t *testing.T, method, path, query string, body []byte, contentType, origin, acrm, cookie string) {
		if !validToken(method) {
			return
		}
		u, err := url.ParseRequestURI("/" + strings.TrimPrefix(path, "/") + "?" + query)
		if err != nil {
			return
		}
		req := &http.Request{
			Method: method, URL: u, RequestURI: u.RequestURI(), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{}, Host: host, Body: io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)), RemoteAddr: "127.0.0.1:1",
		}
		for name, v := range map[string]string{"Content-Type": contentType, "Origin": origin,
			"Access-Control-Request-Method": acrm, "Cookie": cookie} {
			if !validHeaderValue(v) {
				return
			}
			if v != "" {
				req.Header.Set(name, v)
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req.WithContext(context.Background()))
		select {
		case l := <-log.lines:
			t.Fatalf("%s %s: the server logged an error: %s", method, u, l)
		default:
		}
		preflight := method == "OPTIONS" && origin != "" && acrm != ""
		switch {
		case preflight:
			if rec.Code != 200 || rec.Body.Len() != 0 {
				t.Fatalf("preflight %s: %d %q", u, rec.Code, rec.Body)
			}
		case rec.Code == 200:
			var ev struct{ RawPath string }
			if err := json.Unmarshal(rec.Body.Bytes(), &ev); err != nil || ev.RawPath != u.EscapedPath() {
				t.Fatalf("%s %s: 200 without the event (%v): %q", method, u, err, rec.Body)
			}
		case rec.Code == 502:
			// The echo function fails when its event says "fail", and only then.
			all := method + u.String() + string(body) + base64.StdEncoding.EncodeToString(body) + contentType + origin + acrm + cookie
			if !strings.Contains(all, "fail") || string(rec.Body.Bytes()) != "Internal Server Error" {
				t.Fatalf("%s %s: answered 502 %q", method, u, rec.Body)
			}
		default:
			t.Fatalf("%s %s: answered %d %q", method, u, rec.Code, rec.Body)
		}
	})
}
