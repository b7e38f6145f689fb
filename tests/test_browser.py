"""The notebooks and the HTML report in a real browser: headless Chromium driven over the DevTools protocol.

JupyterLab is started by the test on 127.0.0.1 (a free port, a random token, the
repository as root, a throw-away settings folder with autosave off and every
cell attached to the page) and each notebook is opened the way a person opens
it.  JupyterLab renders on the client, so the checks run in the page: every
cell is there, the title is the notebook's ``# Title``, every PNG figure of the
committed outputs is shown as a loaded image, and no output is an error or
stderr text.  Then ``reports/index.html`` (or, when no report was built, a
small report made here from a tiny notebook) is opened from disk, every
thumbnail must load, every link must resolve, and a screenshot must not be
blank.  Screenshots go to ``$LUPUSSTATS_SCREENSHOTS`` when that is set.

Needs Debian's ``chromium`` (``apt-get install chromium``); skipped with that
reason otherwise.  The DevTools client is ``websocket-client``, a dependency of
jupyter_server.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--window-size=1280,1000",
]
LOAD_TIMEOUT = 45.0

if CHROMIUM is None:
    pytest.skip("Chromium not installed: apt-get install chromium", allow_module_level=True)
websocket = pytest.importorskip("websocket", reason="websocket-client (a jupyter_server dependency) is missing")


# ------------------------------------------------------------------------------------------ DevTools client


class DevTools:
    """A minimal Chrome DevTools protocol client over one websocket (flat sessions)."""

    def __init__(self, url: str):
        self.ws = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.next_id = 0

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 60.0):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"DevTools {method}: {reply['error']}")
                return reply.get("result", {})
        raise TimeoutError(f"DevTools {method}: no answer in {timeout} s")

    def close(self):
        with contextlib.suppress(Exception):
            self.ws.close()


class Page:
    """One browser tab."""

    def __init__(self, devtools: DevTools):
        self.dt = devtools
        target = devtools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = devtools.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable")

    def send(self, method, params=None, timeout=60.0):
        return self.dt.send(method, params, session=self.session, timeout=timeout)

    def goto(self, url: str):
        result = self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise RuntimeError(f"cannot open {url}: {result['errorText']}")
        loaded = self.wait_for(
            "document.readyState === 'complete' && document.body !== null && "
            f"location.href !== 'about:blank' && {json.dumps(result.get('loaderId', ''))} !== null",
            bool,
            timeout=30,
        )
        if not loaded:
            raise TimeoutError(f"{url} did not finish loading in 30 s")

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression: str, done, timeout: float = LOAD_TIMEOUT, interval: float = 0.25):
        """Evaluate `expression` until `done(value)`; return the last value (also on timeout)."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError:  # the page is still loading (no document body yet)
                value = None
            if value is not None and done(value):
                return value
            time.sleep(interval)
        return value

    def screenshot(self, full_page: bool = True) -> bytes:
        params = {"format": "png"}
        if full_page:
            size = self.send("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 6000), "scale": 1}
            params["captureBeyondViewport"] = True
        return base64.b64decode(self.send("Page.captureScreenshot", params)["data"])


# ------------------------------------------------------------------------------------------ fixtures


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Terminate a process this test started (and its process group), then kill it if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium with remote debugging; closed (and its process group ended) afterwards."""
    profile = tempfile.mkdtemp(prefix="lupusstats-chromium-")
    proc = subprocess.Popen(
        [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--remote-debugging-address=127.0.0.1",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    devtools = None
    try:
        port_file = pathlib.Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Chromium did not start (exit status {proc.poll()})")
            time.sleep(0.1)
        port, path = port_file.read_text().splitlines()[:2]
        devtools = DevTools(f"ws://127.0.0.1:{port}{path}")
        yield devtools
    finally:
        if devtools is not None:
            with contextlib.suppress(Exception):
                devtools.send("Browser.close", timeout=5)
            devtools.close()
        _stop(proc)
        shutil.rmtree(profile, ignore_errors=True)


_LAB_SETTINGS = {
    # every cell attached to the page, so the checks see all outputs
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # never write to the committed notebooks
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    # no requests to the internet, no pop-ups
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


@pytest.fixture(scope="module")
def lab():
    """JupyterLab on 127.0.0.1 with the repository as root; yields (base_url, token); always shut down."""
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="lupusstats-lab-"))
    settings = tmp / "settings"
    for name, value in _LAB_SETTINGS.items():
        target = settings / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(
        os.environ, JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), JUPYTER_CONFIG_DIR=str(tmp / "config"), MPLBACKEND="Agg"
    )
    log = open(tmp / "lab.log", "wb")  # noqa: SIM115 -- closed in the finally block
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={REPO}",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
            "--ServerApp.terminals_enabled=False",
            # window.jupyterapp: the explorer test runs the notebook's cells through the app's commands
            "--LabApp.expose_app_in_browser=True",
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
        cwd=REPO,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"JupyterLab exited with status {proc.returncode}:\n"
                    f"{(tmp / 'lab.log').read_text(errors='replace')[-2000:]}"
                )
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("JupyterLab did not answer within 60 s")
            time.sleep(0.3)
        yield base, token
    finally:
        _stop(proc, grace=15)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def page(browser):
    return Page(browser)


def _save_screenshot(png: bytes, name: str, tmp_path: pathlib.Path) -> pathlib.Path:
    folder = pathlib.Path(os.environ.get("LUPUSSTATS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    path.write_bytes(png)
    return path


def _assert_not_blank(png: bytes, what: str) -> None:
    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(png)).convert("L")
    width, height = image.size
    assert width >= 400 and height >= 300, f"{what}: screenshot is only {width}x{height}"
    histogram = image.histogram()
    dark = sum(histogram[:200]) / (width * height)  # share of pixels clearly darker than the page background
    spread = ImageStat.Stat(image).stddev[0]
    assert dark > 0.01 and spread > 5, f"{what}: screenshot looks blank ({dark:.1%} non-background, sd {spread:.1f})"


# ------------------------------------------------------------------------------------------ notebooks

_NOTEBOOK_STATE = r"""
(() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  const nb = panel.querySelector('.jp-Notebook');
  if (!nb) return null;
  const outputs = Array.from(nb.querySelectorAll('.jp-OutputArea-output'));
  const images = Array.from(nb.querySelectorAll('.jp-OutputArea-output img'))
      .filter(img => img.src.startsWith('data:image/png'));
  const errors = outputs
      .filter(o => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr'
                   || /Traceback \(most recent call last\)/.test(o.innerText))
      .map(o => o.innerText.slice(0, 400));
  const h1 = nb.querySelector('.jp-MarkdownOutput h1');
  const dialogs = Array.from(document.querySelectorAll('.jp-Dialog')).map(d => d.innerText.slice(0, 200));
  return {cells: nb.querySelectorAll('.jp-Cell').length,
          images: images.length,
          loaded: images.filter(img => img.complete && img.naturalWidth > 0).length,
          errors: errors,
          title: h1 ? h1.textContent.replace(/¶\s*$/, '').trim() : null,
          dialogs: dialogs};
})()
"""


def _expected(path: pathlib.Path) -> dict:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    pngs = sum(
        1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    )
    errors = [
        f"cell {i + 1}: {o.get('ename')}"
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    title = next(
        (
            ln.strip()[2:].strip()
            for c in nb.cells
            if c.cell_type == "markdown"
            for ln in c.source.splitlines()
            if ln.strip().startswith("# ")
        ),
        None,
    )
    return {"cells": len(nb.cells), "pngs": pngs, "errors": errors, "title": title}


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks in notebooks/ yet")
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_renders_in_jupyterlab(notebook, lab, page, tmp_path):
    base, token = lab
    expected = _expected(notebook)
    assert not expected["errors"], f"{notebook.name} has committed error outputs: {expected['errors']}"
    before = hashlib.sha256(notebook.read_bytes()).hexdigest()
    relative = notebook.relative_to(REPO).as_posix()
    page.goto(f"{base}/lab/tree/{urllib.request.quote(relative)}?reset&token={token}")
    state = page.wait_for(
        _NOTEBOOK_STATE,
        lambda s: s["cells"] >= expected["cells"] and s["loaded"] >= expected["pngs"] and s["title"] is not None,
    )
    shot = _save_screenshot(page.screenshot(full_page=False), f"lab_{notebook.stem}", tmp_path)
    assert state is not None, f"JupyterLab did not show {relative} within {LOAD_TIMEOUT:.0f} s (screenshot {shot})"
    assert state["cells"] == expected["cells"], f"{state['cells']} of {expected['cells']} cells rendered"
    assert state["images"] == expected["pngs"] and state["loaded"] == expected["pngs"], (
        f"{state['loaded']} of {expected['pngs']} figures shown ({state['images']} img elements); screenshot {shot}"
    )
    assert expected["pngs"] > 0, f"{notebook.name} shows no figure"
    assert not state["errors"], f"{notebook.name} shows error/stderr output: {state['errors']}"
    assert state["title"] == expected["title"], f"title shown {state['title']!r}, expected {expected['title']!r}"
    assert not state["dialogs"], f"a dialog covers the notebook: {state['dialogs']}"
    assert hashlib.sha256(notebook.read_bytes()).hexdigest() == before, f"opening {notebook.name} changed the file"


_PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
_BROKEN_NOTEBOOK = {
    "cells": [
        {"id": "t", "cell_type": "markdown", "metadata": {}, "source": "# Broken on purpose"},
        {
            "id": "e",
            "cell_type": "code",
            "metadata": {},
            "execution_count": 1,
            "source": "1 / 0",
            "outputs": [
                {
                    "output_type": "error",
                    "ename": "ZeroDivisionError",
                    "evalue": "division by zero",
                    "traceback": ["Traceback (most recent call last):", "ZeroDivisionError: division by zero"],
                }
            ],
        },
        {
            "id": "w",
            "cell_type": "code",
            "metadata": {},
            "execution_count": 2,
            "source": "warn()",
            "outputs": [{"output_type": "stream", "name": "stderr", "text": "UserWarning: something\n"}],
        },
        {
            "id": "f",
            "cell_type": "code",
            "metadata": {},
            "execution_count": 3,
            "source": "plot()",
            "outputs": [{"output_type": "display_data", "metadata": {}, "data": {"image/png": _PIXEL}}],
        },
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def test_the_checks_catch_a_broken_notebook(lab, page):
    """The page checks above can fail: a notebook with a traceback and a warning is caught."""
    base, token = lab
    reports = REPO / "reports"  # git-ignored; removed again if this test created it
    created = not reports.exists()
    folder = reports / f"browser-selftest-{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    try:
        (folder / "broken.ipynb").write_text(json.dumps(_BROKEN_NOTEBOOK))
        relative = (folder / "broken.ipynb").relative_to(REPO).as_posix()
        page.goto(f"{base}/lab/tree/{urllib.request.quote(relative)}?reset&token={token}")
        state = page.wait_for(
            _NOTEBOOK_STATE,
            lambda s: s["cells"] >= 4 and len(s["errors"]) >= 2 and s["loaded"] >= 1 and s["title"] is not None,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if created:
            with contextlib.suppress(OSError):
                reports.rmdir()
    assert state is not None and state["title"] == "Broken on purpose"
    assert state["loaded"] == 1
    assert len(state["errors"]) == 2, state["errors"]
    assert any("ZeroDivisionError" in e for e in state["errors"])
    assert any("UserWarning" in e for e in state["errors"])


# ------------------------------------------------------------------------------------------ the HTML report

_TINY_NOTEBOOK = {
    "cells": [
        {
            "id": "title",
            "cell_type": "markdown",
            "metadata": {},
            "source": "# Tiny report check\n\nA **findings** paragraph.",
        },
        {
            "id": "parameters",
            "cell_type": "code",
            "metadata": {"tags": ["parameters"]},
            "source": "SEED = 1",
            "outputs": [],
            "execution_count": None,
        },
        {
            "id": "figure",
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": "%matplotlib inline\nimport matplotlib.pyplot as plt\n"
            "fig, ax = plt.subplots(figsize=(4, 3))\nax.plot([0, 1, 2], [SEED, 3, 2])\n"
            "ax.set_xlabel('x'); ax.set_ylabel('y');",
        },
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}

_REPORT_STATE = r"""
(() => ({
  cards: document.querySelectorAll('.card').length,
  images: Array.from(document.images).map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0})),
  links: Array.from(document.querySelectorAll('.card h2 a')).map(a => a.getAttribute('href')),
  failed: document.querySelectorAll('.card.failed').length,
  title: document.title,
}))()
"""


@pytest.fixture(scope="module")
def report_index(tmp_path_factory):
    """reports/index.html when `make report` built it, else a one-notebook report built here."""
    built = REPO / "reports" / "index.html"
    if built.exists():
        return built
    from lupusstats.cli.report import build_report

    folder = tmp_path_factory.mktemp("report")
    notebook = folder / "tiny.ipynb"
    notebook.write_text(json.dumps(_TINY_NOTEBOOK))
    return build_report([notebook], folder / "out", progress=None).index


def test_report_renders_with_thumbnails_and_screenshot(report_index, page, tmp_path):
    page.goto(report_index.as_uri())
    state = page.wait_for(_REPORT_STATE, lambda s: s["cards"] > 0 and all(i["ok"] for i in s["images"]), timeout=20)
    assert state["title"] == "lupusstats report"
    assert state["cards"] >= 1
    assert state["images"], "the report shows no thumbnail"
    broken = [i["src"] for i in state["images"] if not i["ok"]]
    assert not broken, f"thumbnails that do not load: {broken}"
    missing = [href for href in state["links"] if not (report_index.parent / href).exists()]
    assert not missing, f"links to pages that do not exist: {missing}"
    assert state["failed"] == 0, "the report shows a failed notebook"
    png = page.screenshot()
    path = _save_screenshot(png, "report_index", tmp_path)
    _assert_not_blank(png, f"report screenshot {path}")


def test_report_notebook_page_shows_its_figures(report_index, page):
    """One exported notebook page (nbconvert lab template) shows its embedded figures."""
    entries = json.loads((report_index.parent / "index.json").read_text())["notebooks"]
    entry = next(e for e in entries if e["status"] == "ok")
    page.goto((report_index.parent / entry["page"]).as_uri())
    state = page.wait_for(
        "(() => { const imgs = Array.from(document.querySelectorAll('.jp-OutputArea-output img'));"
        " return {n: imgs.length, ok: imgs.filter(i => i.complete && i.naturalWidth > 0).length,"
        " tb: /Traceback \\(most recent call last\\)/.test(document.body.innerText)}; })()",
        lambda s: s["n"] > 0 and s["ok"] == s["n"],
        timeout=20,
    )
    assert state["n"] > 0 and state["ok"] == state["n"], f"figures on {entry['page']}: {state}"
    assert not state["tb"], f"{entry['page']} shows a traceback"


# ------------------------------------------------------------------------------------------ the design explorer

EXPLORER = REPO / "notebooks" / "11_design_explorer.ipynb"

_EXPLORER_STATE = r"""
(() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  const img = panel.querySelector('.widget-image');
  const sliders = Array.from(panel.querySelectorAll('.widget-slider'));
  const rr = sliders.find(s => /rate ratio/.test(s.innerText));
  const html = Array.from(panel.querySelectorAll('.widget-html-content')).map(h => h.innerText).join(' | ');
  return {image: img ? img.getAttribute('src') : null,
          loaded: img ? (img.complete && img.naturalWidth > 0) : false,
          readout: rr ? rr.querySelector('.widget-readout').innerText : null,
          status: html,
          busy: document.querySelectorAll('.jp-mod-running, .jp-InputArea-prompt').length &&
                Array.from(document.querySelectorAll('.jp-InputArea-prompt')).some(p => p.innerText.includes('*')),
          errors: Array.from(panel.querySelectorAll('.jp-OutputArea-output'))
                    .filter(o => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr'
                                 || /Traceback \(most recent call last\)/.test(o.innerText))
                    .map(o => o.innerText.slice(0, 400))};
})()
"""


def _key(page: Page, key: str, code: int) -> None:
    for kind in ("rawKeyDown", "keyUp"):
        page.send("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code})


@pytest.mark.skipif(not EXPLORER.exists(), reason="no design explorer notebook")
def test_design_explorer_redraws_when_a_control_moves(lab, page, tmp_path):
    """The explorer runs in JupyterLab: moving the rate-ratio slider redraws the figure and the formula power."""
    base, token = lab
    before = hashlib.sha256(EXPLORER.read_bytes()).hexdigest()
    relative = EXPLORER.relative_to(REPO).as_posix()
    page.goto(f"{base}/lab/tree/{urllib.request.quote(relative)}?reset&token={token}")
    ready = page.wait_for(
        "(() => { const app = window.jupyterapp; const w = app && app.shell.currentWidget;"
        " return !!(w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel &&"
        " w.sessionContext.session.kernel.status === 'idle'); })()",
        bool,
        timeout=90,
    )
    assert ready, "the notebook's kernel did not start"
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    state = page.wait_for(
        _EXPLORER_STATE,
        lambda s: bool(s and s["image"] and s["loaded"] and s["readout"] and "formula power" in s["status"]),
        timeout=180,
    )
    shot = _save_screenshot(page.screenshot(full_page=False), "lab_explorer_before", tmp_path)
    assert state and state["image"] and state["loaded"], f"the explorer's figure did not appear: {state} ({shot})"
    assert not state["errors"], f"errors in the explorer notebook: {state['errors']}"
    # wait until every cell has run (the check cell simulates; the panel must be idle before the control moves)
    idle = page.wait_for(
        "(() => { const w = window.jupyterapp.shell.currentWidget;"
        " return w.sessionContext.session.kernel.status === 'idle' &&"
        " !Array.from(document.querySelectorAll('.jp-InputArea-prompt')).some(p => p.innerText.includes('*')); })()",
        bool,
        timeout=180,
    )
    assert idle, "the notebook did not finish running"
    state = page.evaluate(_EXPLORER_STATE)
    image, readout, status = state["image"], state["readout"], state["status"]
    # move the rate-ratio slider the way a person does with the keyboard: focus its handle, press the left arrow
    focused = page.evaluate(
        "(() => { const s = Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) "
        ".widget-slider')).find(s => /rate ratio/.test(s.innerText)); if (!s) return false;"
        " const h = s.querySelector('.noUi-handle'); h.scrollIntoView({block: 'center'}); h.focus();"
        " return document.activeElement === h; })()"
    )
    assert focused, "could not focus the rate-ratio slider"
    for _ in range(3):
        _key(page, "ArrowLeft", 37)
    moved = page.wait_for(
        _EXPLORER_STATE,
        lambda s: bool(s and s["readout"] != readout and s["image"] != image and s["loaded"] and s["status"] != status),
        timeout=60,
    )
    shot = _save_screenshot(page.screenshot(full_page=False), "lab_explorer_after", tmp_path)
    assert moved and moved["readout"] != readout, f"the slider did not move: {moved} ({shot})"
    assert moved["image"] != image and moved["loaded"], f"the figure was not redrawn ({shot})"
    assert moved["status"] != status, f"the formula power shown did not change: {moved['status']!r} ({shot})"
    assert float(moved["readout"]) < float(readout)
    assert not moved["errors"], f"errors after moving the slider: {moved['errors']}"
    assert hashlib.sha256(EXPLORER.read_bytes()).hexdigest() == before, "running the explorer changed the file"
