package sandbox

import (
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// sinkLog collects what a manager's LogSink receives.
type sinkLog struct {
	mu    sync.Mutex
	lines []LogLine
}

func (s *sinkLog) sink(b LogLines) {
	s.mu.Lock()
	for l := range b.Lines() {
		s.lines = append(s.lines, l)
	}
	s.mu.Unlock()
}

// take returns the lines received so far and forgets them.
func (s *sinkLog) take() []LogLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.lines
	s.lines = nil
	return out
}

var streamRE = regexp.MustCompile(`^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$`)

// texts checks the lines' metadata and returns their texts.
func texts(t *testing.T, lines []LogLine, s Spec, group string, since time.Time) []string {
	t.Helper()
	var out []string
	for _, l := range lines {
		if l.Account != s.Account || l.Region != s.Region || l.FunctionName != s.FunctionName || l.Version != "$LATEST" ||
			l.LogGroup != group || !streamRE.MatchString(l.LogStream) {
			t.Errorf("line metadata %+v", l)
		}
		if l.Time.Before(since.Add(-time.Second)) || l.Time.After(time.Now().Add(time.Second)) {
			t.Errorf("line %q written at %v, outside the invocation (since %v)", l.Text, l.Time, since)
		}
		out = append(out, l.Text)
	}
	return out
}

// matching returns the texts that match re.
func matching(texts []string, re string) []string {
	r := regexp.MustCompile(re)
	var out []string
	for _, s := range texts {
		if r.MatchString(s) {
			out = append(out, s)
		}
	}
	return out
}

func wantOne(t *testing.T, texts []string, re string) string {
	t.Helper()
	m := matching(texts, re)
	if len(m) != 1 {
		t.Errorf("%d events match %s, want 1:\n%s", len(m), re, strings.Join(texts, "\n---\n"))
		return ""
	}
	return m[0]
}

func wantNone(t *testing.T, texts []string, re string) {
	t.Helper()
	if m := matching(texts, re); len(m) > 0 {
		t.Errorf("events match %s: %q", re, m)
	}
}

