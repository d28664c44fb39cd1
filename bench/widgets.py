"""Benchmark of the live widgets against a real service: latency, poller CPU, bytes per changed row.

Prints three figures (aims from issue 4 in brackets):

1. the p50 / p95 delay from a state change in the service (a pause or resume sent through the SDK)
   to the ``state`` traitlet change of a ``TaskWidget`` in this process  [p50 <= 1 s];
2. the CPU used by the poller with 20 live ``TaskWidget`` objects, as a share of one core: the
   poller thread's own CPU time and the whole process's, over a wall-clock window  [<= 2 %];
3. the bytes sent to the browser when one row of a 50-row ``TaskBrowser`` page changes: every comm
   message of the table is recorded by a recording comm installed in place of the default one, and
   its JSON payload plus binary buffers counted  [well under 1 KB].

Usage::

    python bench/widgets.py                 # starts its own service on a temporary home
    python bench/widgets.py --quick         # fewer repetitions (about a minute)
    python bench/widgets.py --url URL --token TOKEN   # use a running service instead

The widgets run without a front end here: ipywidgets then talks to a comm that sends nothing, which
this script replaces with one that records what it would have sent.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import comm  # noqa: E402  (the comm package ipywidgets uses; patched below before any widget exists)
from comm.base_comm import BaseComm  # noqa: E402

# -- recording comm -----------------------------------------------------------------------------------


class RecordingComm(BaseComm):
    """A comm that sends nothing and records the size of every message it would send."""

    log: list[tuple[float, str, str, int]] = []  # (time, comm_id, method, bytes), shared by all comms
    lock = threading.Lock()

    def publish_msg(self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None,
                    **keys: Any) -> None:
        payload = len(json.dumps(data or {}, separators=(",", ":"), default=str).encode())
        payload += sum(len(memoryview(b).cast("B")) for b in (buffers or []))
        method = (data or {}).get("method", msg_type) if isinstance(data, dict) else msg_type
        with RecordingComm.lock:
            RecordingComm.log.append((time.monotonic(), self.comm_id, str(method), payload))

    @classmethod
    def messages(cls, comm_id: str, since: float) -> list[tuple[float, str, str, int]]:
        with cls.lock:
            return [m for m in cls.log if m[1] == comm_id and m[0] >= since]


comm.create_comm = lambda *args, **kwargs: RecordingComm(*args, **kwargs)

# Imported after the patch on purpose: the widgets must pick up the recording comm.
from firefly_widgets import sdk  # noqa: E402
from firefly_widgets.widgets.poller import get_poller  # noqa: E402

# -- helpers ----------------------------------------------------------------------------------------


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll ``condition`` until truthy; raise TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@contextmanager
def service(url: str | None, token: str | None) -> Iterator[tuple[str, str]]:
    """A service to measure against: the given one, or a fresh one on a temporary home."""
    if url:
        yield url, token or ""
        return
    with tempfile.TemporaryDirectory(prefix="ff-bench-") as home:
        log = open(Path(home) / "service.log", "wb")  # noqa: SIM115  (closed below)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        proc = subprocess.Popen(
            [sys.executable, "-m", "firefly_widgets", "serve", "--home", home, "--host", "127.0.0.1",
             "--port", "0"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            server_json = Path(home) / "server.json"
            wait_until(lambda: server_json.exists() or proc.poll() is not None, 60, "the service to start")
            if proc.poll() is not None:
                raise RuntimeError(f"the service exited: {(Path(home) / 'service.log').read_text()[-2000:]}")
            info = json.loads(server_json.read_text())
            yield info["url"], info["token"]
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def make_dataset(client: Any, name: str) -> int:
    """Upload iris and create a classification dataset; return its id."""
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    buffer = io.BytesIO(frame.to_csv(index=False).encode())
    source = client.request("POST", "datasources/upload", data={"name": f"{name}.csv"},
                            files={"file": (f"{name}.csv", buffer, "text/csv")})
    dataset = client.request("POST", "datasets", json={"name": name, "data_id": source["id"], "header": True,
                                                       "target": "target", "problem_type": "classification"})
    wait_until(lambda: client.request("GET", f"datasets/{dataset['id']}")["state"] == "AVAILABLE", 60,
               "the dataset")
    return int(dataset["id"])


def create_task(client: Any, dataset_id: int, name: str, timeout: int) -> int:
    answer = client.request("POST", "tasks", json={"name": name, "dataset_id": dataset_id, "timeout": timeout})
    return int(answer["task_id"] if "task_id" in answer else answer["id"])


def pretend_displayed(widget: Any) -> Any:
    """Count one view of the widget, as a front end does when it shows it (so it polls as if on screen)."""
    widget._view_count = 1
    widget.view._view_count = 1
    return widget


def state_of(client: Any, task_id: int) -> str:
    return client.request("GET", f"tasks/{task_id}")["state"]


def thread_cpu(native_id: int | None) -> float:
    """CPU seconds (user + system) used so far by one thread of this process."""
    import psutil

    if native_id is None:
        return 0.0
    for thread in psutil.Process().threads():
        if thread.id == native_id:
            return thread.user_time + thread.system_time
    return 0.0


def process_cpu() -> float:
    """CPU seconds used so far by this process (all threads, not children)."""
    times = os.times()
    return times.user + times.system


def envelope_bytes() -> int:
    """Bytes a Jupyter ``comm_msg`` adds around its ``data`` (headers, parent header, comm id) as JSON."""
    from jupyter_client.session import Session

    session = Session(username="user")
    msg = session.msg("comm_msg", content={"comm_id": "0" * 32, "data": {}},
                      parent=session.msg_header("execute_request"))
    wire = {key: msg[key] for key in ("header", "parent_header", "metadata", "content", "msg_id", "msg_type")}
    return len(json.dumps({**wire, "channel": "iopub", "buffers": []}, default=str)) - len("{}")


# -- 1. service -> traitlet latency -----------------------------------------------------------------


def bench_latency(client: Any, dataset_id: int, repeats: int, max_gap: float) -> dict[str, Any]:
    """Pause and resume a running task through the SDK; time until TaskWidget.state follows.

    Between two flips the task stays as it is for a random 0.5 s to ``max_gap`` seconds.
    """
    from firefly_widgets.widgets.task_widget import TaskWidget

    task_id = create_task(client, dataset_id, f"bench-latency-{os.getpid()}", timeout=600)
    widget = pretend_displayed(TaskWidget(task_id))
    changes: list[tuple[float, str]] = []
    widget.observe(lambda change: changes.append((time.monotonic(), change["new"])), names="state")
    delays: dict[str, list[float]] = {"pause": [], "resume": []}
    rng = random.Random(4)
    try:
        wait_until(lambda: widget.state == "RUNNING", 60, "the task to run")
        for _ in range(repeats):
            for action, target in (("pause", "PAUSED"), ("resume", "RUNNING")):
                sdk.Task.pause_task(task_id) if action == "pause" else sdk.Task.resume_task(task_id)
                changed_at = time.monotonic()  # the service has applied the change when the call returns
                assert state_of(client, task_id) in (target, "QUEUED"), "the service did not apply the change"
                seen = wait_until(lambda t=target, c=changed_at: next(
                    (when for when, state in changes if when >= c and state == t), None), 30, f"state {target}")
                delays[action].append(seen - changed_at)
                # A random pause before the next flip, so that changes land at every phase of the polling
                # cycle (a fixed one phase-locks with it) and the task stays paused long enough to slow down.
                time.sleep(rng.uniform(0.5, max_gap))
    finally:
        widget.close()
        sdk.Task.cancel_task(task_id)
    every = delays["pause"] + delays["resume"]
    return {"n": len(every), "p50": percentile(every, 50), "p95": percentile(every, 95),
            "pause_p50": percentile(delays["pause"], 50), "resume_p50": percentile(delays["resume"], 50)}


# -- 2. poller CPU with 20 live widgets -------------------------------------------------------------


def bench_poller_cpu(client: Any, dataset_id: int, widgets_count: int, window: float) -> dict[str, Any]:
    """Keep ``widgets_count`` TaskWidgets on live tasks and measure this process's CPU over ``window``."""
    from firefly_widgets.widgets.task_widget import TaskWidget

    ids = [create_task(client, dataset_id, f"bench-cpu-{os.getpid()}-{i}", timeout=600)
           for i in range(widgets_count)]
    shown = [pretend_displayed(TaskWidget(task_id)) for task_id in ids]
    try:
        wait_until(lambda: all(w.state for w in shown), 60, "every widget's first update")
        time.sleep(2.0)  # past the first fetches (progress back-fill) into the steady state
        poller_thread = get_poller().thread
        native_id = poller_thread.native_id if poller_thread is not None else None
        states = [w.state for w in shown]
        start_wall, start_proc, start_thread = time.monotonic(), process_cpu(), thread_cpu(native_id)
        time.sleep(window)
        wall = time.monotonic() - start_wall
        proc_share = (process_cpu() - start_proc) / wall
        thread_share = (thread_cpu(native_id) - start_thread) / wall
    finally:
        for widget in shown:
            widget.close()
        for task_id in ids:
            try:
                sdk.Task.cancel_task(task_id)
            except sdk.FireflyError:
                pass  # already final
    return {"widgets": widgets_count, "window": wall, "poller_thread": thread_share, "process": proc_share,
            "states": {s: states.count(s) for s in sorted(set(states))}}


