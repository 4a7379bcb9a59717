"""``stat/device`` items as ``Device`` and ``stat/health`` subsystems as ``HealthSubsystem``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custom_components.unifi_scanner.scanner.models import (
    Device,
    HealthSubsystem,
    Storage,
    Temperature,
    WanLink,
    WanMonitor,
)

from .coerce import _SKIP, _bool, _float, _int, _text

if TYPE_CHECKING:
    from collections.abc import Mapping


def _temperatures(item: Mapping[str, Any], stats: Mapping[str, Any]) -> tuple[Temperature, ...]:
    """Collect every temperature a device reports, in the three shapes firmware uses."""
    found: dict[str, float] = {}
    sensors = item.get("temperatures")
    if isinstance(sensors, list):
        for sensor in sensors:
            if isinstance(sensor, dict):
                value = _float(sensor.get("value"))
                name = _text(sensor.get("name")) or _text(sensor.get("type")) or "sensor"
                if value is not None:
                    found.setdefault(name, value)
    temps = stats.get("temps")
    if isinstance(temps, dict):
        for name, raw_value in temps.items():
            value = _float(raw_value)
            if value is not None:
                found.setdefault(str(name), value)
    general = _float(item.get("general_temperature"))
    if general is not None and item.get("has_temperature") is not False:
        found.setdefault("General", general)
    return tuple(Temperature(name=name, value=value) for name, value in found.items())


def _poe(item: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """PoE draw summed over ports, and the switch's budget."""
    used: float | None = None
    ports = item.get("port_table")
    if isinstance(ports, list):
        for port in ports:
            if isinstance(port, dict):
                power = _float(port.get("poe_power"))
                if power is not None:
                    used = (used or 0.0) + power
    return used, _float(item.get("total_max_power"))


def _storage(item: Mapping[str, Any]) -> tuple[Storage, ...]:
    volumes = item.get("storage")
    if not isinstance(volumes, list):
        return ()
    result: list[Storage] = []
    for volume in volumes:
        if not isinstance(volume, dict):
            continue
        size = _int(volume.get("size"))
        used = _int(volume.get("used"))
        if size is None or used is None:
            continue
        name = _text(volume.get("name")) or _text(volume.get("mount_point")) or "storage"
        result.append(Storage(name=name, size=size, used=used))
    return tuple(result)


def _monitors(stats: Mapping[str, Any]) -> tuple[WanMonitor, ...]:
    """Read ``uptime_stats.<WAN>.monitors`` (some gateways report nothing else)."""
    monitors = stats.get("monitors")
    if not isinstance(monitors, list):
        return ()
    return tuple(
        WanMonitor(
            target=_text(monitor.get("target")) or "?",
            availability=_float(monitor.get("availability")),
            latency_ms=_float(monitor.get("latency_average")),
        )
        for monitor in monitors
        if isinstance(monitor, dict)
    )


def _worst(monitors: tuple[WanMonitor, ...]) -> tuple[float | None, float | None]:
    """Return the lowest availability and the mean latency across monitors."""
    availability = [m.availability for m in monitors if m.availability is not None]
    latency = [m.latency_ms for m in monitors if m.latency_ms is not None]
    return (
        min(availability) if availability else None,
        sum(latency) / len(latency) if latency else None,
    )


def _wan(item: Mapping[str, Any]) -> tuple[WanLink, ...]:
    """WAN uplinks from ``wan1``/``wan2`` plus their ``uptime_stats``.

    A link's own figures win; the per-target monitors fill what is missing (and then name their
    targets); the primary link's last speed test is the latency of last resort.
    """
    uptime_stats = item.get("uptime_stats")
    if not isinstance(uptime_stats, dict):
        uptime_stats = {}
    speedtest = item.get("speedtest-status")
    speedtest_latency = _float(speedtest.get("latency")) if isinstance(speedtest, dict) else None
    links: list[WanLink] = []
    for field_name, stats_name in (("wan1", "WAN"), ("wan2", "WAN2")):
        wan = item.get(field_name)
        stats = uptime_stats.get(stats_name)
        if not isinstance(wan, dict) and not isinstance(stats, dict):
            continue
        wan = wan if isinstance(wan, dict) else {}
        stats = stats if isinstance(stats, dict) else {}
        up = wan.get("up")
        monitors = _monitors(stats)
        latency = _float(wan.get("latency"))
        if latency is None:
            latency = _float(stats.get("latency_average"))
        availability = _float(stats.get("availability"))
        if availability is None:
            availability = _float(wan.get("availability"))
        worst_availability, mean_latency = _worst(monitors)
        from_monitors = (latency is None and mean_latency is not None) or (
            availability is None and worst_availability is not None
        )
        if latency is None:
            latency = mean_latency
        if availability is None:
            availability = worst_availability
        if latency is None and field_name == "wan1":
            latency = speedtest_latency
        links.append(
            WanLink(
                name=_text(wan.get("name")) or field_name.upper(),
                up=_bool(up) if up is not None else None,
                latency_ms=latency,
                availability=availability,
                monitors=monitors if from_monitors else (),
            )
        )
    return tuple(links)


def _device(item: Mapping[str, Any]) -> Device | None:
    mac = _text(item.get("mac"))
    if mac is None:
        return None
    stats = item.get("system-stats")
    if not isinstance(stats, dict):
        stats = {}
    poe_used, poe_budget = _poe(item)
    uptime = _int(item.get("uptime"))
    return Device(
        mac=mac,
        name=_text(item.get("name")) or mac,
        model=_text(item.get("model")),
        type=_text(item.get("type")),
        state=_int(item.get("state")),
        adopted=_bool(item.get("adopted"), default=True),
        version=_text(item.get("version")),
        upgradable=_bool(item.get("upgradable")),
        upgrade_to=_text(item.get("upgrade_to_firmware")),
        uptime=uptime if uptime is not None else _int(stats.get("uptime")),
        cpu=_float(stats.get("cpu")),
        mem=_float(stats.get("mem")),
        temperatures=_temperatures(item, stats),
        overheating=_bool(item.get("overheating")),
        poe_used_w=poe_used,
        poe_budget_w=poe_budget,
        storage=_storage(item),
        wan=_wan(item),
        raw=item,
    )


def normalize_device(item: Mapping[str, Any]) -> Device | None:
    """Normalise a ``stat/device`` item; None without a MAC."""
    try:
        return _device(item)
    except _SKIP:
        return None


def _health(item: Mapping[str, Any]) -> HealthSubsystem | None:
    subsystem = _text(item.get("subsystem"))
    if subsystem is None:
        return None
    uptime_stats = item.get("uptime_stats")
    wan_stats = uptime_stats.get("WAN") if isinstance(uptime_stats, dict) else None
    if not isinstance(wan_stats, dict):
        wan_stats = {}
    latency = _float(item.get("latency"))
    if latency is None:
        latency = _float(wan_stats.get("latency_average"))
    site_to_site = _bool(item.get("site_to_site_enabled"))
    return HealthSubsystem(
        subsystem=subsystem,
        status=_text(item.get("status")) or "unknown",
        latency_ms=latency,
        availability=_float(wan_stats.get("availability")),
        num_disconnected=_int(item.get("num_disconnected")),
        tunnels_active=_int(item.get("site_to_site_num_active")) if site_to_site else None,
        tunnels_inactive=_int(item.get("site_to_site_num_inactive")) if site_to_site else None,
        raw=item,
    )


def normalize_health(item: Mapping[str, Any]) -> HealthSubsystem | None:
    """Normalise one ``stat/health`` subsystem; None without a subsystem name."""
    try:
        return _health(item)
    except _SKIP:
        return None
