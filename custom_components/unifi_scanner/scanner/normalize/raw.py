"""Choose what an entry keeps as ``raw``: a flat item as it is, anything nested compacted."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

_is_tracked = gc.is_tracked
_ATOMIC = frozenset({str, int, float, bool})
# Threat entries' nested groups, kept whole (they are few) as ``group_field``.
_FLATTENED_GROUPS = ("source", "destination", "trigger")
# Flattened names are cached so 100 000 entries share one ``CLIENT_name`` string; the caches
# are bounded because role and field names come from the gateway.
_FLAT_NAMES: dict[Any, str] = {}
_ROLE_NAMES: dict[Any, tuple[str, str, str]] = {}
_NAMES_LIMIT = 1024


def _flat_name(prefix: Any, name: Any) -> str:
    """Return ``{prefix}_{name}``, shared between entries while the cache has room."""
    flat = f"{prefix}_{name}"
    shared = _FLAT_NAMES.get(flat)
    if shared is not None:
        return shared
    if len(_FLAT_NAMES) < _NAMES_LIMIT:
        _FLAT_NAMES[flat] = flat
    return flat


def _role_names(role: Any) -> tuple[str, str, str]:
    """Return the flattened ``ROLE_name``, ``ROLE_id`` and ``ROLE_ip`` names of a role.

    Only these parts can be addressed by rules (``catalogue.ALLOWED_PLACEHOLDERS``); the rest
    of a role (model, version, fingerprint …) restates device state and is dropped.
    """
    names = _ROLE_NAMES.get(role)
    if names is None:
        names = (_flat_name(role, "name"), _flat_name(role, "id"), _flat_name(role, "ip"))
        if len(_ROLE_NAMES) < _NAMES_LIMIT:
            _ROLE_NAMES[role] = names
    return names


def _compact(item: Mapping[str, Any]) -> dict[str, Any]:
    """Keep what later stages can read of a nested item, in a dict that holds no container.

    Rule conditions read top-level scalars, kept as they are. Templates and the engine read v2
    parameter roles only as ``ROLE_name``/``ROLE_id``/``ROLE_ip``, and ``template_fields`` also
    offers the ``source``/``destination``/``trigger`` groups as ``group_field``: those are
    flattened under exactly those names, with ``template_fields``' precedence. The role dicts,
    IPS geo objects and lists are dropped, so they are freed with their page.

    Building the dict from scalars only (rather than copying the item) also leaves it untracked
    by the cyclic collector: 100 000 kept entries then add no dicts for every full collection
    of the process (Home Assistant's included) to traverse, and do not bring one on sooner.
    """
    atomic = _ATOMIC
    raw = {name: value for name, value in item.items() if type(value) in atomic}
    params = item.get("parameters")
    if isinstance(params, dict):
        for role, values in params.items():
            if isinstance(values, dict):
                name_key, id_key, ip_key = _role_names(role)
                get = values.get
                value = get("name")
                if type(value) in atomic:
                    raw[name_key] = value
                value = get("id")
                if type(value) in atomic:
                    raw[id_key] = value
                value = get("ip")
                if type(value) in atomic:
                    raw[ip_key] = value
    if "source" in item or "destination" in item or "trigger" in item:
        for group in _FLATTENED_GROUPS:
            values = item.get(group)
            if isinstance(values, dict):
                for name, value in values.items():
                    if type(value) in atomic:
                        raw[_flat_name(group, name)] = value
    return raw


def _kept(item: Mapping[str, Any]) -> Mapping[str, Any]:
    """Choose the ``raw`` an entry keeps: a flat item as it is, anything nested compacted.

    ``gc.is_tracked`` is CPython's O(1) flag for "this dict may hold a container": a flat legacy
    row (the common case) is untracked and kept without copying. It holds only scalars, or
    containers that hold nothing tracked, which later stages ignore just as they would in the
    compact form.
    """
    return _compact(item) if _is_tracked(item) else item
