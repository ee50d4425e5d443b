"""tap-zuora pure parts: settings, windows, ZOQL literals, cell conversion, error mapping."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from bizops_core.errors import (
    ConfigurationError,
    DataError,
    FatalError,
    RateLimited,
    RetriableError,
)
from bizops_core.redact import Redactor
from tap_zuora.config import parse_config
from tap_zuora.convert import RowConverter, column_name
from tap_zuora.describe import ZuoraField, ZuoraObject, parse_object
from tap_zuora.query import Window, export_query, plan_windows, zoql_instant
from tap_zuora.quirks import CredentialsRejected, vendor_error_hook

T0 = datetime(2025, 1, 1, tzinfo=UTC)
SETTINGS = {"client_id": "id", "client_secret": "s3cret-value", "start_date": "2025-01-01"}
OBJECT = ZuoraObject(
    "Account",
    (
        ZuoraField("Id", "text", True),
        ZuoraField("Balance", "decimal", False),
        ZuoraField("AutoPay", "boolean", False),
        ZuoraField("BillCycleDay", "integer", False),
        ZuoraField("LastInvoiceDate", "date", False),
        ZuoraField("UpdatedDate", "datetime", False),
    ),
)


def test_settings_get_schema_defaults_and_naive_start_date_is_utc() -> None:
    config = parse_config(SETTINGS)
    assert config.start_date == T0
    assert config.objects is None  # every object describe lists
    assert (config.api_type, config.auth_type, config.partner_id) == ("REST", "OAUTH", "bizops")
    assert (config.poll_interval, config.window_days, config.max_tries) == (10.0, 30, 5)
    assert "s3cret" not in repr(config)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"client_id": ""}, "'client_id' is required"),
        ({"base_url": "ftp://x"}, "'base_url' must be an http(s) URL"),
        ({"start_date": "yesterday"}, "'start_date' must be an ISO-8601 date-time"),
        ({"objects": ["Account", "1bad"]}, "'objects' holds '1bad'"),
        ({"max_tries": 2.5}, "'max_tries' must be a whole number"),
        ({"poll_interval": True}, "'poll_interval' must be a number"),
        ({"api_type": "SOAP"}, "'api_type' must be one of REST, AQUA, got 'SOAP'"),
        ({"auth_type": "KEY"}, "'auth_type' must be one of OAUTH, BASIC, got 'KEY'"),
    ],
)
def test_bad_setting_names_itself(override: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_config({**SETTINGS, **override})
    assert message in str(raised.value)


def test_windows_exclude_the_bookmark_only_in_the_first_window() -> None:
    windows = plan_windows(T0, T0 + timedelta(days=25), lower_inclusive=False, days=10)
    assert windows == [
        Window(T0, T0 + timedelta(days=10), False),
        Window(T0 + timedelta(days=10), T0 + timedelta(days=20), True),
        Window(T0 + timedelta(days=20), T0 + timedelta(days=25), True),
    ]
    assert plan_windows(T0, T0, lower_inclusive=True, days=10) == []


def test_export_query_selects_the_fields_asked_in_a_half_open_window() -> None:
    window = Window(T0 + timedelta(microseconds=5000), T0 + timedelta(days=1), False)
    assert export_query(OBJECT, OBJECT.field_names, window, "UpdatedDate") == (
        "select Id, Balance, AutoPay, BillCycleDay, LastInvoiceDate, UpdatedDate from Account "
        "where UpdatedDate > '2025-01-01T00:00:00.005Z' and UpdatedDate < '2025-01-02T00:00:00Z'"
    )
    assert export_query(OBJECT, ("Id", "Balance")) == "select Id, Balance from Account"
    with pytest.raises(ValueError, match="Account has no exportable fields \\['Nope'\\]"):
        export_query(OBJECT, ("Id", "Nope"))


def test_zoql_instant_keeps_microseconds_when_present() -> None:
    assert zoql_instant(T0 + timedelta(microseconds=7)) == "2025-01-01T00:00:00.000007Z"


def test_cells_become_exact_typed_values_and_empty_is_null() -> None:
    convert = RowConverter(OBJECT)
    row = {
        "Id": "a1",
        "Balance": "12345678901234567890.123456789",
        "AutoPay": "true",
        "BillCycleDay": "19",
        "LastInvoiceDate": "2025-03-04",
        "UpdatedDate": "2025-03-04T05:06:07.000-08:00",
        "NotExportable": "x",
    }
    assert convert(row) == {
        "Id": "a1",
        "Balance": Decimal("12345678901234567890.123456789"),
        "AutoPay": True,
        "BillCycleDay": 19,
        "LastInvoiceDate": "2025-03-04",
        "UpdatedDate": "2025-03-04T13:06:07.000000+00:00",
    }
    assert convert({"Id": "a2", "Balance": ""}) == {"Id": "a2", "Balance": None}


def test_a_cell_that_does_not_fit_its_type_is_a_data_error() -> None:
    with pytest.raises(
        DataError, match=r"Account a1: field AutoPay = 'yes' is not a valid boolean"
    ):
        RowConverter(OBJECT)({"Id": "a1", "AutoPay": "yes"})
    with pytest.raises(DataError, match="UpdatedDate"):
        RowConverter(OBJECT)({"Id": "a1", "UpdatedDate": "2025-03-04T05:06:07"})


def test_header_loses_its_object_prefix_and_joined_names_their_dot() -> None:
    assert column_name("Account.Name", "Account") == "Name"
    assert column_name("BillToContact.Id", "Account") == "BillToContactId"


def test_describe_keeps_only_exportable_fields_and_refuses_a_doctype() -> None:
    xml = (
        b"<object><name>Account</name><fields>"
        b"<field><name>Id</name><type>text</type><contexts><context>export</context></contexts>"
        b"</field><field><name>Secret</name><type>text</type><contexts><context>soap</context>"
        b"</contexts></field></fields></object>"
    )
    assert parse_object(xml, "Account").field_names == ("Id",)
    with pytest.raises(FatalError, match="DOCTYPE"):
        parse_object(b'<!DOCTYPE x [<!ENTITY a "b">]>' + xml, "Account")


def response(status: int, body: Any, path: str = "/v1/object/export") -> requests.Response:
    """A real requests.Response as HttpClient hands it to the hook."""
    made = requests.Response()
    made.status_code = status
    made._content = json.dumps(body).encode()
    made.headers["Content-Type"] = "application/json"
    made.url = f"https://rest.zuora.com{path}"
    made.request = requests.Request("POST", made.url).prepare()
    return made


HOOK = vendor_error_hook(Redactor(["s3cret-value"]))


@pytest.mark.parametrize(
    ("status", "body", "kind", "text"),
    [
        (200, {"Success": True, "Id": "j"}, None, ""),
        (200, {"Success": False, "Errors": [{"Code": "INVALID_VALUE", "Message": "bad"}]},
         FatalError, "Zuora refused POST /v1/object/export: INVALID_VALUE: bad"),
        (200, {"Success": False, "Errors": [{"Code": "LOCK_COMPETITION", "Message": "busy"}]},
         RetriableError, "LOCK_COMPETITION: busy"),
        (200, {"success": False, "reasons": [{"code": 53100011, "message": "who?"}]},
         ConfigurationError, "53100011: who?"),
        (200, {"Success": False, "Errors": [{"Code": "REQUEST_EXCEEDED_RATE", "Message": "slow"}]},
         RateLimited, "REQUEST_EXCEEDED_RATE: slow"),
        (200, {"success": False, "reasons": [{"code": 50000070, "message": "too many"}]},
         RateLimited, "50000070: too many"),
        (400, {"Success": False, "Errors": [{"Code": "INVALID_FIELD", "Message": "no Foo"}]},
         FatalError, "(HTTP 400): INVALID_FIELD: no Foo"),
        (401, {"message": "token s3cret-value expired"}, CredentialsRejected,
         "Zuora rejected the credentials (HTTP 401 from /v1/object/export): token *** expired"),
    ],
)  # fmt: skip
def test_zuora_error_bodies_map_into_the_taxonomy(
    status: int, body: Any, kind: type[Exception] | None, text: str
) -> None:
    error = HOOK(response(status, body))
    if kind is None:
        assert error is None
    else:
        assert type(error) is kind
        assert text in str(error)
