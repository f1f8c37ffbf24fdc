"""`make run` end to end: the launcher brings up embedded PostgreSQL and Redis, migrates, seeds,
starts web + worker + beat, answers /health/ready and the demo login, stops everything on Ctrl-C,
and reuses its data the second time. It runs exactly what `make run` runs, in a scratch data folder."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _leftovers(data_dir: Path, port: int) -> list[str]:
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue  # already exited; only waiting for its parent to collect the status
            cmdline = " ".join(proc.info["cmdline"] or [])
        except psutil.Error:
            continue
        if str(data_dir) in cmdline or f"--port {port}" in cmdline:
            found.append(f"{proc.info['pid']}: {cmdline}")
    return found


def _start(data_dir: Path, port: int) -> tuple[subprocess.Popen, Path]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(LEADVOICE_DATA_DIR=str(data_dir), PORT=str(port), PYTHONUNBUFFERED="1")
    log = data_dir.parent / f"run-{time.monotonic_ns()}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "leadvoice.devstack", "run"], cwd=BASE_DIR, env=env,
        stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    return proc, log


def _wait_for_banner(proc: subprocess.Popen, log: Path, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text()
        if "Press Ctrl-C to stop everything." in text:
            return text
        if proc.poll() is not None:
            pytest.fail(f"make run exited early ({proc.returncode}):\n{text[-3000:]}")
        time.sleep(0.3)
    pytest.fail(f"no banner within {timeout}s:\n{log.read_text()[-3000:]}")


def _ctrl_c(proc: subprocess.Popen, log: Path) -> float:
    started = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal does: the launcher's process group
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"the launcher did not stop within 20s:\n{log.read_text()[-3000:]}")
    return time.monotonic() - started


def _login(base: str) -> dict:
    request = urllib.request.Request(
        f"{base}/api/v1/auth/login/", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"email": "demo@leadvoice.dev", "password": "leadvoice-demo"}).encode(),
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.mark.slow
def test_make_run_serves_the_demo_and_ctrl_c_leaves_nothing_behind(tmp_path):
    data_dir = tmp_path / "data"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"

    proc, log = _start(data_dir, port)
    try:
        banner = _wait_for_banner(proc, log)
        assert f"{base}/admin/" in banner and f"{base}/docs" in banner
        assert "demo@leadvoice.dev / leadvoice-demo" in banner
        with urllib.request.urlopen(f"{base}/health/ready", timeout=10) as resp:
            ready = json.loads(resp.read())
        assert ready["status"] == "ready"
        assert _login(base)["user"]["email"] == "demo@leadvoice.dev"
        with urllib.request.urlopen(f"{base}/docs", timeout=10) as resp:
            assert b"swagger-ui" in resp.read()
    finally:
        seconds = _ctrl_c(proc, log)
    assert seconds < 15
    assert proc.returncode == 0, log.read_text()[-2000:]
    time.sleep(0.5)
    assert _leftovers(data_dir, port) == []

    # A second run reuses the data: same database, the demo is only checked, not re-created.
    proc, log = _start(data_dir, port)
    try:
        _wait_for_banner(proc, log)
        assert "Checked demo tenant" in log.read_text()
        assert _login(base)["user"]["email"] == "demo@leadvoice.dev"
    finally:
        _ctrl_c(proc, log)
    time.sleep(0.5)
    assert _leftovers(data_dir, port) == []
