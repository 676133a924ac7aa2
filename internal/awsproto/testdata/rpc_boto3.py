"""Calls the test-only logs (JSON 1.1) and cloudwatch (JSON 1.0, as
botocore sends it) services with boto3, and prints what it got as JSON.
The endpoint, credentials and region come from the environment."""
import datetime
import json

import boto3
import botocore.exceptions

out = {}
logs = boto3.client("logs")
groups = logs.describe_log_groups(logGroupNamePrefix="/boto3")["logGroups"]
out["groups"] = groups
for name, call in [
    ("deleteMissing", lambda: logs.delete_log_group(logGroupName="gone")),
    ("unknownOperation", lambda: logs.create_log_stream(logGroupName="g", logStreamName="s")),
]:
    try:
        call()
        out[name] = None
    except botocore.exceptions.ClientError as e:
        out[name] = {"Code": e.response["Error"]["Code"], "Message": e.response["Error"]["Message"],
                     "Status": e.response["ResponseMetadata"]["HTTPStatusCode"]}

cw = boto3.client("cloudwatch")
start = datetime.datetime(2025, 3, 4, 5, 6, 7, tzinfo=datetime.timezone.utc)
stats = cw.get_metric_statistics(Namespace="AWS/Lambda", MetricName="Throttles", StartTime=start,
                                 EndTime=start + datetime.timedelta(hours=1), Period=120, Statistics=["Sum"])
out["label"] = stats["Label"]
out["datapoints"] = [{"Timestamp": d["Timestamp"].isoformat(), "Sum": d["Sum"], "Unit": d["Unit"]} for d in stats["Datapoints"]]
print(json.dumps(out))
