"""GetLogEvents on streams whose oldest events were dropped: tokens that keep their place.

moto's tokens are indexes into the stream's current list of events, so once the oldest events
of a stream are dropped (``store``, bounding the server's memory) a kept forward token would
skip as many new events. This is moto's ``LogStream.get_log_events`` counting positions from
the stream's first event ever (``log_tokens``): a token kept across a drop resumes where it
was, or at the oldest event still held when its place was dropped. Without a drop the answers
are moto's, token for token.

With ``startTime`` or ``endTime`` the events outside the window are passed over but still
counted (moto counts only those inside), which keeps positions one numbering for any request.
"""

from __future__ import annotations

from typing import Any

from moto.logs.exceptions import InvalidParameterException
from moto.logs.models import LogEvent, LogStream

from ecs_pipelines.local.moto_bridge.store import dropped_events
from ecs_pipelines.local.rules import make_token, parse_token

# GetLogEvents returns at most 10,000 events per call, the default (API reference: limit).
_DEFAULT_LIMIT = 10_000

Page = tuple[list[dict[str, Any]], str, str]


def get_log_events(
    self: LogStream,
    start_time: int | None,
    end_time: int | None,
    limit: int | None,
    next_token: str | None,
    start_from_head: bool,
) -> Page:
    """moto's ``LogStream.get_log_events`` (same arguments, same answers) on positions that
    count the stream's dropped events too."""
    limit = limit or _DEFAULT_LIMIT
    parsed = None
    if next_token is not None:
        parsed = parse_token(next_token)
        if parsed is None:
            raise InvalidParameterException("The specified nextToken is invalid.")
    # Sorted as moto sorts them (stable: same timestamp, order of writing).
    events = sorted(self.events, key=lambda event: event.timestamp)
    first = dropped_events(self)
    last = first + len(events) - 1

    def inside(event: LogEvent) -> bool:
        if start_time and event.timestamp < start_time:
            return False
        return not (end_time and event.timestamp > end_time)

    def forward(start: int) -> Page:
        start = max(start, first)
        if start > last:
            return [], make_token("b", last), make_token("f", last)
        page: list[dict[str, Any]] = []
        end = start
        for end in range(start, last + 1):
            event = events[end - first]
            if inside(event):
                page.append(event.to_response_dict())
                if len(page) == limit:
                    break
        return page, make_token("b", start), make_token("f", end)

    def backward(end: int) -> Page:
        end = min(end, last)
        if end < first:
            return [], make_token("b", first), make_token("f", first)
        page: list[dict[str, Any]] = []
        start = end
        for start in range(end, first - 1, -1):
            event = events[start - first]
            if inside(event):
                page.append(event.to_response_dict())
                if len(page) == limit:
                    break
        page.reverse()
        return page, make_token("b", start), make_token("f", end)

    if parsed is None:
        return forward(first) if start_from_head else backward(last)
    direction, position = parsed
    return forward(position + 1) if direction == "f" else backward(position - 1)
