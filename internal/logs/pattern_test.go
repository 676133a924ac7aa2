package logs_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/reservoir-dev/reservoir/internal/logs"
)

// The examples of AWS's "Filter pattern syntax" pages, with the events they
// show and what each pattern matches.
const (
	awsJSONEvent = `{
  "eventType": "UpdateTrail",
  "sourceIPAddress": "111.111.111.111",
  "arrayKey": ["value", "another value"],
  "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
  "SomeObject": null,
  "ThisFlag": true
}`
	awsCompoundEvent = `{
  "user": {"id": 1, "email": "John.Stiles@example.com"},
  "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
  "actions": ["GET", "PUT", "DELETE"],
  "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]]
}`
	awsNumericEvent = `{"latency": 500, "numbers": [5, 20000], "processes": [{}, {}, {}, {}, {"averageRuntime": 55.5}], "errorCode": 400, "code": "400"}`
	apache1         = `127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534`
	apache2         = `127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324`
	apache3         = `127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355`
	apache404       = `127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`
)

func TestPatternMatches(t *testing.T) {
	type m = map[string]bool // message → matches
	for _, tc := range []struct {
		pattern string
		cases   m
	}{
		// Unstructured events.
		{``, m{"anything": true, "": true}},
		{`""`, m{"anything": true}},
		{`   `, m{"anything": true}},
		{`ERROR`, m{"[ERROR] A fatal exception has occurred": true, "Exiting with ERRORCODE: -1": true, "error is lower case": false}},
		{`"ERROR" - "Exiting"`, m{"[ERROR] A fatal exception has occurred": true, "Exiting with ERRORCODE: -1": false}},
		{`ERROR Exception`, m{"[ERROR] Caught IllegalArgumentException": true, "[ERROR] Unhandled Exception": true, "[ERROR] alone": false, "Exception alone": false}},
		{`Failed to process the request`, m{"[WARN] Failed to process the request": true,
			"[ERROR] Unable to continue: Failed to process the request": true, "request the process to Failed": true, "Failed to process": false}},
		{`"Failed to process the request"`, m{"[WARN] Failed to process the request": true, "request the process to Failed": false}},
		{`?ERROR ?WARN`, m{"ERROR WARN message": true, "ERROR message": true, "WARN message": true, "INFO message": false}},
		{`ERROR WARN`, m{"ERROR WARN message": true, "ERROR message": false, "WARN message": false}},
		{`ERROR -WARN`, m{"ERROR WARN message": false, "ERROR message": true, "WARN message": false}},
		{`-DEBUG`, m{"INFO a": true, "DEBUG b": false}},
		{`?"Task timed out" ?"Runtime exited"`, m{"2026 Task timed out after 3.00 seconds": true, "RequestId: x Error: Runtime exited with error": true, "END RequestId": false}},
		{`"say \"hi\""`, m{`they say "hi" twice`: true, `say hi`: false}},
		{`日本 語`, m{"日本語": true, "日本": false}},
		{`%AUTHORIZED%`, m{"[ERROR 401] UNAUTHORIZED REQUEST": true, "[SUCCESS 200] AUTHORIZED REQUEST": true, "authorized": false}},
		{`%[Ee]rror|[Ff]ail%`, m{"Error here": true, "it will fail": true, "all good": false}},
		{`%^[hc]at%`, m{"hat trick": true, "that": false}},
		// JSON events.
		{`{ $.eventType = "UpdateTrail" }`, m{awsJSONEvent: true, `{"eventType": "CreateTrail"}`: false, "UpdateTrail": false}},
		{`{ $.sourceIPAddress != 123.123.* }`, m{awsJSONEvent: true, `{"sourceIPAddress": "123.123.1.1"}`: false, `{}`: false}},
		{`{ $.arrayKey[0] = "value" }`, m{awsJSONEvent: true, `{"arrayKey": "value"}`: false}},
		{`{ $.objectList[1].id = 2 }`, m{awsJSONEvent: true, `{"objectList": [{"id": 2}]}`: false}},
		{`{ $.SomeObject IS NULL }`, m{awsJSONEvent: true, `{"SomeObject": 0}`: false, `{}`: false}},
		{`{ $.SomeOtherObject NOT EXISTS }`, m{awsJSONEvent: true, `{"SomeOtherObject": null}`: false}},
		{`{ $.SomeObject NOT EXISTS }`, m{awsJSONEvent: false}},
		{`{ $.ThisFlag IS TRUE }`, m{awsJSONEvent: true, `{"ThisFlag": "true"}`: false}},
		{`{ $.ThisFlag is false }`, m{awsJSONEvent: false, `{"ThisFlag": false}`: true}},
		{`{ $.eventType = Update* }`, m{awsJSONEvent: true}},
		{`{ $.eventType = *Trail }`, m{awsJSONEvent: true}},
		{`{ $.eventType = "*date*" }`, m{awsJSONEvent: true}},
		{`{ $.eventType = Upd*Trail }`, m{awsJSONEvent: false, `{"eventType": "Upd*Trail"}`: true}},
		{`{ $.arrayKey = "value" }`, m{awsJSONEvent: false}},
		{`{ $.arrayKey != "value" }`, m{awsJSONEvent: false}},
		{`{ $.missing != "x" }`, m{awsJSONEvent: false}},
		{`{ $.eventType = %Update.*% }`, m{awsJSONEvent: true, `{"eventType": "Delete"}`: false}},
		{`{$.foo = bar || $.foo = baz }`, m{`{"foo": "bar"}`: true, `{"foo": "baz"}`: true, `{"foo": "qux"}`: false}},
		{`{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }`, m{awsCompoundEvent: true}},
		{`{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }`, m{awsCompoundEvent: false}},
		{`{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }`, m{awsCompoundEvent: true}},
		{`{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }`, m{awsCompoundEvent: false}},
		{`{ $.coordinates[2][0] = 7 }`, m{awsCompoundEvent: true}},
		{`{ $.latency >= 500 }`, m{awsNumericEvent: true, `{"latency": 499.9}`: false, `{"latency": "600"}`: false}},
		{`{ $.numbers[0] < 10e3 }`, m{awsNumericEvent: true}},
		{`{ $.numbers[0] < 10e-3 }`, m{awsNumericEvent: false}},
		{`{ $.numbers[1] > 1.5E4 }`, m{awsNumericEvent: true}},
		{`{ $.processes[4].averageRuntime <= 55.5 }`, m{awsNumericEvent: true}},
		{`{ $.errorCode = 400 }`, m{awsNumericEvent: true, `{"errorCode": 400.0}`: true, `{"errorCode": 401}`: false}},
		{`{ $.errorCode != 500 }`, m{awsNumericEvent: true, `{"errorCode": 500}`: false}},
		{`{ $.latency > +1000 }`, m{awsNumericEvent: false, `{"latency": 1001}`: true}},
		{`{ $.latency < -1 }`, m{`{"latency": -2}`: true, awsNumericEvent: false}},
		{`{ $.latency = * }`, m{awsNumericEvent: true, `{"other": 1}`: false}},
		{`{ $.level = "ERROR" }`, m{`{"level":"ERROR","msg":"x"}`: true, `{"level":"ERROR"} trailing`: false, `not json {"level":"ERROR"}`: false}},
		{`{ $.a-b_c = 1 }`, m{`{"a-b_c": 1}`: true}},
		// JSON escapes spell the same values.
		{`{ $.level = "ERROR" && $.ok IS TRUE }`, m{`{"level":"\u0045RROR","ok":true}`: true, `{"\u006cevel":"ERROR","ok":true}`: true,
			`{"level":"ERROR","ok":tru}`: false, `{"level":"ERR\u004fR","ok":false}`: false}},
		// Space-delimited events.
		{`[ip, user, username, timestamp, request, status_code, bytes]`, m{apache1: true, apache2: true, apache3: true, "too few fields": false}},
		{`[..., status_code, bytes]`, m{apache1: true, "a": false}},
		{`[ip, user, ..., status_code, bytes]`, m{apache2: true}},
		{`[ip, user, ...]`, m{apache3: true, "one": false}},
		{`[ip, user, username, timestamp, request, status_code, bytes > 1000]`, m{apache1: true, apache2: true, apache3: true}},
		{`[ip, user, username, timestamp, request, status_code, bytes > 5000]`, m{apache1: false, apache2: true, apache3: false}},
		{`[ip, user, username, timestamp, request, status_code = 200, bytes]`, m{apache1: true, apache2: false, apache3: true}},
		{`[ip, user, username, timestamp, request, status_code = 4*, bytes]`, m{apache1: false, apache404: true}},
		{`[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]`, m{apache404: true, apache1: false}},
		{`[..., request=*.html*, status_code=4*,]`, m{apache404: true, apache2: false}},
		{`[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, bytes]`, m{apache404: true, apache1: false}},
		{`[ip, user, username, timestamp = "10/Oct/2000:13:25:15 -0700", ...]`, m{apache1: true, apache2: false}},
		{`[w1=ERROR, w2]`, m{"ERROR WARN message": false, "ERROR message": true, "WARN message": false}},
		{`[w1=ERROR || w1=WARN, w2]`, m{"ERROR WARN message": false, "ERROR message": true, "WARN message": true}},
		{`[w1!=ERROR&&w1!=WARN, w2]`, m{"INFO message": true, "ERROR message": false}},
		{`[a, , c]`, m{"x y z": true, "x z": false}},
		{`[..., ..., last = z]`, m{"x y z": true, "z": true, "x y": false}},
	} {
		p, err := logs.ParsePattern(tc.pattern)
		if err != nil {
			t.Errorf("ParsePattern(%q): %v", tc.pattern, err)
			continue
		}
		for msg, want := range tc.cases {
			if got := p.Match([]byte(msg)); got != want {
				t.Errorf("pattern %q on %q = %v, want %v", tc.pattern, msg, got, want)
			}
			if got := p.MatchString(msg); got != want {
				t.Errorf("MatchString: pattern %q on %q = %v, want %v", tc.pattern, msg, got, want)
			}
		}
	}
}

