"""The embedded ECS's pages for its tasks: what the AWS console shows, for tasks it runs.

``/_local/tasks/<id>?cluster=&region=`` shows a task: status, containers with exit codes,
stop code and reason, overrides (secret values masked), tags and timestamps, refreshing while
the task runs. ``/_local/tasks/<id>/logs/<container>`` shows one container's awslogs stream
and follows new lines while the task runs, from ``.../lines?token=``, a JSON page of new lines.
Everything is read through the server's own public API (DescribeTasks, DescribeTaskDefinition,
GetLogEvents), as a console reads AWS; every text is HTML-escaped, and secret values (the
variables a launch named as secret) are masked in the page and the log lines.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote, urlencode

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ecs_pipelines.ecs.arns import cluster_name, family_revision, tags_of, task_id
from ecs_pipelines.ecs.links import TASK_PAGES
from ecs_pipelines.ecs.log_streams import LogStreamRef, log_stream_refs
from ecs_pipelines.ecs.redaction import Redactor, masked_task, task_secret_values
from ecs_pipelines.ecs.states import TaskStatus
from ecs_pipelines.local.access_keys import KeyPair
from ecs_pipelines.local.routes import (
    Route,
    StartResponse,
    json_response,
    query,
    text_response,
)
from ecs_pipelines.local.seed import DEMO_CLUSTER, DEMO_REGION

LINES_PER_PAGE = 1000
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d2433; }
table { border-collapse: collapse; margin-bottom: 1.5rem; }
th, td { text-align: left; padding: .3rem .8rem; border-bottom: 1px solid #dde2ea; }
th { color: #5b6474; font-weight: 600; }
pre { background: #0f1420; color: #e6e9ef; padding: 1rem; min-height: 4rem; white-space: pre-wrap; }
.status { font-weight: 700; }
"""
_FOLLOW = """
<script>
const lines = document.getElementById("lines");
const state = document.getElementById("state");
let token = "";
async function follow() {
  const answer = await fetch(LINES_URL + "&token=" + encodeURIComponent(token));
  const page = await answer.json();
  for (const line of page.lines) {
    lines.appendChild(document.createTextNode(line + "\\n"));
  }
  token = page.token;
  state.textContent = page.done ? "Task stopped: every line shown." : "Following (task " +
    page.status + ")";
  if (!page.done) setTimeout(follow, page.lines.length ? 0 : 1000);
}
follow();
</script>
"""


@dataclass(frozen=True)
class LogPage:
    """What a log page (or its JSON page of lines) is asked for."""

    task: Mapping[str, Any]
    container: str
    cluster: str
    region: str
    token: str


