"""The metric catalog: every metric's definition, formula, dating rule and grains.

It ships with the dbt project (``catalog/*.yml`` in ``bizops_transform``, one file per
domain) and is what ``bizops metrics`` shows beside the values. A metric whose source is not
built yet has ``status: awaiting source`` and names the source.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bizops_core.errors import ConfigurationError

GRAINS = ("month", "quarter", "fiscal-year")
UNITS = ("usd", "count", "ratio", "days", "minutes")
STATUSES = ("built", "awaiting source")
_REQUIRED = ("name", "label", "definition", "status")
_BUILT_REQUIRED = ("formula", "period_date", "grains", "unit", "sources", "model")


@dataclass(frozen=True)
class Metric:
    """One catalog entry (see ``transform/catalog/README`` in the files' header comments).

    Attributes:
        name: id (snake_case), the ``metric`` column of ``metric_values``.
        label: short display name; definition: one-line summary.
        formula: how it is computed from source fields; period_date: what places a fact in a
            period; grains: the periods it is given at; dimensions: breakdowns besides the
            total (``channel``, ``campaign``, ``segment``); unit: usd, count, ratio, days or
            minutes.
        sources: source objects read; model: the mart that holds it.
        target: the seeds' target, if any (e.g. ``above 0.7``).
        status: ``built`` or ``awaiting source``; awaiting: the source it waits for.
        choice: a choice the reference left open, as made.
    """

    name: str
    label: str
    definition: str
    status: str
    formula: str = ""
    period_date: str = ""
    grains: tuple[str, ...] = ()
    dimensions: tuple[str, ...] = ()
    unit: str = ""
    sources: tuple[str, ...] = ()
    model: str = ""
    target: str | None = None
    awaiting: str | None = None
    choice: str | None = None
    domain: str = ""

    @property
    def built(self) -> bool:
        return self.status == "built"


def catalog_dir() -> Path:
    """The folder of the shipped catalog files."""
    from bizops.transform import dbt_project_dir

    return dbt_project_dir() / "catalog"


def load(folder: Path | None = None) -> tuple[Metric, ...]:
    """Every metric of the catalog files in ``folder`` (default: the shipped ones), by file
    name then file order.

    Raises:
        ConfigurationError: a file is not valid YAML, an entry misses a field or has a bad
            value, or two entries share a name (the message names the file and entry).
    """
    folder = catalog_dir() if folder is None else folder
    metrics: list[Metric] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yml")):
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise ConfigurationError(f"{path.name}: not valid YAML: {error}") from None
        entries = doc.get("metrics") if isinstance(doc, dict) else None
        if not isinstance(entries, list):
            raise ConfigurationError(f"{path.name}: expected a 'metrics' list")
        for index, entry in enumerate(entries):
            metric = _metric(entry, f"{path.name}: metrics.{index}", path.stem)
            if metric.name in seen:
                raise ConfigurationError(
                    f"{path.name}: metric {metric.name!r} is already defined in {seen[metric.name]}"
                )
            seen[metric.name] = path.name
            metrics.append(metric)
    return tuple(metrics)


def _metric(entry: Any, where: str, domain: str) -> Metric:
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{where}: expected a mapping")
    fields = set(Metric.__dataclass_fields__) - {"domain"}
    unknown = sorted(set(entry) - fields)
    if unknown:
        raise ConfigurationError(f"{where}: unknown field(s) {', '.join(unknown)}")
    status = entry.get("status")
    required = _REQUIRED + (_BUILT_REQUIRED if status == "built" else ("awaiting",))
    missing = [key for key in required if entry.get(key) in (None, "", [])]
    if missing:
        raise ConfigurationError(f"{where} ({entry.get('name')}): missing {', '.join(missing)}")
    if status not in STATUSES:
        raise ConfigurationError(f"{where}: status must be one of {STATUSES}, not {status!r}")
    values = dict(entry)
    for key in ("grains", "dimensions", "sources"):
        values[key] = tuple(entry.get(key) or ())
    bad = [g for g in values["grains"] if g not in GRAINS]
    if bad:
        raise ConfigurationError(f"{where}: unknown grain(s) {bad}; expected {GRAINS}")
    if status == "built" and entry["unit"] not in UNITS:
        raise ConfigurationError(f"{where}: unit must be one of {UNITS}, not {entry['unit']!r}")
    return Metric(**values, domain=domain)
