"""Creates a Python function with LogFormat JSON that logs at INFO and
ERROR, invokes it twice, and searches its log group with boto3's
filter_log_events: a JSON pattern on the level and a term pattern. Polls
until both searches find what the invocations wrote (up to 10 s: lines are
ingested every 250 ms), then prints each search's messages as JSON."""
import io
import json
import sys
import time
import zipfile

import boto3

CODE = '''import logging

logger = logging.getLogger()

def handler(event, context):
    logger.info("charging %s", event["card"])
    if event.get("fail"):
        logger.error("card %s declined", event["card"])
    return "done"
'''

buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    info = zipfile.ZipInfo("index.py")
    info.external_attr = 0o644 << 16  # readable by the function's user
    z.writestr(info, CODE)

lam = boto3.client("lambda")
logs = boto3.client("logs")
name = "boto3-json-logs"
lam.create_function(
    FunctionName=name, Runtime="python3.12", Role="arn:aws:iam::123456789012:role/r", Handler="index.handler",
    Code={"ZipFile": buf.getvalue()}, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "INFO"})
lam.get_waiter("function_active_v2").wait(FunctionName=name)
for event in ({"card": "visa-1111"}, {"card": "amex-2222", "fail": True}):
    resp = lam.invoke(FunctionName=name, Payload=json.dumps(event))
    if "FunctionError" in resp:
        sys.exit("invoke failed: " + resp["Payload"].read().decode())


def search(pattern):
    events, token = [], None
    while True:
        kw = {"logGroupName": "/aws/lambda/" + name, "filterPattern": pattern}
        if token:
            kw["nextToken"] = token
        page = logs.filter_log_events(**kw)
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return [json.loads(e["message"]) for e in events]


deadline = time.time() + 10
while True:
    try:
        errors = search('{ $.level = "ERROR" }')
        charging = search('charging')
    except logs.exceptions.ResourceNotFoundException:
        # The group appears with the first flush of the function's lines.
        errors, charging = [], []
    if (len(errors) >= 1 and len(charging) >= 2) or time.time() > deadline:
        break
    time.sleep(0.1)
json.dump({"errors": errors, "charging": charging}, sys.stdout)
