"""The shipped notebooks run headless (nbclient) from top to bottom, on the embedded default service.

The kernel gets a fresh ``FIREFLY_HOME`` and no ``FIREFLY_API_URL``, exactly like a new user: the
SDK starts the local service itself. The quickstart runs first and the browser notebook then shows
the tasks it made. Afterwards the embedded service is stopped with the SDK's ``stop_service``.
A notebook passes when every cell ran, no cell has an error output and nothing printed a traceback
(a background thread's failure lands on stderr, not in an error output).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from firefly_widgets.sdk.embedded import stop_service

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"


@pytest.fixture(scope="module")
def embedded_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh FIREFLY_HOME for the kernels, with FIREFLY_API_URL / FIREFLY_TOKEN unset."""
    home = tmp_path_factory.mktemp("firefly-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FIREFLY_HOME", str(home))
        mp.delenv("FIREFLY_API_URL", raising=False)
        mp.delenv("FIREFLY_TOKEN", raising=False)
        mp.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        mp.setenv("IPYTHONDIR", str(home / "ipython"))
        yield home
    stop_service(home)  # the embedded service is detached: it outlives the kernels


def execute(path: Path, workdir: Path) -> nbformat.NotebookNode:
    """Run a notebook with nbclient in ``workdir``; raise CellExecutionError on the first failing cell."""
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", f"{path.name}: no python3 kernelspec"
    client = NotebookClient(nb, timeout=240, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    client.execute()
    return nb


def problems(nb: nbformat.NotebookNode) -> list[str]:
    """Error outputs, tracebacks on stderr and cells that did not run, one line each."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("execution_count") is None:
            found.append(f"cell {index} did not run")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
            elif output.get("output_type") == "stream" and "Traceback" in output.get("text", ""):
                found.append(f"cell {index} printed a traceback: {output['text'][-400:]}")
    return found


def widget_models(nb: nbformat.NotebookNode) -> list[str]:
    """The widget view model names the notebook displayed (from the saved widget state)."""
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    return [o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
            for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]


def stdout(nb: nbformat.NotebookNode) -> str:
    """Everything the notebook printed."""
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


@pytest.mark.parametrize("name", ["quickstart.ipynb", "browse.ipynb"])
def test_notebook_runs_cleanly(name: str, embedded_home: Path, tmp_path: Path) -> None:
    nb = execute(NOTEBOOKS / name, tmp_path)

    assert problems(nb) == []
    assert widget_models(nb), f"{name} displayed no widget"
    # The SDK started the embedded service in the temporary home, not anywhere else.
    assert (embedded_home / "token").exists()
    if name == "quickstart.ipynb":  # it went all the way: trained, predicted, and the model is useful
        match = re.search(r"accuracy on the new flowers: (\d+)%", stdout(nb))
        assert match is not None, stdout(nb)[-500:]
        assert int(match.group(1)) >= 80
