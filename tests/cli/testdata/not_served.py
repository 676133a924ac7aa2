"""Calls services Reservoir does not serve with boto3's default retries:
Kinesis (JSON 1.1) and SNS (query). Prints, per call, the error boto3
raised, its HTTP status and how many times boto3 retried."""
import json

import boto3
import botocore.exceptions

out = {}
for name, call in [
    ("kinesis", lambda: boto3.client("kinesis").list_streams()),
    ("sns", lambda: boto3.client("sns").list_topics()),
]:
    try:
        call()
        out[name] = None
    except botocore.exceptions.ClientError as e:
        meta = e.response["ResponseMetadata"]
        out[name] = {"Code": e.response["Error"]["Code"], "Message": e.response["Error"]["Message"],
                     "Status": meta["HTTPStatusCode"], "Retries": meta.get("RetryAttempts", -1)}
print(json.dumps(out))
