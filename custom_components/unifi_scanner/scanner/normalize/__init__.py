"""Turn the gateway's loosely typed JSON items into the typed models.

Everything here is pure and synchronous. The entry normalisers run once per log item (a busy site
produces hundreds of thousands), so they do plain dict look-ups only: no regexes, no string date
parsing when the ``time`` milliseconds exist, and one ``try`` per item so a single malformed item
is skipped instead of failing the batch. Numbers may arrive as strings, geo fields as ``{}``,
``[]`` or ``false``: see UNIFI_API.md section 8.
"""

from __future__ import annotations

from .build import _FAST_ENTRY, _FAST_THREAT, _fast_entry, _fast_threat, _slow_entry, _slow_threat
from .devices import normalize_device, normalize_health
from .fields import template_fields
from .legacy import normalize_event, normalize_ips
from .order import sort_entries, sort_newest_first
from .pace import gc_paused, in_worker_turn
from .page import normalize_entries
from .system_log import normalize_system_log

__all__ = [
    "_FAST_ENTRY",
    "_FAST_THREAT",
    "_fast_entry",
    "_fast_threat",
    "_slow_entry",
    "_slow_threat",
    "gc_paused",
    "in_worker_turn",
    "normalize_device",
    "normalize_entries",
    "normalize_event",
    "normalize_health",
    "normalize_ips",
    "normalize_system_log",
    "sort_entries",
    "sort_newest_first",
    "template_fields",
]
