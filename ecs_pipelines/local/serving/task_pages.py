"""The embedded ECS's pages for its tasks: what the AWS console shows, for tasks it runs.

``/_local/tasks/<id>?cluster=&region=&account=`` shows a task: status, containers with exit
codes, stop code and reason, overrides (secret values masked), tags and timestamps, refreshing
while the task runs, and its CPU and memory over time against its reservation
(``usage_chart.py``, from its Container Insights performance events).
``/_local/tasks/<id>/logs/<container>`` shows one container's awslogs stream and follows new
lines while the task runs, from ``.../lines?token=``, a JSON page of new lines; where lines
were dropped before the page read them (the server holds only the newest output of each
stream, ``log_retention``) it says so, at that place and above the lines.
Everything is read through the server's own public API (DescribeTasks, DescribeTaskDefinition,
GetLogEvents, FilterLogEvents), as a console reads AWS, in the account the address names (the
server's own keys may name one: ``x-moto-account-id``, as ``local/auth/request_auth.py``
allows them). Secret values (the variables a launch named as secret) are masked in the task's
data and in each log line before anything is rendered, wherever the task carries them (the
command, another variable, a stop reason); then every text is HTML-escaped, or sent as JSON
for the page's script to add as text.

The pages are read-only (GET), their address is checked before anything is read
(``page_address.py``: a made-up region or a malformed name is a 404), the clients they read
with are a bounded cache (``CLIENT_CACHE_SIZE``), and they hold no inline script or style: the
stylesheet and the log page's script are served by the server (``page_assets.py``), so the
Content-Security-Policy every answer carries (``http_boundary.py``) needs no 'unsafe-inline'.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ecs_pipelines.ecs.common import (
    Redactor,
    TaskStatus,
    cluster_name,
    family_revision,
    mask_task,
    tags_of,
    task_id,
    task_secret_values,
)
from ecs_pipelines.ecs.logs import TASK_PAGES, LogStreamRef, log_stream_refs
from ecs_pipelines.ecs.usage import read_usage
from ecs_pipelines.local import moto_bridge
from ecs_pipelines.local.auth import ACCOUNT_HEADER, KeyPair
from ecs_pipelines.local.rules import events_skipped
from ecs_pipelines.local.serving.client_cache import ClientCache
from ecs_pipelines.local.serving.page_address import PageKind, page_address
from ecs_pipelines.local.serving.page_assets import FOLLOW_SCRIPT, STYLESHEET, asset_routes
from ecs_pipelines.local.serving.routes import (
    Route,
    StartResponse,
    json_response,
    query,
    text_response,
)
from ecs_pipelines.local.serving.run_links import dagster_run_link
from ecs_pipelines.local.serving.usage_chart import usage_charts

LINES_PER_PAGE = 1000
# Clients the pages keep (the least recently used is dropped): one per service and region
# read, and the regions are the few the server serves.
CLIENT_CACHE_SIZE = 16


@dataclass(frozen=True)
class LogPage:
    """What a log page (or its JSON page of lines) is asked for."""

    task: Mapping[str, Any]
    container: str
    cluster: str
    region: str
    token: str
    account: str | None


class TaskPages:
    """Routes of the task and log pages of the embedded ECS that serves them."""

    def __init__(
        self,
        credentials: KeyPair,
        region: str = "us-east-1",
        regions: Collection[str] | None = None,
        dagster_ui: Callable[[], str | None] = lambda: None,
    ) -> None:
        # The pages read the server's API as its user would: signed with its own keys.
        self._credentials = credentials
        # Asked at each page: the UI may start (or go) while the server runs.
        self._dagster_ui = dagster_ui
        self._region = region  # what an address that names no region means
        self._clients = ClientCache(CLIENT_CACHE_SIZE, "task pages")
        self._endpoint = ""
        # The regions a page may name: those the server serves.
        self._regions = moto_bridge.served_regions() if regions is None else regions

    def routes(self) -> list[Route]:
        return [Route(f"{TASK_PAGES}/", self.answer), *asset_routes()]

    def _client(self, service: str, region: str, account: str | None) -> Any:
        return self._clients.get(
            (self._endpoint, service, region, account),
            lambda: self._new_client(service, region, account),
        )

    def _new_client(self, service: str, region: str, account: str | None) -> Any:
        client = boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self._endpoint,
            region_name=region,
            **self._credentials.boto3_kwargs(),
        )
        if account is not None:

            def in_account(request: Any, **_: Any) -> None:
                request.headers[ACCOUNT_HEADER] = account

            client.meta.events.register("before-sign", in_account)
        return client

    def answer(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        # The pages read this very server, at the address it is bound to.
        self._endpoint = f"http://{_host(environ['SERVER_NAME'])}:{environ['SERVER_PORT']}"
        # PATH_INFO is decoded already, and a valid name or id needs no decoding.
        parts = [p for p in environ.get("PATH_INFO", "").split("/")[3:] if p]
        address = page_address(parts, query(environ), self._regions, self._region)
        if isinstance(address, str):
            reason = f"<p>{html.escape(address)}</p>"
            return _page(start_response, "404 Not Found", "No such page", reason)
        cluster, region, account = address.cluster, address.region, address.account
        try:
            task = self._task(cluster, region, account, address.task_id)
            if task is None:
                return _page(start_response, "404 Not Found", "No such task", "<p>Not found.</p>")
            if address.kind is PageKind.TASK:
                title = f"Task {address.task_id}"
                return _page(start_response, "200 OK", title, self._task_html(task, account))
            log = LogPage(task, address.container, cluster, region, address.token, account)
            if address.kind is PageKind.LOGS:
                return self._logs_html(start_response, log)
            return self._lines(start_response, log)
        except (BotoCoreError, ClientError) as error:
            return _read_error(start_response, error)

    # --- reading --------------------------------------------------------------------------

    def _task(
        self, cluster: str, region: str, account: str | None, ident: str
    ) -> dict[str, Any] | None:
        answer = self._client("ecs", region, account).describe_tasks(
            cluster=cluster, tasks=[ident], include=["TAGS"]
        )
        tasks: list[dict[str, Any]] = answer.get("tasks") or []
        return tasks[0] if tasks else None

    def _stream(self, task: Mapping[str, Any], log: LogPage) -> LogStreamRef:
        container = log.container
        definition = self._client("ecs", log.region, log.account).describe_task_definition(
            taskDefinition=task["taskDefinitionArn"]
        )["taskDefinition"]
        refs = [r for r in log_stream_refs(definition, task["taskArn"]) if r.container == container]
        if not refs:
            raise LookupError(container)
        return refs[0]

    # --- pages ----------------------------------------------------------------------------

    def _task_html(self, described: Mapping[str, Any], account: str | None = None) -> str:
        # Masked first: HTML escaping changes a secret's text (& becomes &amp;), so masking
        # the page afterwards would miss it. Nothing below reads ``described``.
        task = mask_task(described, reveal=True)
        cluster = cluster_name(str(task.get("clusterArn", "")))
        arn_parts = str(task.get("taskArn", "")).split(":")
        link_query = where(cluster, arn_parts[3], arn_parts[4])
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
        run_link = dagster_run_link(task, self._dagster_ui())
        if run_link is not None:
            rows += f"<tr><th>Dagster run</th><td class='dagster-run'>{run_link}</td></tr>"
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
            for o in (task.get("overrides") or {}).get("containerOverrides") or []
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
        return body + self._usage_html(task, account)

    def _usage_html(self, task: Mapping[str, Any], account: str | None) -> str:
        """The task's CPU and memory over time against its reservation, from its Container
        Insights performance events (read as any client reads them: ``ecs.usage``)."""
        region = str(task.get("taskArn", "")).split(":")[3]
        ident = task_id(str(task.get("taskArn", "")))
        created = task.get("createdAt")
        if not isinstance(created, datetime):
            return ""
        end = task.get("stoppedAt") or datetime.now(created.tzinfo)
        read = read_usage(
            self._client("logs", region, account),
            str(task.get("clusterArn", "")),
            [ident],
            start=created,
            end=end,
        )
        usage = read.usage.get(ident)
        heading = "<h2>CPU and memory</h2>"
        if usage is None:
            why = read.insights_off or "No Container Insights data for this task yet."
            return f"{heading}<p id='usage'>{html.escape(why)}</p>"
        chart = usage_charts(
            usage,
            cpu_reserved=float(task.get("cpu") or 0),
            memory_reserved=float(task.get("memory") or 0),
        )
        used = (
            f"{usage.vcpu_seconds:.2f} vCPU-seconds used, memory peak "
            f"{usage.memory_peak_mib:.0f} MiB ({usage.samples} samples)"
        )
        return f"{heading}<p id='usage'>{html.escape(used)}</p>{chart}"

    def _logs_html(self, start_response: StartResponse, log: LogPage) -> list[bytes]:
        ident, container = task_id(str(log.task["taskArn"])), log.container
        query = where(log.cluster, log.region, log.account)
        lines_url = f"{TASK_PAGES}/{ident}/logs/{quote(container)}/lines?{query}"
        back = f"{TASK_PAGES}/{ident}?{query}"
        body = (
            f"<p><a href='{html.escape(back)}'>task {html.escape(ident)}</a> · "
            f"container {html.escape(container)}</p><p id='state'>Loading…</p>"
            "<p id='dropped' hidden></p>"
            f"<pre id='lines' data-lines-url='{html.escape(lines_url)}'></pre>"
            f"<script src='{FOLLOW_SCRIPT}'></script>"
        )
        return _page(start_response, "200 OK", f"Logs of {ident} / {container}", body)

    def _lines(self, start_response: StartResponse, log: LogPage) -> list[bytes]:
        task, region, token = log.task, log.region, log.token
        try:
            ref = self._stream(task, log)
        except LookupError:
            return json_response(start_response, "404 Not Found", {"message": "No such log."})
        if ref.region and ref.region not in self._regions:  # read nowhere the server is not
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
            page = self._client("logs", ref.region or region, log.account).get_log_events(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            page = {"events": [], "nextForwardToken": token}
        redact = Redactor(task_secret_values(task))
        lines = [redact(str(e.get("message", "")).rstrip("\n")) for e in page.get("events", [])]
        stopped = task.get("lastStatus") == TaskStatus.STOPPED
        next_token = page.get("nextForwardToken", token)
        answer = {
            "lines": lines,
            "token": next_token,
            # Lines dropped to bound the server's memory before this read came to them.
            "dropped": events_skipped(token, next_token, len(lines)),
            "status": task.get("lastStatus"),
            # Stopped, and a read that brought nothing new: the stream is complete.
            "done": stopped and not lines,
        }
        return json_response(start_response, "200 OK", answer)


def where(cluster: str, region: str, account: str | None) -> str:
    """The query that names a page's cluster, region and account."""
    return urlencode(
        {"cluster": cluster, "region": region, **({"account": account} if account else {})}
    )


