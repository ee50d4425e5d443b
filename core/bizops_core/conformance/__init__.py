"""The tap conformance suite: whether a Singer tap, ours or anyone's, is fit to run under BizOps.

It drives the tap only through its command line (``--about``, ``--discover``, ``--config``,
``--catalog``, ``--state``), so it works on any executable. Use it from pytest::

    from bizops_core.conformance import TapProcess, run_suite

    results = run_suite(TapProcess(["tap-zuora"], config))
    assert all(r.ok for r in results), [r for r in results if not r.ok]

or from the shell: ``bizops test-tap --command tap-foo --config foo.json``. The checks and what
each one proves are listed in :data:`bizops_core.conformance.checks.CHECKS`.
"""

from bizops_core.conformance.checks import CHECKS, CheckResult, run_suite
from bizops_core.conformance.process import TapProcess, TapRun

__all__ = ["CHECKS", "CheckResult", "TapProcess", "TapRun", "run_suite"]
