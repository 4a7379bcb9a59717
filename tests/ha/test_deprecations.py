"""The guard that fails a test when Home Assistant reports a deprecation of this integration."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from homeassistant.helpers import frame
from homeassistant.loader import async_get_integration

from custom_components.unifi_scanner.const import DOMAIN
from tests.deprecations import deprecation_reports

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from tests.deprecations import DeprecationReports


async def test_a_report_about_this_integration_is_caught(
    hass: HomeAssistant, no_deprecation_reports: DeprecationReports
) -> None:
    await async_get_integration(hass, DOMAIN)
    frame.report_usage(
        "calls a helper that is going away",
        integration_domain=DOMAIN,
        breaks_in_ha_version="2099.1",
    )
    reports = no_deprecation_reports.take()
    assert len(reports) == 1
    assert "custom integration 'unifi_scanner' calls a helper that is going away" in reports[0]


async def test_every_test_sees_its_own_reports(
    hass: HomeAssistant, no_deprecation_reports: DeprecationReports
) -> None:
    """Home Assistant logs a report once per process; the guard makes it once per test."""
    await async_get_integration(hass, DOMAIN)

    def report() -> None:
        frame.report_usage("calls a helper that is going away", integration_domain=DOMAIN)

    report()
    report()  # the same place again in the same test: Home Assistant stays quiet
    assert len(no_deprecation_reports.take()) == 1
    with deprecation_reports() as next_test:  # what the guard does before the next test
        report()
    assert len(next_test.take()) == 1
    no_deprecation_reports.take()  # it heard that one too


def test_a_deprecated_constant_used_from_this_integration_is_caught(
    no_deprecation_reports: DeprecationReports,
) -> None:
    # The shape ``helpers.deprecation`` logs when a custom integration uses a deprecated name.
    logging.getLogger("homeassistant.const").warning(
        "The deprecated %s %s was %s from %s.%s Use %s instead, please %s",
        "constant",
        "OLD_NAME",
        "used",
        DOMAIN,
        " It will be removed in HA Core 2099.1.",
        "NEW_NAME",
        "report it to the author",
    )
    assert len(no_deprecation_reports.take()) == 1


def test_reports_about_other_integrations_are_left_alone(
    no_deprecation_reports: DeprecationReports,
) -> None:
    logger = logging.getLogger("homeassistant.helpers.frame")
    logger.warning("Detected that custom integration 'other' does something old")
    logger.warning("The deprecated constant X was used from unifi_scanner_fork. Use Y instead")
    logging.getLogger(DOMAIN).info("Detected that custom integration 'unifi_scanner' is fine")
    assert no_deprecation_reports.take() == []
