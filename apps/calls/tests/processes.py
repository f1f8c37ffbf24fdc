"""Real processes for the dialer's end-to-end tests: a uvicorn ASGI server (the webhooks the
simulator calls), Celery workers and beats, all on the test database and the test Redis. The
tests that use them need committed data (transactional_db)."""

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(**extra) -> dict[str, str]:
    from conftest import database_url_for_subprocess

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "leadvoice.settings.test", "PYTHONUNBUFFERED": "1",
           "DATABASE_URL": database_url_for_subprocess(), "LOG_LEVEL": "WARNING"}  # fmt: skip
    env.update({key: str(value) for key, value in extra.items()})
    return env


class Processes:
    """Starts processes and stops every one of them, however the test ends."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []

    def _spawn(self, cmd: list[str], env: dict) -> subprocess.Popen:
        proc = subprocess.Popen(cmd, cwd=BASE_DIR, env=env, start_new_session=True)
        self.procs.append(proc)
        return proc

    def server(self, env: dict, port: int) -> str:
        self._spawn([sys.executable, "-m", "uvicorn", "leadvoice.asgi:application", "--port", str(port),
                     "--workers", "1", "--lifespan", "off", "--no-access-log", "--log-level", "warning"], env)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/health/live", timeout=1).ok:
                    return base
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("uvicorn did not start")

    def worker(self, env: dict, *, name: str, concurrency: int = 2) -> subprocess.Popen:
        hostname = f"{name}-{os.getpid()}-{time.monotonic_ns()}@localhost"
        proc = self._spawn([sys.executable, "-m", "celery", "-A", "leadvoice.celery", "worker", "--pool", "prefork",
                            "--concurrency", str(concurrency), "-l", "WARNING", "-n", hostname, "--without-mingle",
                            "--without-gossip"], env)  # fmt: skip
        from leadvoice.celery import app

        deadline = time.monotonic() + 30
        while not app.control.ping(destination=[hostname], timeout=0.5):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"Celery worker {name} did not start")
        return proc

    def beat(self, env: dict, *, schedule: Path) -> subprocess.Popen:
        return self._spawn([sys.executable, "-m", "celery", "-A", "leadvoice.celery", "beat", "-l", "WARNING",
                            "-s", str(schedule), "--pidfile="], env)  # fmt: skip

    def kill(self, proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        proc.wait(timeout=15)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _purge() -> None:
    """Drop what earlier tests left queued (it belongs to calls that no longer exist), and the drain's
    wake-up mark with it: a purged drain task would otherwise keep new callbacks from waking one."""
    from apps.calls.events import DRAIN_KEY
    from apps.core.cache import redis_client
    from leadvoice.celery import app

    app.control.purge()
    redis_client().delete(DRAIN_KEY)


@contextmanager
def processes():
    _purge()
    running = Processes()
    try:
        yield running
    finally:
        running.stop()
        _purge()


def free_port() -> int:
    return _free_port()


def wait_for(predicate, *, timeout: float, every: float = 0.2, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
