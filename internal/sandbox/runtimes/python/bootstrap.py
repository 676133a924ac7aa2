"""Reservoir's Python runtime client.

Speaks the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API: imports the handler
named by _HANDLER ("module.function", the module relative to LAMBDA_TASK_ROOT),
reports import failures to init/error, then loops on invocation/next and calls
handler(event, context), posting the JSON result or the exception.

Logging is set up as Lambda's Python runtime sets it up: the root logger writes
"[LEVEL]\t<time>Z\t<request id>\t<message>" (LogFormat Text) or one JSON object
(AWS_LAMBDA_LOG_FORMAT=JSON) per record, at the level AWS_LAMBDA_LOG_LEVEL
names (else Python's default, WARNING). Records go to the descriptor named by
_LAMBDA_TELEMETRY_LOG_FD, each in a frame of its own, so that one spanning
several lines stays one log event; print() stays plain lines on stdout.
"""

import datetime
import http.client
import importlib
import json
import logging
import os
import sys
import time
import traceback

API = os.environ.get("AWS_LAMBDA_RUNTIME_API", "")
PREFIX = "/2018-06-01/runtime"

# The descriptor of framed log records; the function's code never sees it.
TELEMETRY_FD = os.environ.pop("_LAMBDA_TELEMETRY_LOG_FD", None)
LOG_JSON = (os.environ.get("AWS_LAMBDA_LOG_FORMAT") or "").upper() == "JSON"
# Lambda's levels as Python's (Python has no TRACE).
LEVELS = {"TRACE": logging.DEBUG, "DEBUG": logging.DEBUG, "INFO": logging.INFO,
          "WARN": logging.WARNING, "ERROR": logging.ERROR, "FATAL": logging.CRITICAL}
LOG_LEVEL = LEVELS.get((os.environ.get("AWS_LAMBDA_LOG_LEVEL") or "").upper())

# Frame types: 0xa55a0003 for text, 0xa55a0002 for JSON, with the record's
# level in bits 2-4 (TRACE 1 ... FATAL 6).
FRAME_TEXT, FRAME_JSON = 0xA55A0003, 0xA55A0002
LEVEL_BITS = {logging.NOTSET: 0, logging.DEBUG: 2 << 2, logging.INFO: 3 << 2,
              logging.WARNING: 4 << 2, logging.ERROR: 5 << 2, logging.CRITICAL: 6 << 2}

request_id = ""  # the invocation being served, for log records


def rounded_level(levelno):
    """A record's level rounded down to one of Python's named levels."""
    return min(50, max(0, levelno)) // 10 * 10


class LogSink:
    """Writes log records: framed on the telemetry descriptor, or as one
    stdout line each (newlines turned into carriage returns) without it."""

    def __init__(self, fd):
        self.fd = int(fd) if fd else None

    def write(self, message, frame_type):
        if self.fd is None:
            sys.stdout.write(message.rstrip("\n").replace("\n", "\r") + "\n")
            return
        data = message.encode("utf-8", "replace")
        frame = (frame_type.to_bytes(4, "big") + len(data).to_bytes(4, "big")
                 + (time.time_ns() // 1000).to_bytes(8, "big") + data)
        view = memoryview(frame)
        while view:
            view = view[os.write(self.fd, view):]


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = request_id
        return True


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
                         "%Y-%m-%dT%H:%M:%S")


# LogRecord attributes that are not "extra" fields of a JSON record.
RECORD_ATTRS = {"name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info",
                "exc_text", "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread",
                "threadName", "processName", "process", "aws_request_id", "message"}


class JSONFormatter(logging.Formatter):
    def format(self, record):
        when = datetime.datetime.fromtimestamp(record.created, tz=datetime.timezone.utc)
        exc = record.exc_info
        doc = {
            "timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "level": logging.getLevelName(rounded_level(record.levelno)),
            "message": record.getMessage(),
            "logger": record.name,
            "stackTrace": traceback.format_tb(exc[2]) if exc else None,
            "errorType": exc[0].__name__ if exc else None,
            "errorMessage": str(exc[1]) if exc else None,
            "requestId": getattr(record, "aws_request_id", None),
            "location": "%s:%s:%s" % (record.pathname, record.funcName, record.lineno) if exc else None,
        }
        for key, value in record.__dict__.items():
            if key not in RECORD_ATTRS and key not in doc:
                doc[key] = value
        return json.dumps({k: v for k, v in doc.items() if v is not None}, default=str, ensure_ascii=False) + "\n"


class LambdaHandler(logging.Handler):
    def __init__(self, sink):
        super().__init__()
        self.sink = sink
        self.base = FRAME_JSON if LOG_JSON else FRAME_TEXT

    def emit(self, record):
        try:
            message = self.format(record)
            self.sink.write(message, self.base | LEVEL_BITS[rounded_level(record.levelno)])
        except Exception:
            self.handleError(record)


def setup_logging(sink):
    logging.Formatter.converter = time.gmtime
    handler = LambdaHandler(sink)
    handler.setFormatter(JSONFormatter() if LOG_JSON else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    if LOG_LEVEL is not None:
        root.setLevel(LOG_LEVEL)
    root.addHandler(handler)


def user_frames(tb):
    """The traceback's frames from the first one outside this file."""
    frames = traceback.extract_tb(tb)
    for i, frame in enumerate(frames):
        if not frame.filename.endswith("/bootstrap.py"):
            return frames[i:]
    return frames


def log_error(sink, error_type, message, stack, req_id):
    """Logs an unhandled error as Lambda's runtime does: one record."""
    if LOG_JSON:
        doc = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), "level": "ERROR",
               "errorMessage": message, "errorType": error_type, "requestId": req_id, "stackTrace": stack}
        sink.write(json.dumps(doc), FRAME_JSON | LEVEL_BITS[logging.ERROR])
        return
    lines = ["[ERROR] %s: %s" % (error_type, message) if message else "[ERROR] %s" % error_type,
             "Traceback (most recent call last):"]
    for entry in stack:
        for line in entry.splitlines():
            stripped = line.lstrip(" ")
            lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    sink.write("\n".join(lines), FRAME_TEXT | LEVEL_BITS[logging.ERROR])


