"""`make lab` starts JupyterLab on notebooks/ with the project's kernel and serves the lab page.

The test runs the Makefile target itself (``make lab PORT=<free port>``) with a random token, a
throw-away Jupyter configuration and runtime folder and ``--no-browser``; it waits for ``/lab`` to
answer 200, checks what is served, and stops the server (its whole process group) before it
returns.  ``VENV`` is the environment running the tests and ``-o <stamp>`` keeps make from
reinstalling it: in a clone where ``make test`` runs, that is the ``.venv`` the bootstrap made.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
START_TIMEOUT = 90.0  # seconds; JupyterLab starts in a few on an idle machine

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="`make lab` needs make")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen, grace: float = 20.0) -> None:
    """Terminate the process group this test started (make and JupyterLab), then kill what lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)
    # make may have exited while the server it started still runs: end the whole group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(5)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_make_lab_serves_the_notebooks_with_the_project_kernel(tmp_path):
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_TOKEN": token,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    stamp = pathlib.Path(sys.prefix) / ".installed"
    command = ["make", "-s", "-o", str(stamp), "lab", f"VENV={sys.prefix}", f"PORT={port}", "LAB_ARGS=--no-browser"]
    log_path = tmp_path / "lab.log"
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        status, page = 0, b""
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"make lab exited with {proc.returncode}:\n{log_path.read_text()}")
            with contextlib.suppress(OSError):
                status, page = _get(f"{base}/lab?token={token}")
                if status == 200:
                    break
            time.sleep(0.5)
        assert status == 200, f"/lab did not answer 200 within {START_TIMEOUT:.0f} s:\n{log_path.read_text()}"
        assert b"<title>JupyterLab</title>" in page

        # the token is required: the server is not open to anyone on the machine
        assert _get(f"{base}/api/contents")[0] == 403

        # served from notebooks/: the committed notebooks are at the root of the file browser
        status, body = _get(f"{base}/api/contents?token={token}")
        assert status == 200
        served = {item["name"] for item in json.loads(body)["content"]}
        assert {p.name for p in (ROOT / "notebooks").glob("*.ipynb")} <= served

        # the project's kernel: the default python3 kernel runs the environment's own python
        status, body = _get(f"{base}/api/kernelspecs?token={token}")
        specs = json.loads(body)
        assert specs["default"] == "python3"
        argv0 = specs["kernelspecs"]["python3"]["spec"]["argv"][0]
        assert os.path.abspath(argv0).startswith(os.path.abspath(sys.prefix) + os.sep), argv0

        # the URL to open is printed
        assert f":{port}/lab?token=" in log_path.read_text()
    finally:
        _stop(proc)
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pytest.fail(f"port {port} still answers after the server was stopped")
