"""A scripted ECS endpoint on loopback: the ECS JSON 1.1 wire protocol, simulated tasks.

It answers RunTask (``count`` 1..10, ``clientToken`` idempotent), DescribeTasks (<= 100 tasks),
StopTask, ListTasks and the task-definition calls (``scripted_task_definitions``: register,
describe with tags, list, deregister) for boto3 clients created with ``endpoint_url``; the
tasks' state change events on an SQS queue (``scripted_events``, when reset with events on)
and their CloudWatch lines (``scripted_logs``) on the same endpoint.
No process runs: a task's stop time is scheduled when it is launched, from its container
override environment:

- ``BENCH_STOP_AT``: epoch seconds at which the task stops (staggered stops across tasks);
- ``BENCH_DURATION``: seconds after RunTask (used when ``BENCH_STOP_AT`` is not set);
- ``BENCH_EXIT``: the essential container's exit code (0 by default).

Each API can have a token bucket (capacity, refill per second); an empty bucket answers
HTTP 400 ``ThrottlingException`` "Rate exceeded", as ECS does. A no-capacity window
(``no_capacity``: rate, seconds, seed) makes that share of RunTask calls, for that long after
the reset, answer Fargate's ``failures`` "Capacity is unavailable at this time..." and start
nothing (the token is not kept, as ECS keeps none for a refusal). Every call is counted per API,
and every task counts the DescribeTasks calls that named it. ``/_bench/...`` paths configure,
reset and read those counters, and end tasks now (``/_bench/finish``: their command exits as
scripted), for scenarios that must not guess how long their set-up takes.

Run it in its own process (``python -m benchmarks.scripted_ecs``, or ``ScriptedEcsProcess`` from
``scripted_process``) so that its CPU time does not count as the client's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from benchmarks.scripted_events import SQS_TARGET, ScriptedEvents
from benchmarks.scripted_logs import LOGS_TARGET, ScriptedLogs, stream_of
from benchmarks.scripted_task_definitions import ApiError, TaskDefinitionStore
from benchmarks.scripted_tasks import (
    ACCOUNT,
    FAMILY,
    REGION,
    SimTask,
    cluster_arn,
    environment_of,
)
from benchmarks.throttling import TokenBucket

TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
PREFIXES = (TARGET_PREFIX, SQS_TARGET, LOGS_TARGET)
DESCRIBE_LIMIT = 100
RUN_TASK_COUNT_LIMIT = 10
NO_CAPACITY = (
    "Capacity is unavailable at this time. Please try again later or in a different "
    "availability zone"
)


@dataclass
class ScriptedState:
    """Tasks, token buckets and counters; every handler thread goes through ``lock``."""

    default_duration: float = 1.0
    buckets: dict[str, TokenBucket] = field(default_factory=dict)
    tasks: dict[str, SimTask] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    tokens: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    throttled: Counter[str] = field(default_factory=Counter)
    run_task_times: list[float] = field(default_factory=list)
    definitions: TaskDefinitionStore = field(default_factory=TaskDefinitionStore)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Task state change events on an SQS queue, and the tasks' CloudWatch lines.
    events: ScriptedEvents = field(default_factory=lambda: ScriptedEvents(REGION, ACCOUNT))
    streams: dict[str, str] = field(default_factory=dict)  # log stream -> task ARN
    # RunTask answers no capacity for a share of calls during a window after the reset.
    refused: int = 0  # RunTask calls answered with no capacity
    no_capacity_rate: float = 0.0
    no_capacity_until: float = 0.0
    draw: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.logs = ScriptedLogs(lambda s: self.tasks.get(self.streams.get(s, "")))

    def reset(self, config: dict[str, Any]) -> None:
        with self.lock:
            self.tasks.clear()
            self.order.clear()
            self.tokens.clear()
            self.calls.clear()
            self.throttled.clear()
            self.refused = 0
            self.run_task_times.clear()
            self.streams.clear()
            self.definitions.reset()
            self.events.reset(bool(config.get("events")))
            self.default_duration = float(config.get("default_duration", 1.0))
            window = config.get("no_capacity") or {}
            self.no_capacity_rate = float(window.get("rate", 0.0))
            self.no_capacity_until = time.time() + float(window.get("seconds", 0.0))
            self.draw = random.Random(window.get("seed"))
            self.buckets = {
                api: TokenBucket(float(cap), float(rate))
                for api, (cap, rate) in (config.get("buckets") or {}).items()
            }

    def handle(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        bucket = self.buckets.get(operation)
        with self.lock:
            self.calls[operation] += 1
        if operation in ScriptedEvents.OPERATIONS:  # a long poll must not hold the lock
            return self.events.handle(operation, body)
        if bucket is not None and not bucket.take():
            with self.lock:
                self.throttled[operation] += 1
            raise ApiError("ThrottlingException", "Rate exceeded")
        handler = (
            getattr(self, f"_op_{operation}", None)
            or self.definitions.handler(operation)
            or self.logs.handler(operation)
        )
        if handler is None:
            raise ApiError("InvalidParameterException", f"{operation} is not scripted")
        with self.lock:
            result: dict[str, Any] = handler(body, time.time())
        return result

    def _op_RunTask(self, body: dict[str, Any], now: float) -> dict[str, Any]:
        count = int(body.get("count", 1))
        if not 1 <= count <= RUN_TASK_COUNT_LIMIT:
            raise ApiError("InvalidParameterException", "count must be between 1 and 10")
        cluster = body.get("cluster", "default")
        token = body.get("clientToken")
        if token and (cluster, token) in self.tokens:
            arns = self.tokens[(cluster, token)]
        elif now < self.no_capacity_until and self.draw.random() < self.no_capacity_rate:
            self.refused += 1
            return {"tasks": [], "failures": [{"reason": NO_CAPACITY}] * count}
        else:
            overrides = body.get("overrides") or {}
            env = environment_of(overrides)
            if "BENCH_STOP_AT" in env:
                stop_at = max(float(env["BENCH_STOP_AT"]), now + 0.1)
            else:
                stop_at = now + float(env.get("BENCH_DURATION", self.default_duration))
            arns = []
            for _ in range(count):
                arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster}/{uuid.uuid4().hex}"
                self.tasks[arn] = SimTask(
                    arn=arn,
                    cluster=cluster,
                    created_at=now,
                    stop_at=stop_at,
                    exit_code=int(env.get("BENCH_EXIT", "0")),
                    overrides=overrides,
                    tags=list(body.get("tags", [])),
                    started_by=body.get("startedBy"),
                    group=body.get("group", f"family:{FAMILY}"),
                    launch_type=body.get("launchType", "FARGATE"),
                    definition=self._definition_arn(body.get("taskDefinition", FAMILY)),
                )
                self.order.append(arn)
                self.streams[stream_of(arn)] = arn
                self._announce(self.tasks[arn])
                arns.append(arn)
            if token:
                self.tokens[(cluster, token)] = arns
            self.run_task_times.append(now)
        return {"tasks": [self.tasks[a].describe(now, True) for a in arns], "failures": []}

    def _definition_arn(self, reference: str) -> str:
        try:
            return str(self.definitions._find(reference)["taskDefinitionArn"])
        except ApiError:
            return ""

    def _announce(self, task: SimTask, *, stopped_only: bool = False) -> None:
        """Schedules the task's state change events (each checked when due: a StopTask moves
        the stop, and the event of the old stop time is then dropped)."""

        def when(status: str, at: float) -> Any:
            def state(now: float) -> dict[str, Any] | None:
                if status == "STOPPED" and task.stop_at != at:
                    return None
                return task.describe(at, False)

            return state

        if not stopped_only:
            self.events.schedule(task.created_at, task.arn, when("PENDING", task.created_at))
            running = task.created_at + 0.05
            self.events.schedule(running, task.arn, when("RUNNING", running))
        self.events.schedule(task.stop_at, task.arn, when("STOPPED", task.stop_at))

    def _op_DescribeTasks(self, body: dict[str, Any], now: float) -> dict[str, Any]:
        names = body.get("tasks", [])
        if len(names) > DESCRIBE_LIMIT:
            raise ApiError("InvalidParameterException", "tasks can have at most 100 items")
        with_tags = "TAGS" in (body.get("include") or [])
        tasks, failures = [], []
        for name in names:
            task = self.tasks.get(name)
            if task is None:
                failures.append({"arn": name, "reason": "MISSING"})
                continue
            task.describes += 1
            tasks.append(task.describe(now, with_tags))
        return {"tasks": tasks, "failures": failures}

    def _op_StopTask(self, body: dict[str, Any], now: float) -> dict[str, Any]:
        task = self.tasks.get(body.get("task", ""))
        if task is None:
            raise ApiError("InvalidParameterException", "The referenced task was not found.")
        if task.stop_at > now:
            task.stop_at = now
            task.exit_code = 143
            task.stop_code = "UserInitiated"
            task.stopped_reason = body.get("reason", "Task stopped by user")
            self._announce(task, stopped_only=True)
        return {"task": task.describe(now, False)}

    def _op_ListTasks(self, body: dict[str, Any], now: float) -> dict[str, Any]:
        desired = body.get("desiredStatus", "RUNNING")
        started_by = body.get("startedBy")
        cluster = cluster_arn(body.get("cluster", "default"))
        matching = [
            arn
            for arn in self.order
            if cluster_arn(self.tasks[arn].cluster) == cluster
            and (self.tasks[arn].status(now) == "STOPPED") == (desired == "STOPPED")
            and (started_by is None or self.tasks[arn].started_by == started_by)
        ]
        start = int(body.get("nextToken") or 0)
        size = min(int(body.get("maxResults", 100)), 100)
        page = matching[start : start + size]
        response: dict[str, Any] = {"taskArns": page}
        if start + size < len(matching):
            response["nextToken"] = str(start + size)
        return response

    def stats(self) -> dict[str, Any]:
        with self.lock:
            times = self.run_task_times
            return {
                "calls": dict(self.calls),
                "throttled": dict(self.throttled),
                "refused": self.refused,
                "tasks": len(self.tasks),
                "task_describes": sum(t.describes for t in self.tasks.values()),
                "run_task_span": (max(times) - min(times)) if times else 0.0,
                "first_run_task": min(times) if times else None,
                "last_run_task": max(times) if times else None,
                "queue_ready": self.events.backlog(),
            }

    def finish(self, arns: list[str]) -> int:
        """Ends these tasks now, as if their command exited (with ``BENCH_EXIT``); how many
        were still running."""
        now = time.time()
        ended = 0
        with self.lock:
            for arn in arns:
                task = self.tasks.get(arn)
                if task is not None and task.stop_at > now:
                    task.stop_at = now
                    self._announce(task, stopped_only=True)
                    ended += 1
        return ended

    def task_table(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    "arn": t.arn,
                    "created_at": t.created_at,
                    "stop_at": t.stop_at,
                    "describes": t.describes,
                    "queued_stop": self.events.queued_stop.get(t.arn),
                    "tags": {tag["key"]: tag.get("value", "") for tag in t.tags},
                    "started_by": t.started_by,
                }
                for t in (self.tasks[a] for a in self.order)
            ]


def make_handler(state: ScriptedState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pooled connections expect

        def log_message(self, format: str, *args: Any) -> None:
            return

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in one write, without Nagle's delay (which, against
            # the client's delayed ACK, would add ~40 ms to every call).
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _send(self, status: int, payload: dict[str, Any] | list[Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            self._headers_buffer.append(b"\r\n" + data)
            self.flush_headers()

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parsed: dict[str, Any] = json.loads(raw) if raw else {}
            return parsed

        def do_GET(self) -> None:
            if self.path == "/_bench/stats":
                self._send(200, state.stats())
            elif self.path == "/_bench/tasks":
                self._send(200, state.task_table())
            else:
                self._send(404, {"message": f"no route {self.path}"})

        def do_POST(self) -> None:
            body = self._body()
            if self.path == "/_bench/reset":
                state.reset(body)
                self._send(200, {"ok": True})
                return
            if self.path == "/_bench/finish":
                self._send(200, {"ended": state.finish(list(body.get("arns", [])))})
                return
            target = self.headers.get("X-Amz-Target", "")
            prefix = next((p for p in PREFIXES if target.startswith(p)), None)
            if prefix is None:
                self._send(400, {"__type": "UnknownOperationException", "message": target})
                return
            try:
                self._send(200, state.handle(target[len(prefix) :], body))
            except ApiError as error:
                self._send(error.status, {"__type": error.code, "message": error.message})

    return Handler


class ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


def serve(port: int = 0, host: str = "127.0.0.1") -> tuple[ScriptedServer, ScriptedState]:
    """Starts the endpoint in a daemon thread of this process; returns the server and state."""
    state = ScriptedState()
    server = ScriptedServer((host, port), make_handler(state))
    threading.Thread(target=server.serve_forever, daemon=True, name="scripted-ecs").start()
    return server, state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server, _ = serve(args.port)
    print(f"PORT {server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()


if __name__ == "__main__":
    main()