func TestPatternErrors(t *testing.T) {
	for _, tc := range []struct {
		pattern, message string // "" message: msgInvalidPattern
	}{
		{`email@domain.com`, `Invalid character(s) in term 'email@domain.com'`},
		{`ERROR:`, `Invalid character(s) in term 'ERROR:'`},
		{`"unterminated`, ""},
		{`"a"b`, ""},
		{`?`, ""},
		{`ERROR -`, ""},
		{`? ERROR`, ""},
		{`{ $.a = 1`, `If a filter pattern starts with '{' it must end with '}'`},
		{`{ }`, ""},
		{`{ $.a == 1 }`, ""},
		{`{ a = 1 }`, ""},
		{`{ $.a > "x" }`, ""},
		{`{ $.a > abc }`, ""},
		{`{ $.a = 1 && }`, ""},
		{`{ ($.a = 1 }`, ""},
		{`{ $.a = 1) }`, ""},
		{`{ $.a IS MAYBE }`, ""},
		{`{ $.a NOT THERE }`, ""},
		{`{ $.a.[0] = 1 }`, ""},
		{`{ $[0] = 1 }`, ""},
		{`{ $.a[x] = 1 }`, ""},
		{`{ $.a = 1 $.b = 2 }`, ""},
		{`{ $.* = 1 }`, ""},
		{`%(a|b)%`, `Invalid character(s) in term '%(a|b)%'`},
		{`%a[%`, ""},
		{`%unclosed`, ""},
		{`%a% %b% %c%`, ""},
		{`[a, b`, ""},
		{`[]`, ""},
		{`[a, b = 1 && c = 2]`, ""},
		{`[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000]`, ""},
		{`[a > x]`, ""},
		{`[a-b]`, `Invalid character(s) in term 'a-b'`},
	} {
		p, err := logs.ParsePattern(tc.pattern)
		var le *logs.Error
		if !errors.As(err, &le) {
			t.Errorf("ParsePattern(%q) = %v, %v; want an InvalidParameterException", tc.pattern, p, err)
			continue
		}
		want := tc.message
		if want == "" {
			want = "Invalid filter pattern"
		}
		if le.Code != logs.CodeInvalidParameter || le.Message != want {
			t.Errorf("ParsePattern(%q) = %s %q, want InvalidParameterException %q", tc.pattern, le.Code, le.Message, want)
		}
	}
}

