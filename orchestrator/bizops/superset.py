"""``bizops dashboards``: Apache Superset in its own venv under ``.bizops/superset``, provisioned
with the dashboards bundle and served by gunicorn in the background."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bizops.superset_serve import Home, serve, status, stop
from bizops_core.errors import ConfigurationError

LOGGER = logging.getLogger("bizops.superset")
ADMIN_PASSWORD_ENV = "BIZOPS_SUPERSET_ADMIN_PASSWORD"  # noqa: S105 - a variable name
ADMIN_USER_ENV = "BIZOPS_SUPERSET_ADMIN_USER"
SECRET_KEY_ENV = "SUPERSET_SECRET_KEY"  # noqa: S105 - a variable name
WAREHOUSE_PASSWORD_ENV = "BIZOPS_SUPERSET_DB_PASSWORD"  # noqa: S105 - a variable name
WAREHOUSE_URI_ENV = "BIZOPS_SUPERSET_DB_URI"
DEFAULT_PORT = 8088
STEP_TIMEOUT = 900  # seconds for one install or superset command
CONFIG = '''\
"""Superset's configuration for bizops dashboards (written by bizops on every `up`).

Secrets are not in this file: they come from the environment bizops starts Superset with.
"""

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
SQLALCHEMY_DATABASE_URI = "sqlite:///" + str(HERE / "superset.db")
SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
DATA_DIR = str(HERE / "data")
FEATURE_FLAGS = {}
SUPERSET_WEBSERVER_TIMEOUT = 120


def _warehouse_password(url):
    """The warehouse's password, for the bizops warehouse database only (None without one)."""
    ours = os.environ.get("BIZOPS_SUPERSET_DB_URI", "")
    if str(url.set(password=None)).split("?")[0] != ours.split("?")[0]:
        return url.password
    return os.environ.get("BIZOPS_SUPERSET_DB_PASSWORD") or None


