"""Shared fixtures.

The integration package is imported first: the test harness ships its own ``custom_components``
package and Home Assistant would otherwise not find ``unifi_scanner``.
"""

from __future__ import annotations

import custom_components.unifi_scanner.scanner  # noqa: F401
