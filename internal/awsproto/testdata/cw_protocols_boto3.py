"""Calls the test-only cloudwatch service with boto3 over each protocol of
CloudWatch's model: as botocore picks it, and forced to smithy-rpc-v2-cbor
and to query by a copy of the model (in a temporary data path) that lists
only that protocol. Prints, per protocol, what went out on the wire and
what came back, as JSON. The endpoint, credentials and region come from
the environment."""
import datetime
import json
import os
import tempfile

import boto3
import botocore.exceptions
import botocore.session


def client(protocol, data_dir):
    session = botocore.session.get_session()
    if protocol is not None:
        loader = session.get_component("data_loader")
        model = loader.load_service_model("cloudwatch", "service-2")
        model["metadata"]["protocol"] = protocol
        model["metadata"]["protocols"] = [protocol]
        path = os.path.join(data_dir, protocol, "cloudwatch", "2010-08-01")
        os.makedirs(path)
        with open(os.path.join(path, "service-2.json"), "w") as f:
            json.dump(model, f)
        loader.search_paths.insert(0, os.path.join(data_dir, protocol))
    return boto3.Session(botocore_session=session).client("cloudwatch")


def run(cw):
    wire = []

    def record(request, **kwargs):
        def header(name):
            v = request.headers.get(name, "")
            return v.decode() if isinstance(v, bytes) else v

        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        action = ""
        if body.startswith(b"Action="):
            action = body.split(b"&")[0][len(b"Action="):].decode()
        wire.append({"ContentType": header("Content-Type"), "SmithyProtocol": header("Smithy-Protocol"),
                     "Target": header("X-Amz-Target"), "Action": action,
                     "Path": "/" + request.url.split("://", 1)[1].partition("/")[2]})

    cw.meta.events.register("before-send", record)
    out = {}
    # whole seconds: botocore sends JSON and CBOR times as integer epoch seconds
    at = datetime.datetime(2025, 3, 4, 5, 6, 7, tzinfo=datetime.timezone.utc)
    cw.put_metric_data(Namespace="Custom/App", MetricData=[
        {"MetricName": "Latency", "Timestamp": at, "Value": 12.5, "Unit": "Milliseconds",
         "Dimensions": [{"Name": "FunctionName", "Value": "fn"}, {"Name": "Resource", "Value": "fn:1"}]},
        {"MetricName": "Count & <more>", "Values": [1, 2.5, 1e22], "StorageResolution": 1},
    ])
    out["putWire"] = wire[-1]
    start = datetime.datetime(2025, 3, 4, 5, 6, 7, tzinfo=datetime.timezone.utc)
    stats = cw.get_metric_statistics(Namespace="AWS/Lambda", MetricName="Throttles", StartTime=start,
                                     EndTime=start + datetime.timedelta(hours=1), Period=120, Statistics=["Sum"])
    out["label"] = stats["Label"]
    out["datapoints"] = [{"Timestamp": d["Timestamp"].isoformat(), "Sum": d["Sum"], "Unit": d["Unit"]} for d in stats["Datapoints"]]
    for name, call in [
        ("deleteAlarms", lambda: cw.delete_alarms(AlarmNames=["a", "b"])),
        ("unknownOperation", lambda: cw.describe_alarms()),
    ]:
        try:
            call()
            out[name] = None
        except botocore.exceptions.ClientError as e:
            out[name] = {"Code": e.response["Error"]["Code"], "Message": e.response["Error"]["Message"],
                         "Status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    return out


with tempfile.TemporaryDirectory() as data_dir:
    print(json.dumps({
        "default": run(client(None, data_dir)),
        "cbor": run(client("smithy-rpc-v2-cbor", data_dir)),
        "query": run(client("query", data_dir)),
    }))
