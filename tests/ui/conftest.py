"""Fixtures for the browser tests: ``make airflow-ui``'s launcher on a free port, and a logged-in Chromium.

One launcher per test module (Airflow standalone takes about a minute to start). Chromium is Debian's
package driven through Playwright's ``executable_path`` (no browser download); ``make test`` installs
it, so the skip below only happens outside the Makefile. Screenshots go to ``.local/ui-screenshots/``
(git-ignored) for a person to look at.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from local_emr.paths import REPO_ROOT
from tests.ui.ui_test_env import SCREENSHOTS

CHROMIUM = Path("/usr/bin/chromium")
STARTUP_TIMEOUT_S = 300
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@dataclass(frozen=True)
class Launcher:
    """A running ``python -m local_emr.standalone``: where its UI is and what it printed."""

    base_url: str
    user: str
    password: str
    password_file: Path
    s3_browser_url: str
    output: Path

    def startup_text(self) -> str:
        return self.output.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_ready(process: subprocess.Popen, output: Path, base_url: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the launcher exited with {process.returncode}:\n{output.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(f"{base_url}/api/v2/monitor/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(2)
    raise TimeoutError(f"Airflow UI not up after {STARTUP_TIMEOUT_S} s:\n{output.read_text()[-3000:]}")


def _startup_line(output: Path, pattern: str) -> re.Match:
    match = re.search(pattern, output.read_text(), re.MULTILINE)
    assert match, f"startup lines lack {pattern!r}"
    return match


@pytest.fixture(scope="module")
def launcher():
    """``make airflow-ui`` on a free port with a throwaway Airflow home; stopped like Ctrl-C afterwards."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not installed (`make test` installs Debian's chromium package)")
    workdir = Path(tempfile.mkdtemp(prefix="fruits-ui-test-"))
    output = workdir / "launcher.log"
    port = _free_port()
    command = [sys.executable, "-m", "local_emr.standalone", "--port", str(port), "--per-class", "1",
               "--airflow-home", str(workdir / "airflow"), "--emulator-dir", str(workdir / "emr")]
    with output.open("w") as sink:
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=sink, stderr=subprocess.STDOUT,
                                   env=dict(os.environ), start_new_session=True)
    try:
        base_url = f"http://localhost:{port}"
        _wait_until_ready(process, output, base_url)
        login = _startup_line(output, r"^log in as\s+(\S+) / (\S+)\s+\(stored in (.+)\)$")
        yield Launcher(base_url, login[1], login[2], Path(login[3]),
                       _startup_line(output, r"^run outputs\s+(http://\S+?)/\S*/ ")[1], output)
    finally:
        process.send_signal(signal.SIGTERM)  # the launcher stops Airflow and the emulator
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def page(launcher):
    """A Chromium page logged in to the launcher's Airflow as its admin."""
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="fruits-ui-chromium-"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(launcher.base_url)
        page.get_by_label("Username").fill(launcher.user)
        page.get_by_label("Password").fill(launcher.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{launcher.base_url}/")
        yield page
        context.close()