def _environment(override: Mapping[str, Any]) -> str:
    """``NAME=value, ...`` of an override whose secret values were masked already."""
    return ", ".join(f"{v.get('name')}={v.get('value')}" for v in override.get("environment") or [])


def _text(value: object) -> str:
    if isinstance(value, datetime):
        value = value.isoformat(timespec="seconds")
    return html.escape("" if value is None else str(value))


def _css(name: str) -> str:
    return name.lower().replace(" ", "-")


def _read_error(start_response: StartResponse, error: Exception) -> list[bytes]:
    """A failed read as a page: no such cluster in that region is not found, the rest a 502."""
    code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None
    if code == "ClusterNotFoundException":
        return _page(start_response, "404 Not Found", "No such cluster", "<p>Not found.</p>")
    message = f"<p>{html.escape(str(error))}</p>"
    return _page(start_response, "502 Bad Gateway", "Cannot read the task", message)


def _host(server_name: str) -> str:
    """The bound address as a URL's host (an IPv6 address in brackets)."""
    return f"[{server_name}]" if ":" in server_name else server_name


def _page(start_response: StartResponse, status: str, title: str, body: str) -> list[bytes]:
    document = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)} · embedded ECS</title>"
        f"<link rel='stylesheet' href='{STYLESHEET}'></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return text_response(start_response, status, document, "text/html; charset=utf-8")
