"""Latency of the local service under many pollers, with a large store.

Seeds a fresh home with 10,000 tasks (and a progress history for some) directly in SQLite, starts the
real service on it, then runs 50 concurrent pollers (threads in separate processes, each with its own
HTTP session) that each, once per ``--interval`` seconds, call: list (a page of 50, sorted, filtered),
get one task, and its progress; each poller starts at a random phase of the interval, as independent
notebooks would. Prints p50 / p99 / max latency per call kind, in milliseconds, and the service's CPU.

    python bench/service.py                 # the defaults: 10,000 tasks, 50 pollers, 20 s
    python bench/service.py --interval 0    # as fast as the pollers can go (a saturation run)
    python bench/service.py --training 2    # while two tasks train in worker processes
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

STATES = ["COMPLETED"] * 6 + ["CANCELED", "FAILED", "PAUSED"]
PROBLEMS = ["classification", "regression"]


def seed(home: Path, n_tasks: int) -> None:
    from firefly_widgets.server.db import Database, dumps, now_iso

    db = Database(home / "firefly.db")
    stamp = now_iso()
    with db.tx() as con:
        con.execute("INSERT INTO datasources (name, state, row_count, data_size, path, na_values, analysis, "
                    "creation_date, last_update) VALUES ('bench', 'AVAILABLE', 150, 4000, '/dev/null', 'null', "
                    "'{}', ?, ?)", (stamp, stamp))
        con.execute("INSERT INTO datasets (name, datasource_id, problem_type, target, state, options, meta, "
                    "row_count, creation_date, last_update) VALUES ('bench', 1, 'classification', 'y', "
                    "'AVAILABLE', '{}', '{}', 150, ?, ?)", (stamp, stamp))
        rng = random.Random(0)
        rows = []
        for i in range(n_tasks):
            problem = rng.choice(PROBLEMS)
            config = {"name": f"bench-task-{i:05d}", "dataset_id": 1, "timeout": 60,
                      "target_metric": "recall_macro" if problem == "classification" else "r2"}
            rows.append((config["name"], 1, "bench", problem, config["target_metric"], "stratified",
                         rng.choice(STATES), dumps(config), f"notes {i}", 60.0, rng.random() * 60, i % 7,
                         rng.random(), rng.randint(1, 40), 20, stamp, stamp))
        con.executemany(
            "INSERT INTO tasks (name, dataset_id, dataset_name, problem_type, target_metric, splitting_strategy, "
            "state, config, notes, timeout, run_time_accum, generation, best_score, models_count, progress_count, "
            "creation_date, last_update) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        progress = []
        for task_id in range(1, n_tasks + 1, 10):
            generation = (task_id - 1) % 7
            for idx in range(20):
                progress.append((task_id, generation, idx, 1, 0.5 + idx / 50, idx * 2.5, 3,
                                 dumps(["random_forest", "logreg", "light_gradient_boosting"]), stamp))
        con.executemany("INSERT INTO progress VALUES (?,?,?,?,?,?,?,?,?)", progress)
    db.close()


def poller(url: str, token: str, n_tasks: int, threads: int, seconds: float, interval: float, out) -> None:
    samples: dict[str, list[float]] = {"list": [], "get": [], "progress": []}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop(seed_value: int) -> None:
        rng = random.Random(seed_value)
        session = requests.Session()
        params = {"jwt": token}
        if interval:  # pollers of different notebooks are not in step: each starts at its own phase
            time.sleep(rng.uniform(0, interval))
        while time.monotonic() < deadline:
            start_tick = time.monotonic()
            task_id = rng.randint(1, n_tasks)
            calls = [
                ("list", "tasks", {**params, "page": rng.randint(0, 20), "page_size": 50, "sort": "name:desc",
                                   "filter": ["state:COMPLETED", "state:PAUSED", "problem_type:classification"]}),
                ("get", f"tasks/{task_id}", params),
                ("progress", f"tasks/{1 + 10 * rng.randint(0, n_tasks // 10 - 1)}/progress", params),
            ]
            for kind, path, query in calls:
                t0 = time.perf_counter()
                response = session.get(f"{url}/{path}", params=query, timeout=30)
                elapsed = (time.perf_counter() - t0) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{path}: {response.status_code} {response.text[:200]}")
                with lock:
                    samples[kind].append(elapsed)
            if interval:
                time.sleep(max(0.0, interval - (time.monotonic() - start_tick)))

    workers = [threading.Thread(target=loop, args=(os.getpid() * 100 + i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put(samples)


def start_training(url: str, token: str, n: int, seconds: float) -> list[int]:
    """Start ``n`` real trainings (breast cancer data, ``seconds`` of budget each); returns their ids."""
    if n <= 0:
        return []
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    params = {"jwt": token}
    upload = requests.post(f"{url}/datasources/upload", params=params, data={"name": "bench-train"},
                           files={"file": ("bench.csv", frame.to_csv(index=False), "text/csv")}, timeout=60)
    upload.raise_for_status()
    dataset = requests.post(f"{url}/datasets", params=params, timeout=60, json={
        "name": "bench-train", "data_id": upload.json()["id"], "target": "target", "problem_type": "classification"})
    dataset.raise_for_status()
    ids = []
    for i in range(n):
        task = requests.post(f"{url}/tasks", params=params, timeout=60, json={
            "name": f"bench-train-{i}", "dataset_id": dataset.json()["id"], "timeout": seconds})
        task.raise_for_status()
        ids.append(task.json()["task_id"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        states = [requests.get(f"{url}/tasks/{t}", params=params, timeout=30).json()["state"] for t in ids]
        if all(s == "RUNNING" for s in states):
            return ids
        time.sleep(0.2)
    raise SystemExit(f"the training tasks did not start: {states}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--pollers", type=int, default=50)
    parser.add_argument("--processes", type=int, default=5, help="client processes the pollers are spread over")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a poller's rounds (0: none)")
    parser.add_argument("--training", type=int, default=0, help="tasks training while the pollers run")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="firefly-bench-"))
    t0 = time.perf_counter()
    seed(home, args.tasks)
    print(f"seeded {args.tasks} tasks in {time.perf_counter() - t0:.1f} s")
    service = subprocess.Popen([sys.executable, "-m", "firefly_widgets", "serve", "--home", str(home), "--port", "0"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                info = json.loads((home / "server.json").read_text())
                break
            except (OSError, ValueError):
                if time.monotonic() > deadline or service.poll() is not None:
                    raise SystemExit("the service did not start") from None
                time.sleep(0.1)
        url, token = info["url"], info["token"]
        requests.get(f"{url}/tasks", params={"jwt": token}, timeout=30).raise_for_status()
        training = start_training(url, token, args.training, args.seconds + 30)
        import psutil

        service_proc = psutil.Process(service.pid)
        cpu_before = sum(service_proc.cpu_times()[:2])
        queue: mp.Queue = mp.Queue()
        per = max(1, args.pollers // args.processes)
        procs = [mp.Process(target=poller, args=(url, token, args.tasks, per, args.seconds, args.interval, queue))
                 for _ in range(args.processes)]
        for p in procs:
            p.start()
        merged: dict[str, list[float]] = {"list": [], "get": [], "progress": []}
        for _ in procs:
            for kind, values in queue.get().items():
                merged[kind].extend(values)
        for p in procs:
            p.join()
        service_cpu = sum(service_proc.cpu_times()[:2]) - cpu_before
        still_running = [t for t in training if requests.get(f"{url}/tasks/{t}", params={"jwt": token},
                                                              timeout=30).json()["state"] == "RUNNING"]
    finally:
        service.terminate()
        service.wait(timeout=30)
    total = sum(len(v) for v in merged.values())
    print(f"{per * args.processes} pollers, {args.seconds:.0f} s, interval {args.interval} s: "
          f"{total} requests, {total / args.seconds:.0f} req/s")
    if args.training:
        print(f"{args.training} task(s) training during the run; {len(still_running)} still RUNNING at its end")
    print(f"service CPU: {service_cpu:.1f} s over {args.seconds:.0f} s ({100 * service_cpu / args.seconds:.0f}% of a "
          f"core), {1000 * service_cpu / max(total, 1):.2f} ms per request; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    print(f"{'call':<10}{'n':>8}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for kind, values in merged.items():
        print(f"{kind:<10}{len(values):>8}{statistics.median(values):>10.1f}{percentile(values, 0.99):>10.1f}"
              f"{max(values):>10.1f}")


if __name__ == "__main__":
    main()
