"""`slipway demo` fails (exit 1) when its release lost a request (issue 19 item 6)."""

from __future__ import annotations

import pytest

from slipway.canary.traffic import TrafficReport
from slipway.cli.demo import check_no_request_lost
from slipway.errors import GateFailed


def test_no_lost_request_passes():
    check_no_request_lost(
        TrafficReport(sent=40, ok=40, by_variant={"champion": {"ok": 30}, "canary": {"ok": 10}})
    )


def test_one_lost_request_fails_the_demo_with_its_error():
    report = TrafficReport(
        sent=40,
        ok=39,
        failed=1,
        by_variant={"champion": {"ok": 30, "failed": 0}, "canary": {"ok": 9, "failed": 1}},
        errors=["422 from canary: pixel_07 above the contract's max"],
    )
    with pytest.raises(GateFailed, match="lost 1 of 40 requests") as failed:
        check_no_request_lost(report)
    assert "pixel_07 above" in str(failed.value) and failed.value.exit_code == 1
