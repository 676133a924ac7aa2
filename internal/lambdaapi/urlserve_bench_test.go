package lambdaapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reservoir-dev/reservoir/internal/awsproto"
	"github.com/reservoir-dev/reservoir/internal/lambda"
)

// BenchmarkURLMapping is the work a function URL adds to an Invoke, alone:
// the payload format 2.0 event of a typical request (a POST with a small
// JSON body, eight headers, a query) and the mapping of the function's
// answer (here the echoed event, an object without statusCode) back to the
// HTTP response. BenchmarkFunctionURL measures the whole call.
func BenchmarkURLMapping(b *testing.B) {
	u := NewURLServer(nil, nil, URLOptions{Port: "9001", Now: time.Now})
	id := strings.Repeat("a", lambda.URLIDLength)
	t := lambda.URLTarget{Config: lambda.FunctionURLConfig{URLID: id, AuthType: lambda.URLAuthNone}}
	body := []byte(`{"hello":"world","n":42}`)
	req := httptest.NewRequest("POST", "http://"+id+".lambda-url.us-east-1.localhost:9001/orders/7?a=1&b=2", strings.NewReader(string(body)))
	for k, v := range map[string]string{"Content-Type": "application/json", "User-Agent": "Go-http-client/1.1", "Accept": "*/*",
		"Accept-Encoding": "gzip", "X-Request-Id": "r-1", "Authorization": "Bearer x", "Cookie": "s=1; t=2"} {
		req.Header.Set(k, v)
	}
	b.ReportAllocs()
	for b.Loop() {
		ev, err := u.event(req, t, id, body, awsproto.Caller{}, "5a1b3c4d-0000-4000-8000-000000000000")
		if err != nil {
			b.Fatal(err)
		}
		w := httptest.NewRecorder()
		if !writeFunctionAnswer(w, ev, nil, "") || w.Code != http.StatusOK {
			b.Fatal("mapping failed")
		}
	}
}