class RuntimeClient:
    def __init__(self, address):
        self.address = address
        self.conn = http.client.HTTPConnection(address)

    def request(self, method, path, body=None, headers=None):
        self.conn.request(method, PREFIX + path, body=body, headers=headers or {})
        resp = self.conn.getresponse()
        data = resp.read()
        return resp.status, resp.headers, data

    def post(self, path, doc, error_type=None):
        headers = {"Content-Type": "application/json"}
        if error_type:
            headers["Lambda-Runtime-Function-Error-Type"] = error_type
        status, _, data = self.request("POST", path, body=doc, headers=headers)
        if status != 202:
            fatal("Runtime API answered %d to %s: %s" % (status, path, data[:200]))


def fatal(msg):
    print("[FATAL] " + msg, flush=True)
    os._exit(1)


class CognitoIdentity:
    def __init__(self, doc):
        self.cognito_identity_id = doc.get("cognitoIdentityId")
        self.cognito_identity_pool_id = doc.get("cognitoIdentityPoolId")


class Client:
    def __init__(self, doc):
        self.installation_id = doc.get("installation_id")
        self.app_title = doc.get("app_title")
        self.app_version_name = doc.get("app_version_name")
        self.app_version_code = doc.get("app_version_code")
        self.app_package_name = doc.get("app_package_name")


class ClientContext:
    def __init__(self, doc):
        self.client = Client(doc.get("client") or {})
        self.custom = doc.get("custom")
        self.env = doc.get("env")


class LambdaContext:
    def __init__(self, request_id, deadline_ms, arn, client_context, identity):
        self.aws_request_id = request_id
        self.invoked_function_arn = arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = CognitoIdentity(parse_json(identity) or {})
        cc = parse_json(client_context)
        self.client_context = ClientContext(cc) if cc else None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def parse_json(text):
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def error_doc(error_type, message, stack=None, request_id=""):
    return json.dumps({
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": stack or [],
    })


class InitFailure(Exception):
    def __init__(self, error_type, message, stack=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack = stack or []


def load_handler():
    spec = os.environ.get("_HANDLER", "")
    module_name, _, func_name = spec.rpartition(".")
    if not module_name or not func_name:
        raise InitFailure("Runtime.MalformedHandlerName",
                          "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % spec)
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise InitFailure("Runtime.ImportModuleError",
                          "Unable to import module '%s': %s" % (module_name, e))
    except SyntaxError as e:
        raise InitFailure("Runtime.UserCodeSyntaxError",
                          "Syntax error in module '%s': %s" % (module_name, e),
                          ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)])
    except Exception as e:
        raise InitFailure(type(e).__name__, str(e), traceback.format_list(user_frames(e.__traceback__)))
    handler = getattr(module, func_name, None)
    if handler is None:
        raise InitFailure("Runtime.HandlerNotFound",
                          "Handler '%s' missing on module '%s'" % (func_name, module_name))
    return handler


def main():
    global request_id
    if not API:
        fatal("AWS_LAMBDA_RUNTIME_API is not set")
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    sys.path.insert(0, task_root)
    client = RuntimeClient(API)
    sink = LogSink(TELEMETRY_FD)
    setup_logging(sink)

    try:
        handler = load_handler()
    except InitFailure as f:
        log_error(sink, f.error_type, f.message, f.stack, "")
        client.post("/init/error", error_doc(f.error_type, f.message, f.stack), f.error_type)
        sys.exit(1)

    while True:
        status, headers, body = client.request("GET", "/invocation/next")
        if status != 200:
            fatal("Runtime API answered %d to next" % status)
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
        deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        context = LambdaContext(request_id, deadline_ms,
                                headers.get("Lambda-Runtime-Invoked-Function-Arn"),
                                headers.get("Lambda-Runtime-Client-Context"),
                                headers.get("Lambda-Runtime-Cognito-Identity"))
        trace_id = headers.get("Lambda-Runtime-Trace-Id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        path = "/invocation/%s" % request_id

        try:
            event = json.loads(body) if body else {}
        except ValueError as e:
            client.post(path + "/error", error_doc("Runtime.UnmarshalError",
                        "Unable to unmarshal input: %s" % e, None, request_id), "Runtime.UnmarshalError")
            continue

        try:
            result = handler(event, context)
        except Exception as e:
            error_type = type(e).__name__
            stack = traceback.format_list(user_frames(e.__traceback__))
            log_error(sink, error_type, str(e), stack, request_id)
            client.post(path + "/error", error_doc(error_type, str(e), stack, request_id), error_type)
            continue

        try:
            payload = json.dumps(result)
        except (TypeError, ValueError) as e:
            client.post(path + "/error", error_doc("Runtime.MarshalError",
                        "Unable to marshal response: %s" % e, None, request_id), "Runtime.MarshalError")
            continue
        client.post(path + "/response", payload)


if __name__ == "__main__":
    main()