# -- 3. bytes per changed row of a 50-row TaskBrowser page -----------------------------------------


def bench_browser_bytes(client: Any, dataset_id: int, rows: int, window: float) -> dict[str, Any]:
    """50 tasks on one page, one of them running: record what the table sends per refresh."""
    from firefly_widgets.widgets.browser import TaskBrowser

    tag = f"bench-rows-{os.getpid()}"
    quiet = []
    for i in range(rows - 1):
        task_id = create_task(client, dataset_id, f"{tag}-{i:02d}", timeout=600)
        sdk.Task.cancel_task(task_id)
        quiet.append(task_id)
    for task_id in quiet:
        wait_until(lambda t=task_id: state_of(client, t) == "CANCELED", 30, f"task {task_id} canceled")
    live = create_task(client, dataset_id, f"{tag}-live", timeout=600)
    browser = TaskBrowser(search=tag, page_size=rows, fast_interval=1.0)
    comm_id = browser.table.comm.comm_id
    try:
        wait_until(lambda: len(browser.rows) == rows, 30, f"a page of {rows} rows")
        page_messages = [m for m in RecordingComm.messages(comm_id, 0) if m[2] == "custom"]
        start = time.monotonic()
        time.sleep(window)
        custom = [m for m in RecordingComm.messages(comm_id, start) if m[2] == "custom"]
        other = [m for m in RecordingComm.messages(comm_id, start) if m[2] != "custom"]
        patch_sizes = [size for kind, size in browser.sent_sizes if kind == "patch"]
    finally:
        browser.close()
        sdk.Task.cancel_task(live)
    sizes = [m[3] for m in custom]
    return {"rows": rows, "page_bytes": page_messages[0][3] if page_messages else None,
            "patches": len(sizes), "patch_p50": percentile(sizes, 50) if sizes else None,
            "patch_max": max(sizes) if sizes else None, "state_updates": len(other),
            "state_update_bytes": sum(m[3] for m in other),
            "browser_reported_patch_p50": percentile(patch_sizes, 50) if patch_sizes else None}


