"""Unit tests of tap-salesforce pieces: ids, describe mapping, windows, SOQL, grouping, config."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bizops_core.errors import ConfigurationError
from bizops_sandbox.ids import salesforce_suffix
from tap_salesforce.config import parse_config
from tap_salesforce.convert import RecordConverter, id18
from tap_salesforce.describe import SField, SObject, parse_object, queryable_names
from tap_salesforce.query import Window, build_query
from tap_salesforce.streams import complete_groups

T0 = datetime(2024, 1, 1, tzinfo=UTC)
T1 = datetime(2024, 1, 3, tzinfo=UTC)


def test_id18_adds_salesforces_checksum_and_keeps_18_character_ids() -> None:
    assert id18("001A0000006Vm9r") == "001A0000006Vm9rIAC"
    assert id18("001A0000006Vm9rIAC") == "001A0000006Vm9rIAC"
    assert id18("0015g00000XyZab") == "0015g00000XyZab" + salesforce_suffix("0015g00000XyZab")


@pytest.mark.parametrize(
    ("names", "key"),
    [
        (("SystemModstamp", "LastModifiedDate", "CreatedDate"), "SystemModstamp"),
        (("LastModifiedDate", "CreatedDate"), "LastModifiedDate"),
        (("CreatedDate",), "CreatedDate"),
        ((), None),
    ],
)
def test_replication_key_is_the_first_datetime_of_the_list(names, key) -> None:
    obj = SObject("X", (SField("Id", "id"), *(SField(n, "datetime") for n in names)))
    assert obj.replication_key == key


def test_describe_maps_types_and_leaves_compound_and_base64_out() -> None:
    body = {"name": "Account", "fields": [
        {"name": "Id", "type": "id"}, {"name": "Amount", "type": "currency"},
        {"name": "N", "type": "int"}, {"name": "D", "type": "date"},
        {"name": "BillingAddress", "type": "address"}, {"name": "Body", "type": "base64"},
        {"name": "Future", "type": "somethingnew"}]}  # fmt: skip
    schema = parse_object(body, "Account").json_schema()["properties"]
    assert schema == {
        "Id": {"type": "string"}, "Amount": {"type": ["number", "null"]},
        "N": {"type": ["integer", "null"]}, "D": {"type": ["string", "null"], "format": "date"},
        "Future": {"type": ["string", "null"]},
    }  # fmt: skip


def test_unqueryable_and_change_event_objects_are_not_streams() -> None:
    body = {"sobjects": [{"name": "Account", "queryable": True},
                         {"name": "AccountChangeEvent", "queryable": True},
                         {"name": "Secret", "queryable": False}]}  # fmt: skip
    assert queryable_names(body) == ["Account"]


def test_converter_normalises_rest_and_csv_values_alike() -> None:
    obj = SObject("Opportunity", (SField("Id", "id"), SField("AccountId", "reference"),
                  SField("Amount", "currency"), SField("IsWon", "boolean"), SField("N", "int"),
                  SField("SystemModstamp", "datetime")))  # fmt: skip
    convert = RecordConverter(obj)
    rest = convert({"attributes": {}, "Id": "006A0000006Vm9rIAC", "AccountId": "001A0000006Vm9r",
                    "Amount": Decimal("1.50"), "IsWon": True, "N": 3,
                    "SystemModstamp": "2024-01-02T03:04:05.000+0000"})  # fmt: skip
    csv = convert({"Id": "006A0000006Vm9rIAC", "AccountId": "001A0000006Vm9rIAC",
                   "Amount": "1.50", "IsWon": "true", "N": "3.0",
                   "SystemModstamp": "2024-01-02T03:04:05.000Z"})  # fmt: skip
    assert rest == csv == {
        "Id": "006A0000006Vm9rIAC", "AccountId": "001A0000006Vm9rIAC", "Amount": Decimal("1.50"),
        "IsWon": True, "N": 3, "SystemModstamp": "2024-01-02T03:04:05.000000+00:00",
    }  # fmt: skip


def test_soql_has_unquoted_microsecond_literals_and_half_open_window() -> None:
    obj = SObject("Lead", (SField("Id", "id"), SField("SystemModstamp", "datetime")))
    query = build_query(obj, ("Id", "SystemModstamp"), Window(T0, T1, False), "SystemModstamp")
    assert query == (
        "SELECT Id,SystemModstamp FROM Lead WHERE SystemModstamp > 2024-01-01T00:00:00.000000Z "
        "AND SystemModstamp < 2024-01-03T00:00:00.000000Z ORDER BY SystemModstamp ASC"
    )


def test_window_halves_share_their_middle_once() -> None:
    left, right = Window(T0, T1, False).halves()
    assert (left.start, left.end, left.start_inclusive) == (T0, datetime(2024, 1, 2, tzinfo=UTC),
                                                            False)  # fmt: skip
    assert (right.start, right.end, right.start_inclusive) == (left.end, T1, True)


def test_groups_are_yielded_only_when_complete() -> None:
    rows = [{"k": 1, "i": 1}, {"k": 1, "i": 2}, {"k": 2, "i": 3}, {"k": 3, "i": 4}]
    groups = complete_groups(iter(rows), "k")
    assert next(groups) == rows[:2]
    assert [g for g in groups] == [[rows[2]], [rows[3]]]


def test_config_names_a_bad_api_type() -> None:
    with pytest.raises(ConfigurationError, match="'api_type' must be one of REST, BULK2"):
        parse_config({"client_id": "a", "client_secret": "b", "start_date": "2024-01-01",
                      "api_type": "SOAP"})  # fmt: skip
