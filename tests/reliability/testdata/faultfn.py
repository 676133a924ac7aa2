"""The reliability tests' function. A normal call behaves like a well-written
function; members of the event make it misbehave the ways real functions do.

It observes its own concurrency as tests/dataplane's holdfn does: each
invocation drops a run-* marker in MARK_DIR, counts the markers present (the
executions in flight, as the function sees them), holds for hold_ms and
removes its marker. Each initialization leaves init-<pid>.

With CRASH_AT_INIT set, the process exits while its module is imported.
"""

import os
import subprocess
import sys
import threading
import time

MARK = os.environ.get("MARK_DIR", "")
INIT_TYPE = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE", "")

if os.environ.get("CRASH_AT_INIT"):
    print("faultfn: crashing during init", flush=True)
    os._exit(3)

if MARK:
    with open(os.path.join(MARK, "init-%d" % os.getpid()), "w") as f:
        f.write(INIT_TYPE)


def late(lines, request_id):
    for i in range(lines):
        time.sleep(0.005)
        print("faultfn: late line %d of %s" % (i, request_id), flush=True)


def handler(event, context):
    marker, n = None, 0
    if MARK:
        marker = os.path.join(MARK, "run-" + context.aws_request_id)
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
        n = sum(1 for e in os.listdir(MARK) if e.startswith("run-"))
    try:
        time.sleep(event.get("hold_ms", 0) / 1000.0)
        if event.get("exit"):
            print("faultfn: exiting mid-invocation", flush=True)
            os._exit(event["exit"])
        if event.get("print_bytes"):
            sys.stdout.write("y" * event["print_bytes"] + "\n")
            sys.stdout.flush()
        child = 0
        if event.get("spawn"):
            child = subprocess.Popen(["sleep", "300"]).pid
        if event.get("late_lines"):
            threading.Thread(target=late, args=(event["late_lines"], context.aws_request_id), daemon=True).start()
        if event.get("fail"):
            raise RuntimeError("failing on purpose")
        return {"in_flight": n, "init_type": INIT_TYPE, "pid": os.getpid(), "child_pid": child,
                "big": "x" * event.get("big_bytes", 0)}
    finally:
        if marker and not event.get("exit"):
            os.remove(marker)
