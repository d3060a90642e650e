"""Container Insights for the embedded ECS: each running task's CPU and memory, measured from
/proc (every process of every container of it) and written, as ECS writes them, as task
performance events to ``/aws/ecs/containerinsights/<cluster>/performance``, for tasks of a
cluster whose ``containerInsights`` setting is ``enabled`` or ``enhanced``.

One thread samples every task twice a second (one pass over /proc for all of them) and writes
an event per task a second; a task's last event is written when it finishes, before it shows
STOPPED, so a read after the stop sees all of its use. The events are the same the reader of
``ecs/usage`` gets from AWS (a minute apart there), and the task page draws them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ecs_pipelines.ecs.common import cluster_name, task_id
from ecs_pipelines.ecs.usage import performance_group, task_event
from ecs_pipelines.local.runtime.container_plan import LogTarget
from ecs_pipelines.local.runtime.proc_usage import MIB, ProcessTree
from ecs_pipelines.local.runtime.task_sink import TaskSink
from ecs_pipelines.local.runtime.task_state import TaskState

SAMPLE_SECONDS = 0.5
PUBLISH_SECONDS = 1.0
_log = logging.getLogger(__name__)


# What the runner holds live: each measured task and its running containers' init pids.
LiveRoots = Callable[[], dict[str, tuple[TaskState, dict[str, int]]]]


@dataclass
class _Meter:
    """One task's figures since its last event."""

    state: TaskState
    window_start: float  # epoch seconds
    published_cpu: float = 0.0
    exited_cpu: float = 0.0
    cpu_total: float = 0.0
    window_memory: int = 0


def _started(state: TaskState) -> float:
    return (state.started_at or state.pull_started_at or state.created_at).timestamp()


class UsageMeter:
    """Measures running tasks and writes their performance events through the sink."""

    def __init__(
        self,
        *,
        sink: TaskSink,
        lock: threading.RLock,
        live: LiveRoots,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sink = sink
        self._lock = lock
        self._live = live
        self._clock = clock
        self._meters: dict[str, _Meter] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ecs-usage-meter", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()

    # ---- told by the runner ----

    def container_exited(
        self, state: TaskState, cpu_seconds: float | None, peak_memory_bytes: int | None
    ) -> None:
        """A container's whole CPU time and memory peak, as its init process exited (a
        container too short for any sample still counts)."""
        if not state.launch.container_insights:
            return
        with self._lock:
            meter = self._meter(state)
            meter.exited_cpu += cpu_seconds or 0.0
            meter.cpu_total = max(meter.cpu_total, meter.exited_cpu)
            meter.window_memory = max(meter.window_memory, peak_memory_bytes or 0)

    def task_finished(self, state: TaskState) -> None:
        """The task's last event, for the time since its previous one (before it shows
        STOPPED: the caller publishes that after this returns)."""
        with self._lock:
            meter = self._meters.pop(state.task_arn, None)
        if meter is not None and not state.forgotten:
            self._publish(meter, self._clock())

    def _meter(self, state: TaskState) -> _Meter:
        meter = self._meters.get(state.task_arn)
        if meter is None:
            meter = _Meter(state=state, window_start=_started(state))
            self._meters[state.task_arn] = meter
        return meter

    # ---- the sampling thread ----

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            try:
                self.sample()
            except Exception:
                # A bad reading must not end the measuring of every other task.
                _log.exception("usage sample failed; continuing")

    def sample(self) -> None:
        """Read every running task's processes once, and write the events that are due."""
        with self._lock:
            if not self._live():
                return
        tree = ProcessTree()
        now = self._clock()
        due = []
        with self._lock:
            # Asked again after the read: a container that ended meanwhile counts by its
            # figure at exit (container_exited), not by what was read of it.
            for state, roots in self._live().values():
                if state.forgotten:  # the server was reset: nothing of it is written
                    continue
                meter = self._meter(state)
                cpu, memory = meter.exited_cpu, 0
                for pid in roots.values():
                    usage = tree.usage(pid)
                    if usage is not None:
                        cpu, memory = cpu + usage[0], memory + usage[1]
                meter.cpu_total = max(meter.cpu_total, cpu)
                meter.window_memory = max(meter.window_memory, memory)
                if now - meter.window_start >= PUBLISH_SECONDS:
                    due.append(meter)
        for meter in due:
            self._publish(meter, now)

    def _publish(self, meter: _Meter, now: float) -> None:
        state = meter.state
        launch = state.launch
        with self._lock:
            window = max(now - meter.window_start, 1e-3)
            used = max(0.0, meter.cpu_total - meter.published_cpu)
            memory = meter.window_memory
            meter.published_cpu, meter.window_start, meter.window_memory = (
                meter.cpu_total,
                now,
                0,
            )
            started = state.started_at or state.pull_started_at or state.created_at
            message = task_event(
                task_id=task_id(launch.task_arn),
                cluster=cluster_name(launch.cluster_arn),
                family=launch.task_definition_arn.rsplit("/", 1)[-1].split(":")[0],
                launch_type=launch.launch_type,
                started_at_ms=int(started.timestamp() * 1000),
                timestamp_ms=int(now * 1000),
                cpu_units_used=used / window * 1024,
                cpu_reserved=float(launch.cpu or 0),
                memory_mib_used=memory / MIB,
                memory_reserved=float(launch.memory or 0),
            )
            target = LogTarget(
                account_id=launch.task_arn.split(":")[4],
                region=launch.region,
                group=performance_group(cluster_name(launch.cluster_arn)),
                stream=f"FargateTelemetry-{task_id(launch.task_arn)}",
            )
            with contextlib.suppress(Exception):
                self._sink.write_logs(target, [{"timestamp": int(now * 1000), "message": message}])
