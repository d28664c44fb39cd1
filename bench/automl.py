"""Test scores of the local engine against FLAML's AutoML and untuned HistGradientBoosting.

Six or more real datasets that ship inside installed packages (no downloads): scikit-learn's breast
cancer, digits and diabetes; Palmer penguins (``palmerpenguins``: strings and missing values);
vega's cars (``vega_datasets``: missing values, a string column); plotly's gapminder (strings). Each is
split once (seed 0, 25% test, stratified for classification); every tool trains on the same train
part with the same budget and is scored on the same test part (AUC for binary, accuracy for
multiclass, R² for regression; all larger-is-better).

The engine runs through the SDK and a real local service (``--mode service``, the default: upload,
dataset, task with ``timeout`` = budget, prediction on the test part, download) or directly
(``--mode direct``: ``run_task`` with an in-memory recorder and ``predict_csv``). FLAML gets the same
budget and the same number of cores as the service's training worker (``--cores``, default 1: the
service keeps one of the two cores for itself).

    python bench/automl.py                         # 30 s and 60 s budgets, every dataset
    python bench/automl.py --budgets 10 --datasets breast_cancer,cars --mode direct

Prints one row per dataset and budget with the three test scores and the ratios ours/FLAML and
ours/HGB, then the median ratio to FLAML per budget and the worst ratio to HGB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.model_selection import train_test_split

SEED = 0


@dataclass
class Bench:
    name: str
    frame: pd.DataFrame
    target: str
    problem_type: str  # "classification" | "regression"
    metric: str  # our TargetMetric: auc | accuracy | r2


def _breast_cancer() -> Bench:
    from sklearn.datasets import load_breast_cancer

    return Bench("breast_cancer", load_breast_cancer(as_frame=True).frame, "target", "classification", "auc")


def _digits() -> Bench:
    from sklearn.datasets import load_digits

    frame = load_digits(as_frame=True).frame
    return Bench("digits", frame, "target", "classification", "accuracy")


def _diabetes() -> Bench:
    from sklearn.datasets import load_diabetes

    return Bench("diabetes", load_diabetes(as_frame=True, scaled=False).frame, "target", "regression", "r2")


def _penguins() -> Bench:
    import palmerpenguins

    frame = palmerpenguins.load_penguins().dropna(subset=["species"])
    return Bench("penguins", frame, "species", "classification", "accuracy")


def _cars() -> Bench:
    from vega_datasets import local_data

    frame = local_data.cars().drop(columns=["Name"]).dropna(subset=["Miles_per_Gallon"])
    frame["Year"] = pd.to_datetime(frame["Year"]).dt.year
    return Bench("cars", frame, "Miles_per_Gallon", "regression", "r2")


def _gapminder() -> Bench:
    import gzip

    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "datasets" / "gapminder.csv.gz"
    with gzip.open(path) as f:
        frame = pd.read_csv(f)
    frame = frame[["country", "continent", "year", "pop", "gdpPercap", "lifeExp"]]
    return Bench("gapminder", frame, "lifeExp", "regression", "r2")


LOADERS: dict[str, Callable[[], Bench]] = {
    "breast_cancer": _breast_cancer, "digits": _digits, "penguins": _penguins, "diabetes": _diabetes,
    "cars": _cars, "gapminder": _gapminder,
}


def split(bench: Bench) -> tuple[pd.DataFrame, pd.DataFrame]:
    stratify = bench.frame[bench.target] if bench.problem_type == "classification" else None
    train, test = train_test_split(bench.frame, test_size=0.25, random_state=SEED, stratify=stratify)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def score(bench: Bench, y_true: pd.Series, labels: np.ndarray, proba: np.ndarray | None,
          classes: list[str] | None) -> float:
    if bench.metric == "auc":
        positive = classes.index(str(sorted(y_true.astype(str).unique())[1]))
        return float(skm.roc_auc_score((y_true.astype(str) == classes[positive]).astype(int), proba[:, positive]))
    if bench.metric == "accuracy":
        return float(skm.accuracy_score(y_true.astype(str), np.asarray(labels).astype(str)))
    return float(skm.r2_score(y_true.astype(float), np.asarray(labels, dtype=float)))


# --- the peers ---------------------------------------------------------------------------------------

def _features(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    x = frame.drop(columns=[target]).copy()
    for col in x.columns:
        if not pd.api.types.is_numeric_dtype(x[col]):
            x[col] = x[col].astype("category")
    return x


def _aligned_categories(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    test = test.copy()
    for col in train.columns:
        if isinstance(train[col].dtype, pd.CategoricalDtype):
            test[col] = pd.Categorical(test[col], categories=train[col].cat.categories)
    return test


def run_hgb(bench: Bench, train: pd.DataFrame, test: pd.DataFrame) -> float:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    x_train = _features(train, bench.target)
    x_test = _aligned_categories(x_train, _features(test, bench.target))
    if bench.problem_type == "classification":
        y = train[bench.target].astype(str)
        model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=SEED).fit(x_train, y)
        classes = [str(c) for c in model.classes_]
        return score(bench, test[bench.target], model.predict(x_test), model.predict_proba(x_test), classes)
    model = HistGradientBoostingRegressor(categorical_features="from_dtype", random_state=SEED)
    model.fit(x_train, train[bench.target])
    return score(bench, test[bench.target], model.predict(x_test), None, None)


def run_flaml(bench: Bench, train: pd.DataFrame, test: pd.DataFrame, budget: float, cores: int) -> float:
    from flaml import AutoML

    x_train = _features(train, bench.target)
    x_test = _aligned_categories(x_train, _features(test, bench.target))
    automl = AutoML()
    metric = {"auc": "roc_auc", "accuracy": "accuracy", "r2": "r2"}[bench.metric]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if bench.problem_type == "classification":
            y = train[bench.target].astype(str)
            automl.fit(x_train, y, task="classification", metric=metric, time_budget=budget, seed=SEED,
                       n_jobs=cores, verbose=0)
            classes = [str(c) for c in automl.classes_]
            return score(bench, test[bench.target], automl.predict(x_test), automl.predict_proba(x_test), classes)
        automl.fit(x_train, train[bench.target], task="regression", metric=metric, time_budget=budget, seed=SEED,
                   n_jobs=cores, verbose=0)
        return score(bench, test[bench.target], automl.predict(x_test), None, None)


# --- the engine ----------------------------------------------------------------------------------------

def _our_score(bench: Bench, test: pd.DataFrame, predictions: pd.DataFrame) -> float:
    labels = predictions["prediction"].to_numpy()
    if bench.problem_type == "classification":
        classes = [c[len("probability_"):] for c in predictions.columns if c.startswith("probability_")]
        proba = predictions[[f"probability_{c}" for c in classes]].to_numpy()
        return score(bench, test[bench.target], labels, proba, classes)
    return score(bench, test[bench.target], labels, None, None)


def run_direct(bench: Bench, train: pd.DataFrame, test: pd.DataFrame, budget: float, cores: int,
               workdir: str) -> float:
    from firefly_widgets.engine import TrainingSpec, describe_dataset, predict_csv, run_task, validate_task_config
    from firefly_widgets.engine.memory_recorder import MemoryRecorder

    folder = tempfile.mkdtemp(dir=workdir)
    train_path, test_path, out = (os.path.join(folder, n) for n in ("train.csv", "test.csv", "pred.csv"))
    train.to_csv(train_path, index=False)
    test.drop(columns=[bench.target]).to_csv(test_path, index=False)
    meta = describe_dataset(train_path, target=bench.target, problem_type=bench.problem_type)
    dataset = {"problem_type": bench.problem_type, "target": bench.target, "meta": meta}
    config = validate_task_config({"target_metric": bench.metric}, dataset=dataset)
    recorder = MemoryRecorder()
    run_task(TrainingSpec(task_id=1, data_path=train_path, dataset=dataset, config=config,
                          work_dir=os.path.join(folder, "work"), time_budget=budget, n_jobs=cores, seed=SEED),
             recorder)
    best = recorder.results["chosen_ensemble"]["ensemble_id"]
    manifest = next(e["manifest"] for e in recorder.ensembles if e["id"] == best)
    predict_csv(manifest, work_dir=os.path.join(folder, "work"), data_path=test_path, out_path=out)
    return _our_score(bench, test, pd.read_csv(out))


class Service:
    """A real local service in a temporary home, and an SDK client connected to it."""

    def __init__(self, home: str):
        self.home = home
        self.log = open(os.path.join(home, "service.log"), "w")  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen([sys.executable, "-m", "firefly_widgets", "serve", "--home", home,
                                      "--host", "127.0.0.1", "--port", "0"], stdout=subprocess.DEVNULL,
                                     stderr=self.log)
        deadline = time.monotonic() + 60
        info_path = os.path.join(home, "server.json")
        while not os.path.exists(info_path):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"the service did not start; see {home}/service.log")
            time.sleep(0.1)
        time.sleep(0.2)
        with open(info_path, encoding="utf-8") as f:
            info = json.load(f)
        import firefly_widgets

        self.client = firefly_widgets.connect(info["url"], info["token"])

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def _wait(fetch: Callable[[], dict], field: str, final: set[str], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        obj = fetch()
        if obj.get(field) in final:
            return obj
        if time.monotonic() > deadline:
            raise TimeoutError(f"still {obj.get(field)} after {timeout} s")
        time.sleep(0.5)


def run_service(bench: Bench, train: pd.DataFrame, test: pd.DataFrame, budget: float, service: Service,
                tag: str) -> float:
    from firefly_widgets.sdk import Dataset, Datasource, Prediction, Task
    from firefly_widgets.sdk.enums import ProblemType, TargetMetric

    name = f"{bench.name}-{tag}"
    source = Datasource.create_from_dataframe(train, f"{name}-train", wait=True)
    dataset = Dataset.create(source["id"], name, target=bench.target, problem_type=ProblemType(bench.problem_type),
                             wait=True)
    task = Task.create(name, dataset["id"], target_metric=TargetMetric(bench.metric), timeout=int(budget))
    task_id = task["task_id"] if "task_id" in task else task["id"]
    done = _wait(lambda: Task.get(task_id).to_dict(), "state", {"COMPLETED", "FAILED", "CANCELED"}, budget * 3 + 120)
    if done["state"] != "COMPLETED":
        raise RuntimeError(f"task {task_id} {done['state']}: {done.get('error')}")
    test_source = Datasource.create_from_dataframe(test.drop(columns=[bench.target]), f"{name}-test", wait=True)
    prediction = Prediction.create(done["ensemble_id"], test_source["id"])
    _wait(lambda: Prediction.get(prediction["id"]).to_dict(), "stage", {"COMPLETED", "FAILED"}, 300)
    out = os.path.join(service.home, f"{name}.csv")
    Prediction.download(prediction["id"], out)
    return _our_score(bench, test, pd.read_csv(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budgets", default="30,60", help="comma-separated seconds (default 30,60)")
    parser.add_argument("--datasets", default=",".join(LOADERS), help="comma-separated names")
    parser.add_argument("--mode", choices=["service", "direct"], default="service")
    parser.add_argument("--cores", type=int, default=1, help="cores for FLAML and the direct engine (default 1)")
    parser.add_argument("--json", help="also write the rows as JSON to this file")
    args = parser.parse_args(argv)
    budgets = [float(b) for b in args.budgets.split(",")]
    workdir = tempfile.mkdtemp(prefix="ff-bench-")
    service = Service(workdir) if args.mode == "service" else None
    rows = []
    try:
        for name in args.datasets.split(","):
            try:
                bench = LOADERS[name]()
            except ImportError as err:
                print(f"skip {name}: {err} (pip install -e '.[dev]')", file=sys.stderr)
                continue
            train, test = split(bench)
            hgb = run_hgb(bench, train, test)
            for budget in budgets:
                start = time.monotonic()
                if service is not None:
                    ours = run_service(bench, train, test, budget, service, f"{int(budget)}s")
                else:
                    ours = run_direct(bench, train, test, budget, args.cores, workdir)
                ours_s = time.monotonic() - start
                start = time.monotonic()
                flaml = run_flaml(bench, train, test, budget, args.cores)
                flaml_s = time.monotonic() - start
                row = {"dataset": name, "rows": len(bench.frame), "metric": bench.metric, "budget": budget,
                       "ours": ours, "flaml": flaml, "hgb": hgb, "vs_flaml": ours / flaml, "vs_hgb": ours / hgb,
                       "ours_seconds": ours_s, "flaml_seconds": flaml_s}
                rows.append(row)
                print(f"{name:14s} {bench.metric:8s} {budget:4.0f}s  ours {ours:.4f} ({ours_s:.0f} s)  flaml "
                      f"{flaml:.4f} ({flaml_s:.0f} s)  hgb {hgb:.4f}  ours/flaml {ours / flaml:.4f}  "
                      f"ours/hgb {ours / hgb:.4f}", flush=True)
    finally:
        if service is not None:
            service.close()
    print()
    print(f"mode: {args.mode}, cores: {args.cores}; wall seconds in parentheses (ours: upload to downloaded "
          "predictions; FLAML: fit)")
    print("| dataset | rows | metric | budget | ours | FLAML | HGB | ours/FLAML | ours/HGB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['dataset']} | {r['rows']} | {r['metric']} | {r['budget']:.0f} s | {r['ours']:.4f} "
              f"({r['ours_seconds']:.0f} s) | {r['flaml']:.4f} ({r['flaml_seconds']:.0f} s) | {r['hgb']:.4f} | "
              f"{r['vs_flaml']:.4f} | {r['vs_hgb']:.4f} |")
    for budget in budgets:
        ratios = [r["vs_flaml"] for r in rows if r["budget"] == budget]
        hgb = [r["vs_hgb"] for r in rows if r["budget"] == budget]
        if ratios:
            print(f"budget {budget:.0f} s: median ours/FLAML {statistics.median(ratios):.4f}, "
                  f"worst ours/HGB {min(hgb):.4f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