// jsonEvents decodes the texts that are JSON objects.
func jsonEvents(texts []string) []map[string]any {
	var out []map[string]any
	for _, s := range texts {
		var m map[string]any
		if strings.HasPrefix(s, "{") && json.Unmarshal([]byte(s), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

func findEvent(events []map[string]any, key, value string) []map[string]any {
	var out []map[string]any
	for _, e := range events {
		if e[key] == value {
			out = append(out, e)
		}
	}
	return out
}

const pythonLogging = `import logging, os

logger = logging.getLogger("app")


class CustomError(Exception):
    pass


def handler(event, context):
    action = event.get("action")
    if action == "env":
        return {k: os.environ.get(k) for k in ("AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_FORMAT",
                                               "AWS_LAMBDA_LOG_LEVEL", "_LAMBDA_TELEMETRY_LOG_FD")}
    if action == "fail":
        raise CustomError("went wrong")
    logging.debug("debug %s", "d")
    logging.info("info line")
    logger.warning("warn line", extra={"order": 7})
    logging.error("error line")
    print("plain print")
    print("two\nlines")
    try:
        raise ValueError("bad value")
    except ValueError:
        logger.exception("caught it")
    return "ok"
`

func pythonLoggingSpec(t *testing.T, name string, logging Logging) Spec {
	zip := zipOf(map[string]zipEntry{"app.py": {body: pythonLogging}})
	s := spec(name, "python3.12", "app.handler", zip, nil)
	s.Logging = logging
	return s
}

// TestPythonLoggingText: with LogFormat Text the root logger writes
// "[LEVEL]\t<time>Z\t<request id>\t<message>" from WARNING up (Python's
// default level), a record with a traceback is one event, print stays plain
// lines, and an unhandled exception is one "[ERROR] Type: message" event
// with its traceback.
func TestPythonLoggingText(t *testing.T) {
	needProgram(t, "python3")
	var got sinkLog
	m := newManager(t, Options{LogSink: got.sink})
	s := pythonLoggingSpec(t, "pylog", Logging{})

	start := time.Now()
	res := invoke(t, m, s, "", `{}`)
	lines := texts(t, got.take(), s, "/aws/lambda/pylog", start)
	id := regexp.QuoteMeta(res.RequestID)
	stamp := `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`
	wantOne(t, lines, `^\[WARNING\]\t`+stamp+`\t`+id+`\twarn line$`)
	wantOne(t, lines, `^\[ERROR\]\t`+stamp+`\t`+id+`\terror line$`)
	wantOne(t, lines, `^\[ERROR\]\t`+stamp+`\t`+id+`\tcaught it\nTraceback \(most recent call last\):\n(.|\n)*ValueError: bad value$`)
	wantNone(t, lines, `debug d|info line`)
	for _, plain := range []string{"plain print", "two", "lines"} {
		wantOne(t, lines, `^`+plain+`$`)
	}
	wantOne(t, lines, `^START RequestId: `+id+` Version: \$LATEST$`)
	wantOne(t, lines, `^END RequestId: `+id+`$`)
	wantOne(t, lines, `^REPORT RequestId: `+id+`\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms\t$`)

	start = time.Now()
	res = invoke(t, m, s, "", `{"action":"fail"}`)
	lines = texts(t, got.take(), s, "/aws/lambda/pylog", start)
	id = regexp.QuoteMeta(res.RequestID)
	failure := wantOne(t, lines, `^\[ERROR\] CustomError: went wrong\nTraceback \(most recent call last\):\n\x{a0}\x{a0}File "[^"]*app\.py", line \d+, in handler\n\x{a0}{4}raise CustomError`)
	if strings.Contains(failure, "bootstrap.py") {
		t.Errorf("the traceback shows the runtime client's frames:\n%s", failure)
	}
	// A handled function error: REPORT as for a success, warm.
	wantOne(t, lines, `^REPORT RequestId: `+id+`\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB\t$`)

	res = invoke(t, m, s, "", `{"action":"env"}`)
	if !jsonEqual(res.Payload, `{"AWS_LAMBDA_LOG_GROUP_NAME":"/aws/lambda/pylog","AWS_LAMBDA_LOG_FORMAT":null,"AWS_LAMBDA_LOG_LEVEL":null,"_LAMBDA_TELEMETRY_LOG_FD":null}`) {
		t.Errorf("environment: %s", res.Payload)
	}
}

// TestPythonLoggingJSON: with LogFormat JSON the records are Lambda's JSON
// objects at the ApplicationLogLevel, print stays plain, the platform lines
// are platform.start and platform.report events, and the log group is the
// configured one.
func TestPythonLoggingJSON(t *testing.T) {
	needProgram(t, "python3")
	var got sinkLog
	m := newManager(t, Options{LogSink: got.sink})
	s := pythonLoggingSpec(t, "pyjson", Logging{LogGroup: "/custom/pyjson", JSON: true, ApplicationLogLevel: "DEBUG", SystemLogLevel: "INFO"})

	start := time.Now()
	res := invoke(t, m, s, "", `{}`)
	lines := texts(t, got.take(), s, "/custom/pyjson", start)
	events := jsonEvents(lines)
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	for _, want := range []struct{ level, message, logger string }{
		{"DEBUG", "debug d", "root"}, {"INFO", "info line", "root"}, {"WARNING", "warn line", "app"},
		{"ERROR", "error line", "root"}, {"ERROR", "caught it", "app"},
	} {
		found := findEvent(events, "message", want.message)
		if len(found) != 1 {
			t.Errorf("%d JSON records say %q:\n%s", len(found), want.message, strings.Join(lines, "\n"))
			continue
		}
		e := found[0]
		if e["level"] != want.level || e["logger"] != want.logger || e["requestId"] != res.RequestID || !stamp.MatchString(e["timestamp"].(string)) {
			t.Errorf("record %v, want level %s, logger %s, request id %s", e, want.level, want.logger, res.RequestID)
		}
	}
	if e := findEvent(events, "message", "warn line"); len(e) == 1 && e[0]["order"] != float64(7) {
		t.Errorf("extra field lost: %v", e[0])
	}
	if e := findEvent(events, "message", "caught it"); len(e) == 1 {
		if e[0]["errorType"] != "ValueError" || e[0]["errorMessage"] != "bad value" ||
			!strings.Contains(e[0]["location"].(string), "app.py:handler:") || len(e[0]["stackTrace"].([]any)) == 0 {
			t.Errorf("exception record %v", e[0])
		}
	}
	for _, plain := range []string{"plain print", "two", "lines"} {
		wantOne(t, lines, `^`+plain+`$`)
	}
	wantNone(t, lines, `^(START|END|REPORT) `)
	starts := findEvent(events, "type", "platform.start")
	if len(starts) != 1 || !stamp.MatchString(starts[0]["time"].(string)) ||
		!jsonEqual(mustJSON(starts[0]["record"]), `{"requestId":"`+res.RequestID+`","version":"$LATEST"}`) {
		t.Errorf("platform.start events %v", starts)
	}
	reports := findEvent(events, "type", "platform.report")
	if len(reports) != 1 {
		t.Fatalf("platform.report events %v", reports)
	}
	rec := reports[0]["record"].(map[string]any)
	metrics := rec["metrics"].(map[string]any)
	if rec["requestId"] != res.RequestID || rec["status"] != "success" || metrics["memorySizeMB"] != float64(256) ||
		metrics["durationMs"].(float64) <= 0 || metrics["billedDurationMs"].(float64) < 1 || metrics["initDurationMs"] == nil {
		t.Errorf("platform.report %v", reports[0])
	}

	start = time.Now()
	res = invoke(t, m, s, "", `{"action":"fail"}`)
	events = jsonEvents(texts(t, got.take(), s, "/custom/pyjson", start))
	failures := findEvent(events, "errorType", "CustomError")
	if len(failures) != 1 || failures[0]["level"] != "ERROR" || failures[0]["errorMessage"] != "went wrong" ||
		failures[0]["requestId"] != res.RequestID || len(failures[0]["stackTrace"].([]any)) != 1 {
		t.Errorf("unhandled error records %v", failures)
	}
	if r := findEvent(events, "type", "platform.report"); len(r) != 1 || r[0]["record"].(map[string]any)["status"] != "error" ||
		r[0]["record"].(map[string]any)["errorType"] != "CustomError" || r[0]["record"].(map[string]any)["metrics"].(map[string]any)["initDurationMs"] != nil {
		t.Errorf("platform.report of a function error %v", r)
	}

	res = invoke(t, m, s, "", `{"action":"env"}`)
	if !jsonEqual(res.Payload, `{"AWS_LAMBDA_LOG_GROUP_NAME":"/custom/pyjson","AWS_LAMBDA_LOG_FORMAT":"JSON","AWS_LAMBDA_LOG_LEVEL":"DEBUG","_LAMBDA_TELEMETRY_LOG_FD":null}`) {
		t.Errorf("environment: %s", res.Payload)
	}
}

// TestJSONLevelsFilter: ApplicationLogLevel ERROR leaves out Python's
// records below it, SystemLogLevel WARN every platform event.
func TestJSONLevelsFilter(t *testing.T) {
	needProgram(t, "python3")
	var got sinkLog
	m := newManager(t, Options{LogSink: got.sink})
	s := pythonLoggingSpec(t, "pyquiet", Logging{JSON: true, ApplicationLogLevel: "ERROR", SystemLogLevel: "WARN"})
	start := time.Now()
	invoke(t, m, s, "", `{}`)
	lines := texts(t, got.take(), s, "/aws/lambda/pyquiet", start)
	events := jsonEvents(lines)
	var messages []string
	for _, e := range events {
		if e["type"] != nil {
			t.Errorf("platform event with SystemLogLevel WARN: %v", e)
		}
		messages = append(messages, e["message"].(string))
	}
	if strings.Join(messages, "|") != "error line|caught it" {
		t.Errorf("records %q, want the two ERROR ones", messages)
	}
	if len(lines) != len(events)+3 { // and the three printed lines
		t.Errorf("events:\n%s", strings.Join(lines, "\n"))
	}
}

const nodeLogging = `exports.handler = async (event) => {
  if (event.action === 'env') {
    const keys = ['AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_FORMAT', 'AWS_LAMBDA_LOG_LEVEL', '_LAMBDA_TELEMETRY_LOG_FD'];
    return Object.fromEntries(keys.map((k) => [k, process.env[k] === undefined ? null : process.env[k]]));
  }
  console.trace('trace %d', 1);
  console.debug('debug line');
  console.log('log line');
  console.info({ a: 1 });
  console.warn('warn\nover two lines');
  console.error(new Error('boom'));
  console.fatal('fatal line');
  process.stdout.write('raw stdout\n');
  return 'ok';
};
`

func nodeLoggingSpec(name string, logging Logging) Spec {
	zip := zipOf(map[string]zipEntry{"index.js": {body: nodeLogging}})
	s := spec(name, "nodejs20.x", "index.handler", zip, nil)
	s.Logging = logging
	return s
}

// TestNodeLoggingText: every console method writes
// "<time>\t<request id>\t<LEVEL>\t<message>", one event per call even over
// several lines.
func TestNodeLoggingText(t *testing.T) {
	needProgram(t, "node")
	var got sinkLog
	m := newManager(t, Options{LogSink: got.sink})
	s := nodeLoggingSpec("nodelog", Logging{})
	start := time.Now()
	res := invoke(t, m, s, "", `{}`)
	lines := texts(t, got.take(), s, "/aws/lambda/nodelog", start)
	prefix := `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t` + regexp.QuoteMeta(res.RequestID) + `\t`
	for _, re := range []string{`TRACE\ttrace 1$`, `DEBUG\tdebug line$`, `INFO\tlog line$`, `INFO\t\{ a: 1 \}$`,
		`WARN\twarn\nover two lines$`, `ERROR\tError: boom\n\s+at `, `FATAL\tfatal line$`} {
		wantOne(t, lines, prefix+re)
	}
	wantOne(t, lines, `^raw stdout$`)

	res = invoke(t, m, s, "", `{"action":"env"}`)
	if !jsonEqual(res.Payload, `{"AWS_LAMBDA_LOG_GROUP_NAME":"/aws/lambda/nodelog","AWS_LAMBDA_LOG_FORMAT":null,"AWS_LAMBDA_LOG_LEVEL":null,"_LAMBDA_TELEMETRY_LOG_FD":null}`) {
		t.Errorf("environment: %s", res.Payload)
	}
}

// TestNodeLoggingJSON: with LogFormat JSON, console writes
// {"timestamp","level","requestId","message"} objects, an Error as Lambda
// serializes it, and the methods below ApplicationLogLevel write nothing.
func TestNodeLoggingJSON(t *testing.T) {
	needProgram(t, "node")
	var got sinkLog
	m := newManager(t, Options{LogSink: got.sink})
	s := nodeLoggingSpec("nodejson", Logging{JSON: true, ApplicationLogLevel: "WARN", SystemLogLevel: "INFO"})
	start := time.Now()
	res := invoke(t, m, s, "", `{}`)
	lines := texts(t, got.take(), s, "/aws/lambda/nodejson", start)
	var records []map[string]any
	for _, e := range jsonEvents(lines) {
		if e["type"] == nil {
			records = append(records, e)
		}
	}
	if len(records) != 3 {
		t.Fatalf("records %v, want WARN, ERROR and FATAL only:\n%s", records, strings.Join(lines, "\n"))
	}
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	for i, level := range []string{"WARN", "ERROR", "FATAL"} {
		r := records[i]
		if r["level"] != level || r["requestId"] != res.RequestID || !stamp.MatchString(r["timestamp"].(string)) {
			t.Errorf("record %d: %v, want level %s", i, r, level)
		}
	}
	if records[0]["message"] != "warn\nover two lines" || records[2]["message"] != "fatal line" {
		t.Errorf("messages: %v", records)
	}
	if e, ok := records[1]["message"].(map[string]any); !ok || e["errorType"] != "Error" || e["errorMessage"] != "boom" || len(e["stackTrace"].([]any)) < 2 {
		t.Errorf("error record: %v", records[1])
	}
	wantOne(t, lines, `^raw stdout$`)
	if len(findEvent(jsonEvents(lines), "type", "platform.start")) != 1 || len(findEvent(jsonEvents(lines), "type", "platform.report")) != 1 {
		t.Errorf("platform events:\n%s", strings.Join(lines, "\n"))
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