// FuzzParsePattern: parsing any text and matching any message never panics;
// a pattern that parses matches the same way twice; a single bare term
// matches exactly the messages that contain it.
func FuzzParsePattern(f *testing.F) {
	for _, seed := range []string{
		``, `""`, `ERROR`, `"ERROR" - "Exiting"`, `?ERROR ?WARN -DEBUG`, `%[Ee]rror|[Ff]ail%`,
		`{ $.eventType = "UpdateTrail" }`, `{ ($.user.id = 2 && $.users[0].email = "x") || $.actions[2] = "GET" }`,
		`{ $.a IS NULL || $.b NOT EXISTS && $.c IS TRUE }`, `{ $.n >= -1.5e3 }`, `{ $.x != 123.123.* }`,
		`[ip, user, ..., status_code = 4* || status_code = 5*, bytes > 1000]`, `[..., request=*.html*, status_code=4*,]`,
		`{ $.a = 1`, `[a, b`, `email@domain.com`, `((((`, `{ ((((((($.a = 1))))))) }`,
	} {
		f.Add(seed, `{"eventType":"UpdateTrail","a":null,"n":5,"x":"1.2.3","actions":["GET"]}`)
		f.Add(seed, apache404)
	}
	f.Fuzz(func(t *testing.T, pattern, msg string) {
		p, err := logs.ParsePattern(pattern)
		if err != nil {
			var le *logs.Error
			if !errors.As(err, &le) || le.Code != logs.CodeInvalidParameter {
				t.Fatalf("ParsePattern(%q): %v is not an InvalidParameterException", pattern, err)
			}
			return
		}
		if a, b := p.Match([]byte(msg)), p.Match([]byte(msg)); a != b {
			t.Fatalf("pattern %q on %q matched %v then %v", pattern, msg, a, b)
		}
		word := strings.TrimSpace(pattern)
		if word != "" && !strings.ContainsAny(word, " \t\r\n\"?-%{[") {
			if got, want := p.MatchString(msg), strings.Contains(msg, word); got != want {
				t.Fatalf("term %q on %q = %v, want %v", word, msg, got, want)
			}
		}
	})
}