SQLALCHEMY_CUSTOM_PASSWORD_STORE = _warehouse_password
'''
# Run by the Superset venv's Python with the bundle's path: creates the admin (or sets its
# password from the environment again), then imports the bundle. `superset import-dashboards`
# never overwrites a database, dataset or chart that exists (only the dashboards), so a changed
# definition would not arrive: each kind is imported by its own command, overwriting by UUID.
PROVISION_SCRIPT = """\
import os
import sys
import zipfile

import yaml
from superset.app import create_app

app = create_app()
with app.app_context():
    from superset import db, security_manager as sm
    from superset.commands.chart.importers.v1 import ImportChartsCommand
    from superset.commands.dashboard.importers.v1 import ImportDashboardsCommand
    from superset.commands.database.importers.v1 import ImportDatabasesCommand
    from superset.commands.dataset.importers.v1 import ImportDatasetsCommand
    from superset.commands.importers.v1.utils import get_contents_from_bundle
    from superset.utils.core import override_user

    name = os.environ["BIZOPS_SUPERSET_ADMIN_USER"]
    password = os.environ["BIZOPS_SUPERSET_ADMIN_PASSWORD"]
    user = sm.find_user(username=name)
    if user is None:
        role = sm.find_role("Admin")
        if sm.add_user(name, "BizOps", "Admin", name + "@localhost", role, password) is None:
            raise SystemExit("could not create the Superset admin " + name)
        user = sm.find_user(username=name)
    else:
        sm.reset_password(user.id, password)
    db.session.commit()

    with zipfile.ZipFile(sys.argv[1]) as bundle:
        contents = get_contents_from_bundle(bundle)
    kinds = (
        (ImportDatabasesCommand, "Database"),
        (ImportDatasetsCommand, "SqlaTable"),
        (ImportChartsCommand, "Slice"),
        (ImportDashboardsCommand, "Dashboard"),
    )
    with override_user(user):
        for command, kind in kinds:
            metadata = yaml.safe_load(contents["metadata.yaml"])
            metadata["type"] = kind
            command({**contents, "metadata.yaml": yaml.safe_dump(metadata)}, overwrite=True).run()
"""


@dataclass(frozen=True)
class UpResult:
    """What ``bizops dashboards up`` did."""

    url: str
    pid: int
    installed: bool  # the venv was (re)installed
    started: bool  # False: the server was already running and kept serving
    dashboards: tuple[str, ...]
    seconds: float


def requirements() -> str:
    """The pinned requirements of the Superset venv (shipped in ``bizops_dashboards``)."""
    return (resources.files("bizops_dashboards") / "superset-requirements.txt").read_text("utf-8")


def ensure_installed(home: Home) -> bool:
    """Install Superset into ``home.venv`` unless it holds exactly the shipped pins; returns
    whether it installed. ConfigurationError (with pip's last lines) when pip fails."""
    pins = requirements()
    digest = hashlib.sha256(pins.encode()).hexdigest()
    if home.marker.is_file() and home.marker.read_text("utf-8") == digest:
        return False
    home.root.mkdir(parents=True, exist_ok=True)
    pinned = home.root / "requirements.txt"
    pinned.write_text(pins, "utf-8")
    LOGGER.info("installing Superset into %s", home.venv)
    venv = [sys.executable, "-m", "venv", "--clear", str(home.venv)]
    _step(venv, os.environ, "creating the venv")
    pip = [home.bin("python"), "-m", "pip", "install", "--quiet", "-r", str(pinned)]
    _step(pip, os.environ, "installing Superset")
    home.marker.write_text(digest, "utf-8")
    return True


def secret_key(home: Home, env: Mapping[str, str]) -> str:
    """``SUPERSET_SECRET_KEY``, else the key generated once and kept (mode 0600) in the home."""
    if env.get(SECRET_KEY_ENV):
        return env[SECRET_KEY_ENV]
    if home.secret_key.is_file():
        return home.secret_key.read_text("utf-8").strip()
    home.root.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(home.secret_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def admin_credentials(env: Mapping[str, str]) -> tuple[str, str]:
    """The admin's user name and password from the environment (ConfigurationError if unset)."""
    password = env.get(ADMIN_PASSWORD_ENV, "")
    if not password:
        raise ConfigurationError(
            f"set {ADMIN_PASSWORD_ENV} to the password of the Superset admin "
            f"(user {env.get(ADMIN_USER_ENV) or 'admin'}, or {ADMIN_USER_ENV})"
        )
    return env.get(ADMIN_USER_ENV) or "admin", password


def superset_env(home: Home, env: Mapping[str, str], database_url: str) -> dict[str, str]:
    """The environment Superset runs with: its config, its key and the warehouse's password."""
    from bizops.dashboard_bundle import sqlalchemy_uri
    from bizops.transform import password

    return {
        **env,
        "SUPERSET_CONFIG_PATH": str(home.config),
        "SUPERSET_HOME": str(home.root),
        SECRET_KEY_ENV: secret_key(home, env),
        WAREHOUSE_URI_ENV: sqlalchemy_uri(database_url),
        WAREHOUSE_PASSWORD_ENV: password(database_url),
        "PYTHONWARNINGS": "ignore",
    }


def _step(argv: list[str], env: Mapping[str, str], what: str) -> None:
    """Run one install or superset command; its output goes to the log only (it may hold
    anything), and a failure is a ConfigurationError with the last lines, secrets masked."""
    from bizops.warehouse import one_line

    LOGGER.info("%s: %s", what, " ".join(argv[:4]))
    try:
        done = subprocess.run(  # noqa: S603 - our own venv's programs
            argv, env=dict(env), capture_output=True, text=True, check=False,
            stdin=subprocess.DEVNULL, timeout=STEP_TIMEOUT,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise ConfigurationError(f"{what} did not finish within {STEP_TIMEOUT}s") from None
    if done.returncode != 0:
        hidden = [env.get(k, "") for k in (SECRET_KEY_ENV, ADMIN_PASSWORD_ENV,
                                             WAREHOUSE_PASSWORD_ENV)]  # fmt: skip
        lines = (done.stderr or done.stdout).strip().splitlines()[-6:]
        tail = [one_line(_mask(line, hidden)) for line in lines]
        raise ConfigurationError(f"{what} failed (exit {done.returncode}):\n  " + "\n  ".join(tail))


def _mask(text: str, hidden: list[str]) -> str:
    for value in hidden:
        if value:
            text = text.replace(value, "***")
    return text


def provision(home: Home, env: Mapping[str, str], bundle: bytes, admin: tuple[str, str]) -> None:
    """Metadata DB migrations, the admin, roles and permissions, then the dashboards (import
    overwrites by UUID: running it again updates, never duplicates)."""
    home.config.write_text(CONFIG, "utf-8")
    superset = home.bin("superset")
    # migrations and roles change only with Superset's version: once per venv and metadata DB
    done = home.marker.read_text("utf-8") if home.marker.is_file() else ""
    fresh = not (
        home.metadata_db.is_file()
        and home.provisioned.is_file()
        and home.provisioned.read_text("utf-8") == done
    )
    if fresh:
        _step([superset, "db", "upgrade"], env, "superset db upgrade")
    if fresh:
        _step([superset, "init"], env, "superset init")
        home.provisioned.write_text(done, "utf-8")
    home.bundle.write_bytes(bundle)
    script = home.root / "bizops_provision.py"
    script.write_text(PROVISION_SCRIPT, "utf-8")
    admin_env = {**env, ADMIN_USER_ENV: admin[0], ADMIN_PASSWORD_ENV: admin[1]}
    argv = [home.bin("python"), str(script), str(home.bundle)]
    _step(argv, admin_env, "creating the admin and importing the dashboards")


def up(project: Any, port: int = DEFAULT_PORT, env: Mapping[str, str] | None = None) -> UpResult:
    """Install (when the pins changed), provision and serve the project's Superset.

    Raises:
        ConfigurationError: the admin password is not set, or a step failed.
    """
    from bizops import dashboard_bundle
    from bizops.metrics import metrics_schema
    from bizops.warehouse import resolve_database_url

    began = time.monotonic()
    env = os.environ if env is None else env
    admin = admin_credentials(env)  # before anything is installed or started
    home = Home.of(project.root)
    database_url = resolve_database_url(project.root, project.database_url)
    schema = metrics_schema(project.transform_schema or "public")
    boards = dashboard_bundle.load()
    zipped = dashboard_bundle.bundle(boards, database_url, schema)
    running = status(project.root)
    if running.pid and (running.port != port or _pins_changed(home)):
        stop(home)  # serving elsewhere or from an outdated venv: restarted below
        running = status(project.root)
    installed = ensure_installed(home)
    run_env = superset_env(home, env, database_url)
    provision(home, run_env, zipped, admin)
    pid = running.pid or serve(home, run_env, port)
    return UpResult(
        f"http://127.0.0.1:{port}/", pid, installed, running.pid is None,
        tuple(b.title for b in boards), time.monotonic() - began,
    )  # fmt: skip


def _pins_changed(home: Home) -> bool:
    digest = hashlib.sha256(requirements().encode()).hexdigest()
    return not home.marker.is_file() or home.marker.read_text("utf-8") != digest


def export(project: Any, out: Path) -> Path:
    """Write the dashboards bundle (the zip ``up`` imports) to ``out``."""
    from bizops import dashboard_bundle
    from bizops.metrics import metrics_schema
    from bizops.warehouse import resolve_database_url

    database_url = resolve_database_url(project.root, project.database_url)
    schema = metrics_schema(project.transform_schema or "public")
    data = dashboard_bundle.bundle(dashboard_bundle.load(), database_url, schema)
    Path(out).write_bytes(data)
    return Path(out)