# -- main -------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="a running service (default: start one)")
    parser.add_argument("--token", default=None, help="its token")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    repeats, window, max_gap = (4, 8.0, 3.0) if args.quick else (10, 20.0, 7.0)

    with service(args.url, args.token) as (url, token):
        client = sdk.connect(url, token=token)
        dataset_id = make_dataset(client, f"bench-iris-{os.getpid()}")
        print(f"service {url}; dataset {dataset_id}")

        lat = bench_latency(client, dataset_id, repeats, max_gap)
        print(f"1. service state change -> TaskWidget.state: n={lat['n']} p50={lat['p50']:.2f} s "
              f"p95={lat['p95']:.2f} s (pause p50 {lat['pause_p50']:.2f} s, resume p50 {lat['resume_p50']:.2f} s)"
              "  [aim p50 <= 1 s]")

        cpu = bench_poller_cpu(client, dataset_id, 20, window)
        print(f"2. poller CPU with {cpu['widgets']} live TaskWidgets over {cpu['window']:.0f} s: poller thread "
              f"{cpu['poller_thread']:.2%} of a core, whole process {cpu['process']:.2%} "
              f"(task states {cpu['states']})  [aim <= 2%]")

        rows = bench_browser_bytes(client, dataset_id, 50, window)
        print(f"3. TaskBrowser, {rows['rows']}-row page with one running task: full page "
              f"{rows['page_bytes']} B; {rows['patches']} patches in the window, p50 {rows['patch_p50']} B, "
              f"max {rows['patch_max']} B; plus {rows['state_updates']} trait updates "
              f"({rows['state_update_bytes']} B)  [aim well under 1 KB]")
        print(f"   (payload = the comm message's data JSON + buffers; a Jupyter message envelope adds about "
              f"{envelope_bytes()} B on the wire to each message)")
    get_poller().stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
