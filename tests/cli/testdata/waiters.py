"""Runs boto3's real Lambda waiters against Reservoir and reports, per
waiter, how many GetFunction calls it made and how long it took, as JSON on
stdout. The endpoint and credentials come from the environment
(AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...)."""

import io
import json
import time
import zipfile

import boto3
from botocore.config import Config

client = boto3.client("lambda", config=Config(retries={"max_attempts": 1}))
polls = {"n": 0}


def count(**_):
    polls["n"] += 1


client.meta.events.register("before-call.lambda.GetFunction", count)


def package(body):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return %s\n" % body)
    return buf.getvalue()


def wait(name, answer, field):
    polls["n"] = 0
    start = time.monotonic()
    client.get_waiter(name).wait(FunctionName="waited", WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    return {"waiter": name, "answered": answer[field], "polls": polls["n"], "seconds": time.monotonic() - start}


results = []
out = client.create_function(FunctionName="waited", Runtime="python3.12", Handler="index.handler",
                             Role="arn:aws:iam::123456789012:role/waiters", Code={"ZipFile": package("1")})
results.append(wait("function_active_v2", out, "State"))
out = client.update_function_configuration(FunctionName="waited", Timeout=9)
results.append(wait("function_updated_v2", out, "LastUpdateStatus"))
out = client.update_function_code(FunctionName="waited", ZipFile=package("2"))
results.append(wait("function_updated_v2", out, "LastUpdateStatus"))
print(json.dumps(results))
