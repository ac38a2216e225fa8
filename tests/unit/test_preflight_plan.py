"""preflight_verdict: which statuses fail the task for each fail_on."""

from __future__ import annotations

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import preflight_verdict
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.prereqs import CheckResult
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import InvalidOption

PASS_ = CheckResult("top_tier_site", "pass", "ok")
WARN_ = CheckResult("tls12", "warn", "not checked")
FAIL_ = CheckResult("ha_placement", "fail", "HA pair")

CASES = [
    # id, results, fail_on, status, failing ids (in the message), failed, warned
    ("all-pass", [PASS_], "warning", "pass", [], [], []),
    ("warn-on-error", [PASS_, WARN_], "error", "warn", [], [], ["tls12"]),
    ("warn-on-warning", [PASS_, WARN_], "warning", "warn", ["tls12"], [], ["tls12"]),
    ("fail-on-error", [FAIL_, WARN_], "error", "fail", ["ha_placement"], ["ha_placement"], ["tls12"]),
    ("fail-on-warning", [FAIL_, WARN_], "warning", "fail", ["ha_placement", "tls12"], ["ha_placement"], ["tls12"]),
    ("fail-never", [FAIL_, WARN_], "never", "fail", [], ["ha_placement"], ["tls12"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_preflight_verdict(case):
    _id, results, fail_on, status, failing, failed, warned = case
    verdict = preflight_verdict("scp01.contoso.com", results, fail_on)
    assert verdict.status == status and list(verdict.failed_checks) == failed and list(verdict.warning_checks) == warned
    assert (verdict.failure is None) is (not failing)
    if failing:
        assert verdict.failure.startswith(
            f"prerequisites for the service connection point on scp01.contoso.com not met (fail_on={fail_on}): "
        )
        assert [part.split(":")[0] for part in verdict.failure.split(": ", 1)[1].split("; ")] == failing


def test_an_unknown_fail_on_is_refused():
    with pytest.raises(InvalidOption):
        preflight_verdict("scp01.contoso.com", [PASS_], "sometimes")
