package awsproto_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRouter: whatever the method, path, markers and body, the router and
// the RPC plumbing answer with a status and, for an error, a body; no panic
// reaches the client (a panic would be a 500 InternalFailure/ServiceException
// logged as such, which the test refuses too).
func FuzzRouter(f *testing.F) {
	f.Add("POST", "/", "Logs_20140328.DescribeLogGroups", "", "application/x-amz-json-1.1", []byte(`{"limit":1}`))
	f.Add("POST", "/service/GraniteServiceVersion20100801/operation/GetMetricStatistics", "", "rpc-v2-cbor", "application/cbor",
		[]byte{0xa1, 0x69, 'S', 't', 'a', 'r', 't', 'T', 'i', 'm', 'e', 0xc1, 0x1a, 0x65, 0x53, 0xf1, 0x00})
	f.Add("POST", "/", "", "", "application/x-www-form-urlencoded", []byte("Action=ListTopics&Version=2010-03-31"))
	f.Add("GET", "/?Action=GetCallerIdentity", "", "", "", []byte(nil))
	f.Add("POST", "/", "DynamoDB_20120810.ListTables", "", "application/x-amz-json-1.0", []byte(`{}`))
	f.Add("POST", "/service/GraniteServiceVersion20100801/operation/ListMetrics", "", "rpc-v2-cbor", "", []byte{0x9f, 0xff})
	f.Fuzz(func(t *testing.T, method, path, target, smithy, ctype string, body []byte) {
		if !validMethod(method) || len(path) == 0 || path[0] != '/' ||
			strings.HasSuffix(target, ".Boom") || strings.HasSuffix(target, ".Panic") { // the test service's own 500s
			return
		}
		var log bytes.Buffer
		fake := &fakeServices{}
		h := newHandler(t, envOptions{}, fake, &log)
		req, err := http.NewRequest(method, "http://reservoir.test"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		for k, v := range map[string]string{"X-Amz-Target": target, "Smithy-Protocol": smithy, "Content-Type": ctype} {
			if v != "" {
				req.Header.Set(k, v)
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		out, _ := io.ReadAll(rec.Body)
		if rec.Code < 200 || rec.Code > 599 {
			t.Fatalf("status %d", rec.Code)
		}
		if rec.Code >= 400 && len(out) == 0 && method != http.MethodHead {
			t.Fatalf("error %d without a body", rec.Code)
		}
		if rec.Code >= 500 && rec.Code != 501 {
			t.Fatalf("server error %d: %s\n%s", rec.Code, out, log.String())
		}
	})
}

func validMethod(m string) bool {
	switch m {
	case "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH":
		return true
	}
	return false
}
