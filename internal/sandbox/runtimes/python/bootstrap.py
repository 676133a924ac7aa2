"""Reservoir's Python runtime client.

Speaks the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API: imports the handler
named by _HANDLER ("module.function", the module relative to LAMBDA_TASK_ROOT),
reports import failures to init/error, then loops on invocation/next and calls
handler(event, context), posting the JSON result or the exception.
"""

import http.client
import importlib
import json
import os
import sys
import time
import traceback

API = os.environ.get("AWS_LAMBDA_RUNTIME_API", "")
PREFIX = "/2018-06-01/runtime"


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


def error_doc(error_type, message, tb=None, request_id=""):
    return json.dumps({
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": traceback.format_list(traceback.extract_tb(tb)) if tb else [],
    })


class InitFailure(Exception):
    def __init__(self, error_type, message, tb=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.tb = tb


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
                          "Unable to import module '%s': %s" % (module_name, e), e.__traceback__)
    except SyntaxError as e:
        raise InitFailure("Runtime.UserCodeSyntaxError",
                          "Syntax error in module '%s': %s" % (module_name, e), e.__traceback__)
    except Exception as e:
        raise InitFailure(type(e).__name__, str(e), e.__traceback__)
    handler = getattr(module, func_name, None)
    if handler is None:
        raise InitFailure("Runtime.HandlerNotFound",
                          "Handler '%s' missing on module '%s'" % (func_name, module_name))
    return handler


def main():
    if not API:
        fatal("AWS_LAMBDA_RUNTIME_API is not set")
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    sys.path.insert(0, task_root)
    client = RuntimeClient(API)

    try:
        handler = load_handler()
    except InitFailure as f:
        print("[ERROR] %s: %s" % (f.error_type, f.message), flush=True)
        client.post("/init/error", error_doc(f.error_type, f.message, f.tb), f.error_type)
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
            print("[ERROR] %s: %s" % (error_type, e), flush=True)
            traceback.print_exception(type(e), e, e.__traceback__, file=sys.stdout)
            client.post(path + "/error", error_doc(error_type, str(e), e.__traceback__, request_id), error_type)
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
