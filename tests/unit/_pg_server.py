"""A throwaway PostgreSQL cluster on 127.0.0.1 for the state tests (and a pytest fixture).

``PgServer().start()`` runs ``initdb`` into ``.cache/pg/run-<pid>`` and starts it on a free port
(TCP on loopback only, trust auth, fsync off); ``stop()`` stops it and removes its files. PostgreSQL
refuses to run as root: as root it runs as the ``postgres`` system user (created with ``useradd``
when missing). When ``initdb`` is missing and we are root, ``apt-get install -y postgresql``.
Clusters left by killed runs are stopped and removed on the next start.

By hand::

    python -m tests.unit._pg_server start    # prints the SQLAlchemy URL; stop with:
    python -m tests.unit._pg_server stop <dir>
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_USER = "postgres"


class PgUnavailable(RuntimeError):
    """PostgreSQL cannot be installed or started here."""


def find_bindir() -> Path | None:
    """The directory of ``initdb``/``pg_ctl`` (Debian keeps them in /usr/lib/postgresql/<v>/bin)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: [int(x) for x in p.split("/")[4].split(".") if x.isdigit()])
    return Path(candidates[-1]).parent if candidates else None


def ensure_installed() -> Path:
    """``bindir``, installing Debian's ``postgresql`` package first when needed (root only)."""
    bindir = find_bindir()
    if bindir:
        return bindir
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise PgUnavailable("initdb not found and cannot apt-get install postgresql (not root or no apt)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"]):
        out = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if out.returncode:
            raise PgUnavailable(f"{' '.join(cmd)} failed: {out.stderr[-2000:]}")
    bindir = find_bindir()
    if not bindir:
        raise PgUnavailable("postgresql installed but initdb still not found")
    return bindir


def _run_as() -> str | None:
    """The user to run PostgreSQL as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
                       check=True, capture_output=True)
    return PG_USER


def _traversable_by_others(path: Path) -> bool:
    for p in [path, *path.parents]:
        if p.exists() and not (p.stat().st_mode & stat.S_IXOTH):
            return False
    return True


def _base_dir() -> Path:
    base = ROOT / ".cache" / "pg"
    if os.geteuid() == 0 and not _traversable_by_others(ROOT):
        # The postgres user could not reach .cache/pg: use /tmp instead.
        base = Path(tempfile.gettempdir()) / "ec2api-pg"
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o755)
    return base


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PgServer:
    """One throwaway cluster; ``url`` once started."""

    def __init__(self, base: Path | None = None) -> None:
        self.base = base or _base_dir()
        self.dir = self.base / f"run-{os.getpid()}"
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.port = 0
        self.url = ""
        self.user = _run_as()
        self.bindir: Path | None = None

    def _cmd(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        assert self.bindir
        cmd = [str(self.bindir / args[0]), *args[1:]]
        out = subprocess.run(cmd, user=self.user, capture_output=True, text=True, cwd="/", timeout=120)
        if check and out.returncode:
            log = self.log.read_text()[-3000:] if self.log.exists() else ""
            raise PgUnavailable(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr[-2000:]}\n{log}")
        return out

    def cleanup_stale(self) -> None:
        """Stop and remove clusters of test runs that are no longer alive."""
        for d in self.base.glob("run-*"):
            try:
                pid = int(d.name.split("-", 1)[1])
            except ValueError:
                continue
            if pid != os.getpid() and not _pid_alive(pid):
                if (d / "data" / "postmaster.pid").exists() and self.bindir:
                    self._cmd("pg_ctl", "-D", str(d / "data"), "-m", "immediate", "-w", "stop", check=False)
                shutil.rmtree(d, ignore_errors=True)

    def start(self) -> str:
        """initdb + start; returns the SQLAlchemy URL of the ``postgres`` database (superuser)."""
        self.bindir = ensure_installed()
        self.cleanup_stale()
        if self.dir.exists():
            self.stop()
        self.dir.mkdir(parents=True)
        if self.user:
            shutil.chown(self.dir, self.user, self.user)
        self._cmd("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")
        self.port = _free_port()
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = ''\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n")
        self._cmd("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._wait()
        return self.url

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise PgUnavailable(f"PostgreSQL did not listen on {self.port}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop the cluster and remove its files."""
        if self.bindir and (self.data / "postmaster.pid").exists():
            self._cmd("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def running() -> Iterator[str]:
    """A started cluster's URL for the duration of the block."""
    server = PgServer()
    try:
        yield server.start()
    finally:
        server.stop()


def main(argv: list[str]) -> int:
    if argv[:1] == ["start"]:
        server = PgServer()
        # Named after a long-lived pid-less directory so cleanup_stale leaves it alone.
        server.dir = server.base / "manual"
        server.data = server.dir / "data"
        server.log = server.dir / "postgres.log"
        print(server.start())
        return 0
    if argv[:1] == ["stop"]:
        server = PgServer()
        server.bindir = find_bindir()
        server.dir = Path(argv[1]) if len(argv) > 1 else server.base / "manual"
        server.data = server.dir / "data"
        server.stop()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
