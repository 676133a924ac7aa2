import os
import time

INIT_TYPE = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE")
print("python init", INIT_TYPE)
if os.environ.get("FAIL_INIT_WHEN") == INIT_TYPE:
    raise RuntimeError("init failing on purpose")


class CustomError(Exception):
    pass


def handler(event, context):
    action = event.get("action", "echo")
    if action == "echo":
        return event
    if action == "error":
        raise CustomError("python says no")
    if action == "log":
        print("hello from python", context.aws_request_id)
        return "logged"
    if action == "context":
        return {
            "request_id": context.aws_request_id,
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "arn": context.invoked_function_arn,
            "remaining_ms": context.get_remaining_time_in_millis(),
        }
    if action == "env":
        return dict(os.environ)
    if action == "sleep":
        time.sleep(event.get("sleep_ms", 0) / 1000)
        return "slept"
    if action == "crash":
        os._exit(2)
    if action == "unserializable":
        return {"x": object()}
    return None
