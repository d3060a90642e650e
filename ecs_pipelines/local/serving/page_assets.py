"""The task pages' stylesheet and script, served read-only by the server itself.

The pages' Content-Security-Policy (``http_boundary.py``) lets a page load scripts and styles
from the server's own origin only, nothing inline; so they are served here, at
``/_local/static/<name>``, and a page hands its data to the script in ``data-`` attributes.
"""

from __future__ import annotations

from typing import Any

from ecs_pipelines.local.serving.routes import Route, StartResponse, json_response

STATIC = "/_local/static/"
STYLESHEET = STATIC + "pages.css"
FOLLOW_SCRIPT = STATIC + "follow-log.js"

_CSS = """\
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d2433; }
table { border-collapse: collapse; margin-bottom: 1.5rem; }
th, td { text-align: left; padding: .3rem .8rem; border-bottom: 1px solid #dde2ea; }
th { color: #5b6474; font-weight: 600; }
pre { background: #0f1420; color: #e6e9ef; padding: 1rem; min-height: 4rem; white-space: pre-wrap; }
.status { font-weight: 700; }
.gap { color: #f0b35a; }
#dropped { color: #8a5300; font-weight: 600; }
"""

# Follows a container's log on its page: reads new lines from the JSON page named by
# data-lines-url on #lines, until the task has stopped and every line is shown; where the
# server dropped lines before they were read (log_retention), it marks the gap and says so.
_FOLLOW = """\
"use strict";
const lines = document.getElementById("lines");
const state = document.getElementById("state");
const dropped = document.getElementById("dropped");
const linesUrl = lines.dataset.linesUrl;
let token = "";
let droppedLines = 0;
async function follow() {
  const answer = await fetch(linesUrl + "&token=" + encodeURIComponent(token));
  if (!answer.ok) {
    state.textContent = "Cannot read the log (HTTP " + answer.status + ").";
    return;
  }
  const page = await answer.json();
  if (page.dropped) {
    droppedLines += page.dropped;
    const gap = document.createElement("span");
    gap.className = "gap";
    gap.textContent = "[" + page.dropped + " lines were dropped here]\\n";
    lines.appendChild(gap);
    dropped.textContent = droppedLines + " earlier lines were dropped: the embedded ECS " +
      "holds only the newest output of each task (ecs-pipelines local serve --log-stream-mib, " +
      "--log-total-mib).";
    dropped.hidden = false;
  }
  for (const line of page.lines) {
    lines.appendChild(document.createTextNode(line + "\\n"));
  }
  token = page.token;
  const shown = droppedLines ? "every line still held shown." : "every line shown.";
  state.textContent = page.done ? "Task stopped: " + shown : "Following (task " +
    page.status + ")";
  if (!page.done) setTimeout(follow, page.lines.length ? 0 : 1000);
}
follow();
"""

_ASSETS = {
    STYLESHEET: ("text/css; charset=utf-8", _CSS.encode()),
    FOLLOW_SCRIPT: ("text/javascript; charset=utf-8", _FOLLOW.encode()),
}


def asset_routes() -> list[Route]:
    """``GET /_local/static/<name>``."""
    return [Route(STATIC, _answer)]


def _answer(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    path = str(environ.get("PATH_INFO", ""))
    if path not in _ASSETS:
        return json_response(start_response, "404 Not Found", {"message": f"No route for {path}."})
    content_type, payload = _ASSETS[path]
    start_response(
        "200 OK", [("Content-Type", content_type), ("Content-Length", str(len(payload)))]
    )
    return [payload]
