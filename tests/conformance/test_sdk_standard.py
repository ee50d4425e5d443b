"""The singer-sdk's own standard tap tests (``singer_sdk.testing``: CLI, discovery, every
stream's records against its schema, keys, replication keys) on both taps in every mode,
against the emulators.

The SDK builds the test classes from a config when this module is imported, so the two
emulators start here, once, and stop when the test process exits."""

from __future__ import annotations

import atexit

from singer_sdk.testing import get_tap_test_class

from bizops_sandbox.salesforce import create_app as salesforce_app
from bizops_sandbox.server import serve
from bizops_sandbox.world import World
from bizops_sandbox.zuora import create_app as zuora_app
from tap_salesforce.tap import TapSalesforce
from tap_zuora.tap import TapZuora
from tests.taps import salesforce_support, zuora_support

_WORLD = World.generate(seed=42, size="small")
_ZUORA = serve(zuora_app(_WORLD))
_SALESFORCE = serve(salesforce_app(_WORLD))
atexit.register(_ZUORA.stop)
atexit.register(_SALESFORCE.stop)

TestTapZuoraAqua = get_tap_test_class(
    TapZuora, config=zuora_support.tap_config(_ZUORA.url, api_type="AQUA")
)
TestTapZuoraRest = get_tap_test_class(
    TapZuora, config=zuora_support.tap_config(_ZUORA.url, api_type="REST")
)
TestTapSalesforceRest = get_tap_test_class(
    TapSalesforce, config=salesforce_support.tap_config(_SALESFORCE.url, "REST")
)
TestTapSalesforceBulk2 = get_tap_test_class(
    TapSalesforce, config=salesforce_support.tap_config(_SALESFORCE.url, "BULK2")
)
