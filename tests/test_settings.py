"""The shared settings readers: each failure names the plugin and the setting."""

from __future__ import annotations

import pytest

from bizops_core import http_settings
from bizops_core.errors import ConfigurationError
from bizops_core.settings import SettingsReader

READ = SettingsReader("tap-x")


def test_names_keep_the_order_and_drop_repeats() -> None:
    assert READ.names("objects", ["B", "A", "B"], kind="X object") == ("B", "A")
    assert READ.names("objects", [], kind="X object") == ()


@pytest.mark.parametrize(
    ("value", "non_empty", "message"),
    [
        ("Account", False, "tap-x setting 'objects' must be a list of X object names"),
        ([], True, "tap-x setting 'objects' must be a non-empty list of X object names"),
        (["Account", "bad name"], False, "holds 'bad name', which is not a X object name"),
        ([3], True, "holds 3, which is not a X object name"),
    ],
)
def test_names_refuse_what_is_not_a_list_of_identifiers(
    value: object, non_empty: bool, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        READ.names("objects", value, kind="X object", non_empty=non_empty)


def test_http_settings_are_declared_with_defaults_and_read_checked() -> None:
    schema = {"properties": {p.name: p.to_dict()[p.name] for p in http_settings.PROPERTIES}}
    values = READ.with_defaults({}, schema)
    assert http_settings.read(READ, values) == {
        "max_tries": 5,
        "rate_limit_max_wait": 600.0,
        "request_timeout": 300.0,
    }
    with pytest.raises(ConfigurationError, match="'max_tries' must be at least 1, got 0"):
        http_settings.read(READ, {**values, "max_tries": 0})