class TaskPages:
    """Routes of the task and log pages of the embedded ECS that serves them."""

    def __init__(self, credentials: KeyPair) -> None:
        # The pages read the server's API as its user would: signed with its own keys.
        self._credentials = credentials
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._endpoint = ""

    def routes(self) -> list[Route]:
        return [Route(f"{TASK_PAGES}/", self.answer)]

    def _client(self, service: str, region: str) -> Any:
        key = (self._endpoint, service, region)
        if key not in self._clients:
            self._clients[key] = boto3.client(
                service,  # type: ignore[call-overload]
                endpoint_url=self._endpoint,
                region_name=region,
                **self._credentials.boto3_kwargs(),
            )
        return self._clients[key]

    def answer(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        # The pages read this very server, at the address it is bound to.
        self._endpoint = f"http://{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        parts = [unquote(p) for p in environ.get("PATH_INFO", "").split("/")[3:] if p]
        given = query(environ)
        cluster = given.get("cluster", [DEMO_CLUSTER])[0]
        region = given.get("region", [DEMO_REGION])[0]
        try:
            task = self._task(cluster, region, parts[0]) if parts else None
            if task is None:
                return _page(start_response, "404 Not Found", "No such task", "<p>Not found.</p>")
            if len(parts) == 1:
                return _page(start_response, "200 OK", f"Task {parts[0]}", self._task_html(task))
            if len(parts) in (3, 4) and parts[1] == "logs":
                log = LogPage(task, parts[2], cluster, region, given.get("token", [""])[0])
                if len(parts) == 3:
                    return self._logs_html(start_response, log)
                if parts[3] == "lines":
                    return self._lines(start_response, log)
        except (BotoCoreError, ClientError) as error:
            message = f"<p>{html.escape(str(error))}</p>"
            return _page(start_response, "502 Bad Gateway", "Cannot read the task", message)
        return _page(start_response, "404 Not Found", "No such page", "<p>Not found.</p>")

    # --- reading --------------------------------------------------------------------------

    def _task(self, cluster: str, region: str, ident: str) -> dict[str, Any] | None:
        answer = self._client("ecs", region).describe_tasks(
            cluster=cluster, tasks=[ident], include=["TAGS"]
        )
        tasks: list[dict[str, Any]] = answer.get("tasks") or []
        return tasks[0] if tasks else None

    def _stream(self, task: Mapping[str, Any], container: str, region: str) -> LogStreamRef:
        definition = self._client("ecs", region).describe_task_definition(
            taskDefinition=task["taskDefinitionArn"]
        )["taskDefinition"]
        refs = [r for r in log_stream_refs(definition, task["taskArn"]) if r.container == container]
        if not refs:
            raise LookupError(container)
        return refs[0]

    # --- pages ----------------------------------------------------------------------------

    def _task_html(self, task: Mapping[str, Any]) -> str:
        shown = masked_task(task, reveal=True)
        redact = Redactor(task_secret_values(task))
        cluster = cluster_name(str(task.get("clusterArn", "")))
        region = str(task.get("taskArn", "")).split(":")[3]
        link_query = urlencode({"cluster": cluster, "region": region})
        facts = [
            ("Status", f"{task.get('lastStatus')} (desired {task.get('desiredStatus')})"),
            ("Stop code", task.get("stopCode")),
            ("Stopped reason", task.get("stoppedReason")),
            ("Task definition", family_revision(task.get("taskDefinitionArn"))),
            ("Cluster", cluster),
            ("Started by", task.get("startedBy")),
            ("Launch type", task.get("launchType")),
            ("Created", task.get("createdAt")),
            ("Started", task.get("startedAt")),
            ("Stopped", task.get("stoppedAt")),
            ("Task ARN", task.get("taskArn")),
        ]
        rows = "".join(
            f"<tr><th>{html.escape(name)}</th><td class='{_css(name)}'>{_text(value)}</td></tr>"
            for name, value in facts
            if value is not None
        )
        containers = "".join(
            "<tr>"
            f"<td>{_text(c.get('name'))}</td><td>{_text(c.get('lastStatus'))}</td>"
            f"<td class='exit-code'>{_text(c.get('exitCode', '-'))}</td>"
            f"<td>{_text(c.get('reason', ''))}</td>"
            f"<td><a href='{task_id(str(task['taskArn']))}/logs/{quote(str(c.get('name')))}"
            f"?{html.escape(link_query)}'>logs</a></td></tr>"
            for c in task.get("containers") or []
        )
        overrides = "".join(
            f"<tr><td>{_text(o.get('name'))}</td>"
            f"<td>{_text(' '.join(o.get('command') or []))}</td>"
            f"<td>{_text(_environment(o))}</td></tr>"
            for o in (shown.get("overrides") or {}).get("containerOverrides") or []
        )
        tags = "".join(
            f"<tr><td>{_text(k)}</td><td>{_text(v)}</td></tr>"
            for k, v in sorted(tags_of(task).items())
        )
        running = task.get("lastStatus") != TaskStatus.STOPPED
        refresh = "<meta http-equiv='refresh' content='2'>" if running else ""
        body = (
            f"{refresh}<table id='task'>{rows}</table>"
            "<h2>Containers</h2><table id='containers'><tr><th>Name</th><th>Status</th>"
            f"<th>Exit code</th><th>Reason</th><th></th></tr>{containers}</table>"
            "<h2>Overrides</h2><table id='overrides'><tr><th>Container</th><th>Command</th>"
            f"<th>Environment</th></tr>{overrides}</table>"
            f"<h2>Tags</h2><table id='tags'>{tags}</table>"
        )
        return redact(body)

    def _logs_html(self, start_response: StartResponse, log: LogPage) -> list[bytes]:
        ident, container = task_id(str(log.task["taskArn"])), log.container
        cluster, region = log.cluster, log.region
        lines_url = f"{TASK_PAGES}/{ident}/logs/{quote(container)}/lines?" + urlencode(
            {"cluster": cluster, "region": region}
        )
        back = f"{TASK_PAGES}/{ident}?" + urlencode({"cluster": cluster, "region": region})
        body = (
            f"<p><a href='{html.escape(back)}'>task {html.escape(ident)}</a> · "
            f"container {html.escape(container)}</p><p id='state'>Loading…</p>"
            "<pre id='lines'></pre>"
            f"<script>const LINES_URL = {json.dumps(lines_url)};</script>{_FOLLOW}"
        )
        return _page(start_response, "200 OK", f"Logs of {ident} / {container}", body)

    def _lines(self, start_response: StartResponse, log: LogPage) -> list[bytes]:
        task, container, region, token = log.task, log.container, log.region, log.token
        try:
            ref = self._stream(task, container, region)
        except LookupError:
            return json_response(start_response, "404 Not Found", {"message": "No such log."})
        request: dict[str, Any] = {
            "logGroupName": ref.group,
            "logStreamName": ref.stream,
            "startFromHead": True,
            "limit": LINES_PER_PAGE,
        }
        if token:
            request["nextToken"] = token
        try:
            page = self._client("logs", ref.region or region).get_log_events(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            page = {"events": [], "nextForwardToken": token}
        redact = Redactor(task_secret_values(task))
        lines = [redact(str(e.get("message", "")).rstrip("\n")) for e in page.get("events", [])]
        stopped = task.get("lastStatus") == TaskStatus.STOPPED
        answer = {
            "lines": lines,
            "token": page.get("nextForwardToken", token),
            "status": task.get("lastStatus"),
            # Stopped, and a read that brought nothing new: the stream is complete.
            "done": stopped and not lines,
        }
        return json_response(start_response, "200 OK", answer)


def _environment(override: Mapping[str, Any]) -> str:
    """``NAME=value, ...`` of an override whose secret values were masked already."""
    return ", ".join(f"{v.get('name')}={v.get('value')}" for v in override.get("environment") or [])


def _text(value: object) -> str:
    if isinstance(value, datetime):
        value = value.isoformat(timespec="seconds")
    return html.escape("" if value is None else str(value))


def _css(name: str) -> str:
    return name.lower().replace(" ", "-")


def _page(start_response: StartResponse, status: str, title: str, body: str) -> list[bytes]:
    document = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)} · embedded ECS</title><style>{_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return text_response(start_response, status, document, "text/html; charset=utf-8")
