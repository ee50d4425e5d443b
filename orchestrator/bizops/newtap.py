"""``bizops new-tap``: a new source's tap, schema, emulator, staging stub and tests, rendered
from the templates in ``templates/newtap`` (package data), in this repository or as a package
of its own."""

from __future__ import annotations

import json
import keyword
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bizops.newtap_edits import Edit, apply_edits
from bizops_core import tap_docs
from bizops_core.errors import ConfigurationError

TEMPLATES = Path(__file__).with_name("templates") / "newtap"
NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
MAX_NAME = 20  # the templates keep lines within 100 characters up to this
SETUP_MARKER = "    # bizops new-tap: "
TOKEN = re.compile(r"@@\w+@@")
# The first stream: its declaration is in tap/streams.py.tmpl, its schema in accounts.json.
STREAM, STREAM_KEY, STREAM_REPLICATION = "accounts", "id", "updated_at"


@dataclass(frozen=True)
class SourceNames:
    """Every spelling of a source name: ``demo_src`` -> tap-demo-src, TapDemoSrc, Demo Src."""

    name: str

    @property
    def dash(self) -> str:
        return self.name.replace("_", "-")

    @property
    def cls(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def title(self) -> str:
        return " ".join(part.capitalize() for part in self.name.split("_"))

    @property
    def package(self) -> str:
        return f"tap_{self.name}"

    @property
    def tap(self) -> str:
        return f"tap-{self.dash}"


@dataclass(frozen=True)
class NewTapResult:
    """What ``new-tap`` did: the files it wrote and the shared files it edited (relative to
    ``root``), and what to run next."""

    root: Path
    written: tuple[str, ...]
    edited: tuple[str, ...]
    next_steps: tuple[str, ...]


def source_names(name: str) -> SourceNames:
    """``name`` checked: lower-case snake_case, a letter first, at most 40 characters.

    Raises:
        ConfigurationError: it is not such a name.
    """
    if not NAME_PATTERN.fullmatch(name) or len(name) > MAX_NAME or keyword.iskeyword(name):
        raise ConfigurationError(
            f"new-tap: NAME must be lower-case snake_case (a letter, then letters, digits and "
            f"single underscores; at most {MAX_NAME} characters), got {name!r}; nothing written"
        )
    return SourceNames(name)


def new_tap(name: str, dest: Path, standalone: bool = False) -> NewTapResult:
    """Generate source ``name`` into the repository at ``dest`` or, ``standalone``, as a
    project of its own in the folder ``dest`` (absent or empty). Nothing is written unless
    everything can be: a bad name, an existing source, a missing marker in a shared file or a
    non-empty ``dest`` fails first.

    Raises:
        ConfigurationError: any of those, with what to do.
    """
    names = source_names(name)
    if standalone:
        return _standalone(names, dest)
    return _in_repo(names, dest)


def _in_repo(n: SourceNames, root: Path) -> NewTapResult:
    if not (root / "setup.cfg").is_file() or not (root / "taps").is_dir():
        raise ConfigurationError(
            f"new-tap: {root} is not the root of a BizOps checkout (no setup.cfg and taps/); "
            "run it there, or use --standalone --dest DIR; nothing written"
        )
    tap_dir = f"taps/{n.package}"
    files = {f"{tap_dir}/{target}": text for target, text in _tap_package(n, in_repo=True).items()}
    files[f"{tap_dir}/README.md"] = _readme(n, files[f"{tap_dir}/config.py"], install="")
    files[f"schemas/{n.name}/{STREAM}.json"] = _render("tap/accounts.json.tmpl", n)
    emulator = _tokens(n, world_module=f"bizops_sandbox.world_{n.name}")
    files[f"sandbox/{n.name}.py"] = _render("emulator/emulator.py.tmpl", n, emulator)
    files[f"sandbox/world_{n.name}.py"] = _render("emulator/world.py.tmpl", n)
    staging = f"transform/models/staging/{n.name}"
    files[f"{staging}/stg_{n.name}__{STREAM}.sql"] = _render("inrepo/staging.sql.tmpl", n)
    files[f"{staging}/_{n.name}__models.yml"] = _render("inrepo/models.yml.tmpl", n)
    files[f"tests/taps/test_tap_{n.name}.py"] = _render("inrepo/test_tap.py.tmpl", n)
    existing = [path for path in (tap_dir, f"schemas/{n.name}", staging, *files)
                if (root / path).exists()]  # fmt: skip
    if existing:
        raise ConfigurationError(
            f"new-tap: source {n.name!r} exists already: {existing[0]}; nothing written"
        )
    edits = _shared_edits(n)
    edited = apply_edits(root, edits, write=False)  # every marker checked before any write
    _write(root, files)
    apply_edits(root, edits, write=True)
    return NewTapResult(
        root,
        tuple(sorted(files)),
        edited,
        (
            "make install  # setup.cfg changed: installs tap-" + n.dash,
            f".venv/bin/bizops-sandbox {n.name}  # its emulator, on a free port",
            f".venv/bin/pytest -q tests/taps/test_tap_{n.name}.py",
            "make lint",
        ),
    )


def _standalone(n: SourceNames, dest: Path) -> NewTapResult:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ConfigurationError(
            f"new-tap: {dest} exists and is not an empty folder; nothing written"
        )
    package = n.package
    files = {f"{package}/{target}": text for target, text in _tap_package(n, False).items()}
    install = _render("standalone/install.md.tmpl", n)
    files["README.md"] = _readme(n, files[f"{package}/config.py"], install=install)
    files[f"{package}/schemas/{STREAM}.json"] = _render("tap/accounts.json.tmpl", n)
    files["pyproject.toml"] = _render("standalone/pyproject.toml.tmpl", n)
    files["tests/__init__.py"] = ""
    files["tests/emulator.py"] = _render(
        "emulator/emulator.py.tmpl", n, _tokens(n, world_module="tests.world")
    )
    files["tests/world.py"] = _render("emulator/world.py.tmpl", n)
    files[f"tests/test_tap_{n.name}.py"] = _render("standalone/test_tap.py.tmpl", n)
    files[".gitignore"] = "build/\ndist/\n*.egg-info/\n.venv/\n__pycache__/\n"
    _write(dest, files)
    return NewTapResult(
        dest,
        tuple(sorted(files)),
        (),
        (
            f"cd {dest}",
            "python -m venv .venv && .venv/bin/pip install BIZOPS_WHEEL -e '.[dev]'  # bizops"
            " is on no index yet: its wheel (make wheel-smoke leaves it in dist/)",
            ".venv/bin/pytest -q",
            ".venv/bin/python -m build --wheel  # dist/*.whl, for a pip_url",
        ),
    )


def _tap_package(n: SourceNames, in_repo: bool) -> dict[str, str]:
    """The tap package's modules, by file name."""
    if in_repo:
        extra = {"schemas": f'files("bizops_schemas") / "{n.name}"', "dist": "bizops",
                 "readme": 'Path(__file__).with_name("README.md")'}  # fmt: skip
    else:
        extra = {"schemas": f'files("{n.package}") / "schemas"', "dist": n.tap,
                 "readme": 'Path(__file__).resolve().parents[1] / "README.md"'}  # fmt: skip
    tokens = _tokens(n, **extra)
    modules = ("__init__", "config", "client", "streams", "tap", "docs")
    return {f"{module}.py": _render(f"tap/{module}.py.tmpl", n, tokens) for module in modules}


def _readme(n: SourceNames, config_module: str, install: str) -> str:
    """The tap's README with its tables filled in (from the rendered config module's schema
    and the first stream's declaration; the generated tests check them against the tap)."""
    schema = _config_schema(config_module)
    stream_schema = json.loads(_render("tap/accounts.json.tmpl", n))
    catalog = {"streams": [{
        "tap_stream_id": STREAM, "key_properties": [STREAM_KEY], "schema": stream_schema,
        "metadata": [{"breadcrumb": [], "metadata": {
            "valid-replication-keys": [STREAM_REPLICATION]}}],
    }]}  # fmt: skip
    text = _render("tap/README.md.tmpl", n, _tokens(n, install=install))
    return tap_docs.render(text, catalog, schema)


def _config_schema(module_text: str) -> dict[str, Any]:
    """The ``CONFIG_SCHEMA`` the rendered config module declares (run as a throwaway module)."""
    module = types.ModuleType("bizops_new_tap_config")
    sys.modules[module.__name__] = module  # its dataclass looks its module up there
    try:
        # our own template, rendered a moment ago, not user input
        exec(compile(module_text, "config.py", "exec"), module.__dict__)  # noqa: S102
    finally:
        del sys.modules[module.__name__]
    return module.CONFIG_SCHEMA


def _shared_edits(n: SourceNames) -> list[Edit]:
    source = _render("inrepo/source.yml.tmpl", n)
    readme_line = (
        f"- `{n.name}`: `{n.tap}` ([taps/{n.package}/README.md](taps/{n.package}/README.md)), "
        f"emulator `bizops-sandbox {n.name}`, staging `transform/models/staging/{n.name}/`\n"
    )
    return [
        Edit("setup.cfg", f"{SETUP_MARKER}package_dir", f"    {n.package} = taps/{n.package}\n"),
        Edit("setup.cfg", f"{SETUP_MARKER}packages", f"    {n.package}\n"),
        Edit(
            "setup.cfg",
            f"{SETUP_MARKER}console_scripts",
            f"    {n.tap} = {n.package}.tap:Tap{n.cls}.cli\n",
        ),
        Edit("pyproject.toml", "known-first-party", n.package, kind="toml-list"),
        Edit("transform/models/sources/sources.yml", "  # bizops new-tap: sources", source),
        Edit("README.md", "<!-- bizops new-tap: sources -->", readme_line),
    ]


def _tokens(n: SourceNames, **extra: str) -> dict[str, str]:
    return {"name": n.name, "dash": n.dash, "Class": n.cls, "Title": n.title,
            "NAME": n.name.upper(), **extra}  # fmt: skip


def _render(template: str, n: SourceNames, tokens: dict[str, str] | None = None) -> str:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    values = tokens if tokens is not None else _tokens(n)
    rendered = TOKEN.sub(lambda m: values.get(m.group(0)[2:-2], m.group(0)), text)
    left = TOKEN.search(rendered)
    if left:  # a template naming a token nobody gives: a bug of bizops, not of the user
        raise RuntimeError(f"template {template} has an unknown token {left.group(0)}")
    return rendered


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
