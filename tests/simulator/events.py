"""Deterministic event generation: one occurrence, rendered for every store that keeps it.

A real controller files the same happening in several places (legacy `stat/event`,
`list/alarm`, `stat/ips/event`, the v2 system log) with different ids and shapes;
`EventFactory.build` produces all of them at once so a client's cross-source
de-duplication is exercised against consistent data.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .catalog import EVENT_KEYS, GEO, SIGNATURES, KeySpec
from .scenario import Scenario, SiteSpec, load_scenario

if TYPE_CHECKING:
    from collections.abc import Collection

_OUIS = (
    "a4:83:e7", "3c:28:6d", "8c:79:f5", "48:a6:b8", "24:0a:c4",
    "00:11:32", "3c:7c:3f", "20:3d:bd", "f0:18:98", "b8:27:eb",
)  # fmt: skip
_ROGUE_SSIDS = ("FreeWiFi", "xfinitywifi", "DIRECT-roku-512", "HP-Print-3F-LaserJet")
_ATTACKER_NETS = (45, 89, 185, 193, 222, 61, 179)
_PORTS = (22, 23, 80, 443, 445, 1433, 3389, 5060, 8080, 8443)
_SWEDEN = {
    "continent_code": "EU", "country_code": "SE", "country_code3": "SWE",
    "country_name": "Sweden", "region": "AB", "city": "Stockholm",
    "postal_code": "111 20", "latitude": 59.3294, "longitude": 18.0686,
    "dma_code": 0, "area_code": 0, "asn": 3301, "organization": "Telia Company AB",
}  # fmt: skip
_ROLE_OF_TYPE = {"uap": "ap", "usw": "sw", "udm": "gw", "ugw": "gw", "uxg": "gw"}
_SEVERITY_V2 = {1: "VERY_HIGH", 2: "HIGH", 3: "MEDIUM"}
_PLACEHOLDER = re.compile(r"\{([A-Z_]+)\}")


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One happening as each store shows it (None where that store lacks it)."""

    legacy: dict[str, Any]
    v2: dict[str, Any] | None
    ips: dict[str, Any] | None
    alarm: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class _Device:
    mac: str
    name: str
    model: str
    role: str
    version: str
    ip: str
    online: bool
    channels: tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class _Client:
    mac: str
    hostname: str
    ip: str
    wired: bool
    guest: bool
    network: str


class _Missing(dict[str, Any]):
    """Format mapping that leaves unknown placeholders as they are."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _iso(time_ms: int) -> str:
    return dt.datetime.fromtimestamp(time_ms // 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _human_duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def _human_bytes(count: int) -> str:
    for unit, size in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if count >= size:
            return f"{count / size:.2f}{unit}"
    return str(count)


def to_ms(when: dt.datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(when.timestamp() * 1000)


class EventFactory:
    """Builds occurrences for one site of a scenario; deterministic for a seed."""

    def __init__(self, scenario: Scenario, site: SiteSpec, seed: int) -> None:
        """Derive clients and the device roster from the scenario data."""
        self._rng = random.Random(f"{seed}:{scenario.name}:{site.name}")  # noqa: S311
        self._scenario = scenario
        self._site = site
        try:
            self._tz: dt.tzinfo = ZoneInfo(scenario.timezone)
        except ZoneInfoNotFoundError:
            self._tz = dt.UTC
        self._oid_process = f"{self._rng.getrandbits(40):010x}"
        self._oid_counter = self._rng.getrandbits(24)
        self.devices = tuple(_device(raw) for raw in site.devices)
        self._clients = tuple(
            _Client(
                mac=f"{self._rng.choice(_OUIS)}:{self._mac_tail()}",
                hostname=spec.hostname,
                ip=f"192.168.{2 if spec.guest else 1}.{100 + index}",
                wired=spec.wired,
                guest=spec.guest,
                network="Guest" if spec.guest else spec.network,
            )
            for index, spec in enumerate(site.clients)
        )
        self._wlan_ids = {ssid: f"{self._rng.getrandbits(96):024x}" for ssid in scenario.ssids}
        self._wan_ip = str(scenario.console.get("wan_ip", "203.0.113.45"))
        self._mix = {key: w for key, w in site.mix.items() if self._possible(key)}

    # -- public -----------------------------------------------------------------

    def random_occurrences(
        self,
        count: int,
        *,
        end: dt.datetime,
        span: dt.timedelta,
        keys: Collection[str] | None = None,
    ) -> list[Occurrence]:
        """Return `count` occurrences spread over `span` before `end`, oldest first."""
        mix = {k: w for k, w in self._mix.items() if keys is None or k in keys}
        if not mix:
            mix = {k: 1.0 for k in keys or () if self._possible(k)}
        names, weights = list(mix), list(mix.values())
        end_ms, span_ms = to_ms(end), int(span.total_seconds() * 1000)
        times = sorted(end_ms - 1 - int(self._rng.random() * span_ms) for _ in range(count))
        built = [self.build(self._rng.choices(names, weights)[0], time_ms) for time_ms in times]
        # Disconnects round `time` down to the second, which can reorder neighbours.
        return sorted(built, key=lambda occ: int(occ.legacy["time"]))

    def build(
        self, key: str, time_ms: int, *, device: str | None = None, **overrides: Any
    ) -> Occurrence:
        """Render one occurrence of `key` at `time_ms`; `overrides` replace fields."""
        spec = EVENT_KEYS.get(key) or KeySpec("device", "lan", key.removeprefix("EVT_"))
        if spec.whole_second:
            time_ms -= time_ms % 1000
        fields, params = self._fields(key, spec, device)
        fields.update({k: v for k, v in overrides.items() if k != "msg"})
        render = _Missing(fields)
        render.update(self._render_extras(fields))
        legacy: dict[str, Any] = {
            "_id": self._object_id(time_ms),
            "key": key,
            "subsystem": spec.subsystem,
            "site_id": self._site.id,
            "time": time_ms,
            "datetime": _iso(time_ms),
            **fields,
            "msg": overrides.get("msg", spec.msg.format_map(render)),
        }
        ips = None
        if spec.family == "ips":
            legacy["timestamp"] = time_ms // 1000
            ips = {**legacy, "_id": self._object_id(time_ms), "archived": False}
        v2 = self._v2(legacy, spec, params) if spec.v2 is not None else None
        alarm = None
        if spec.alarm:
            archived = self._rng.random() < 0.3
            alarm = {**legacy, "_id": self._object_id(time_ms), "archived": archived}
            if archived:
                alarm["handled_admin_id"] = f"{self._rng.getrandbits(96):024x}"
                alarm["handled_time"] = _iso(time_ms + 3_600_000)
            for role in ("ap", "sw", "gw"):
                if f"{role}_name" in legacy:
                    alarm["device_name"] = legacy[f"{role}_name"]
        return Occurrence(legacy=legacy, v2=v2, ips=ips, alarm=alarm)

    # -- helpers ----------------------------------------------------------------

    def _mac_tail(self) -> str:
        return ":".join(f"{self._rng.randrange(256):02x}" for _ in range(3))

    def _object_id(self, time_ms: int) -> str:
        """Mongo ObjectId: insert second (0-25 s after `time`), process id, counter."""
        self._oid_counter = (self._oid_counter + 1) % (1 << 24)
        seconds = time_ms // 1000 + self._rng.randint(0, 25)
        return f"{seconds:08x}{self._oid_process}{self._oid_counter:06x}"

    def _role(self, role: str) -> list[_Device]:
        return [d for d in self.devices if d.role == role]

    def _clients_of(self, *, wired: bool, guest: bool) -> list[_Client]:
        return [c for c in self._clients if c.wired == wired and c.guest == guest]

    def _possible(self, key: str) -> bool:
        spec = EVENT_KEYS.get(key)
        if spec is None:
            return False
        prefix = key.split("_")[1]
        if spec.family == "client":
            return bool(self._role("ap")) and any(not c.wired for c in self._clients)
        if spec.family == "roam":
            return len(self._role("ap")) >= (2 if key == "EVT_WU_Roam" else 1) and any(
                not c.wired and not c.guest for c in self._clients
            )
        if spec.family == "wired":
            return any(c.wired for c in self._clients)
        if spec.family == "device":
            return bool(self._role(prefix.lower()))
        return True

    def _pick_device(self, role: str, name: str | None, *, online: bool = False) -> _Device:
        if name is not None:
            for candidate in self.devices:
                if name in (candidate.name, candidate.mac):
                    return candidate
        found = self._role(role) or list(self.devices)
        if online:
            found = [d for d in found if d.online] or found
        return self._rng.choice(found)

    def _pick_client(self, *, wired: bool, guest: bool) -> _Client:
        found = self._clients_of(wired=wired, guest=guest)
        return self._rng.choice(found or [c for c in self._clients if c.wired == wired])

    def _channel(self, ap: _Device) -> tuple[int | str, str]:
        number, radio = (
            self._rng.choice(ap.channels)
            if ap.channels
            else self._rng.choice(((1, "ng"), (6, "ng"), (36, "na"), (44, "na")))
        )
        # Some firmware sends the channel as a string.
        return (str(number) if self._rng.random() < 0.25 else number), radio

    def _fields(
        self, key: str, spec: KeySpec, device: str | None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Return the legacy fields and the v2 parameters (role -> object)."""
        builder = {
            "client": self._client_fields,
            "roam": self._roam_fields,
            "wired": self._wired_fields,
            "device": self._device_fields,
            "admin": self._admin_fields,
            "ips": self._ips_fields,
        }[spec.family]
        return builder(key, device)

    def _client_param(self, client: _Client) -> dict[str, Any]:
        return {
            "id": client.mac,
            "name": client.hostname,
            "hostname": client.hostname,
            "ip": client.ip,
            "fingerprint_source": "CLOUD",
            "not_actionable": False,
        }

    @staticmethod
    def _device_param(device: _Device) -> dict[str, Any]:
        return {
            "id": device.mac,
            "name": device.name,
            "model": device.model,
            "model_name": device.model,
            "version": device.version,
            "ip": device.ip,
        }

    def _client_fields(
        self, key: str, _device: str | None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        guest = "_WG_" in key
        client = self._pick_client(wired=False, guest=guest)
        ap = self._pick_device("ap", None, online=True)
        ssid = (
            "Guest"
            if guest
            else self._rng.choice(self._scenario.ssids[:1] * 3 + self._scenario.ssids)
        )
        fields: dict[str, Any] = {
            "guest" if guest else "user": client.mac,
            "hostname": client.hostname,
            "ap": ap.mac,
            "ap_name": ap.name,
            "ap_displayName": ap.name,
            "ssid": ssid,
        }
        if key.endswith("Disconnected"):
            fields["duration"] = self._rng.randint(20, 6 * 3600)
            fields["bytes"] = self._rng.randint(2_000, 900_000_000)
        else:
            fields["channel"], fields["radio"] = self._channel(ap)
        wlan = {"id": self._wlan_ids.get(ssid, "0" * 24), "name": ssid}
        return fields, {
            "CLIENT": self._client_param(client),
            "DEVICE": self._device_param(ap),
            "WLAN": wlan,
        }

    def _roam_fields(
        self, key: str, _device: str | None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        client = self._pick_client(wired=False, guest=False)
        aps = [ap for ap in self._role("ap") if ap.online]
        if len(aps) < 2:
            aps = self._role("ap")
        (ch_from, r_from), (ch_to, r_to) = (self._channel(self._rng.choice(aps)) for _ in range(2))
        fields: dict[str, Any] = {"user": client.mac, "hostname": client.hostname}
        params = {"CLIENT": self._client_param(client)}
        if key == "EVT_WU_Roam":
            ap_from, ap_to = self._rng.sample(aps, 2) if len(aps) > 1 else (aps[0], aps[0])
            fields |= {"ap_from": ap_from.mac, "ap_to": ap_to.mac}
            params |= {
                "DEVICE": self._device_param(ap_from),
                "DEVICE_TO": self._device_param(ap_to),
            }
        else:
            ap = self._rng.choice(aps)
            fields |= {"ap": ap.mac, "ap_name": ap.name}
            params["DEVICE"] = self._device_param(ap)
        fields |= {
            "channel_from": ch_from,
            "channel_to": ch_to,
            "radio_from": r_from,
            "radio_to": r_to,
            "ssid": self._scenario.ssids[0],
        }
        return fields, params

    def _wired_fields(
        self, key: str, _device: str | None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        client = self._pick_client(wired=True, guest=False)
        fields: dict[str, Any] = {
            "user": client.mac,
            "hostname": client.hostname,
            "network": client.network,
        }
        if key.endswith("Disconnected"):
            fields["duration"] = self._rng.randint(60, 48 * 3600)
            fields["bytes"] = self._rng.randint(50_000, 40_000_000_000)
        network = {"id": client.network, "name": client.network}
        return fields, {"CLIENT": self._client_param(client), "NETWORK": network}

    def _device_fields(
        self, key: str, device: str | None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        prefix, action = key.split("_", 2)[1:]
        role = prefix.lower()
        dev = self._pick_device(role, device)
        fields: dict[str, Any] = {
            role: dev.mac,
            f"{role}_name": dev.name,
            f"{role}_displayName": dev.name,
        }
        params: dict[str, dict[str, Any]] = {"DEVICE": self._device_param(dev)}
        rng = self._rng
        port = rng.randint(1, 8)
        match action:
            case "Restarted":
                fields["admin"] = rng.choice(self._scenario.admins)
            case "RestartedUnknown":
                fields["duration"] = rng.randint(30, 400)
            case "Upgraded":
                fields["version_from"] = "6.5.62.14789"
                fields["version_to"] = dev.version
                params["VERSION"] = {"id": dev.version, "name": dev.version}
            case "ChannelChanged":
                fields["channel_from"], fields["radio"] = self._channel(dev)
                fields["channel_to"] = rng.choice((36, 44, 149))
            case "RadarDetected":
                channel = rng.choice((52, 56, 60, 64, 100, 116, 132))
                fields |= {"radar_channel": channel, "freq": 5000 + 5 * channel}
            case "PossibleInterference":
                fields["channel"], fields["radio"] = self._channel(dev)
            case "DetectRogueAP":
                essid = rng.choice(_ROGUE_SSIDS)
                bssid = f"{rng.choice(_OUIS)}:{self._mac_tail()}"
                fields |= {
                    "essid": essid,
                    "bssid": bssid,
                    "channel": rng.choice((1, 6, 11, 36)),
                    "rssi": rng.randint(5, 40),
                }
                params["SSID"] = {"id": bssid, "name": essid}
            case "PoeOverload" | "PoeDisconnect" | "StpPortBlocking" | "LoopDetected":
                fields["port"] = port
                params["PORT"] = {"id": str(port), "name": f"Port {port}"}
            case "DetectRogueDHCP":
                fields |= {
                    "ip": "192.168.1.254",
                    "dhcp_mac": f"{rng.choice(_OUIS)}:{self._mac_tail()}",
                    "port": port,
                    "vlan": 1,
                }
                params["IP"] = {"id": "192.168.1.254", "name": "192.168.1.254"}
            case "WANTransition":
                fields |= {"iface": "eth8", "state": rng.choice(("inactive", "active"))}
                params = {
                    "GATEWAY": params["DEVICE"],
                    "WAN": {"id": "eth8", "name": "WAN"},
                    "STATE": {"id": fields["state"], "name": fields["state"]},
                }
            case "DhcpPoolExhausted":
                fields["network_name"] = "IoT"
        return fields, params

    def _admin_fields(
        self, key: str, _device: str | None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        rng = self._rng
        admin = rng.choice(self._scenario.admins)
        if key == "EVT_AD_Update_Available":
            version = "9.1.120"
            return {"version": version}, {"VERSION": {"id": version, "name": version}}
        if key == "EVT_AD_LoginFailed" and rng.random() < 0.6:
            ip = self._public_ip()
        else:
            ip = f"192.168.1.{rng.randint(100, 130)}"
        return (
            {"admin": admin, "ip": ip, "is_admin": True},
            {"ADMIN": {"id": admin, "name": admin}, "IP": {"id": ip, "name": ip}},
        )

    def _public_ip(self) -> str:
        rng = self._rng
        return ".".join(
            str(part)
            for part in (
                rng.choice(_ATTACKER_NETS),
                rng.randrange(256),
                rng.randrange(256),
                rng.randint(1, 254),
            )
        )

    def _external(self) -> tuple[str, dict[str, Any] | list[Any] | bool]:
        rng = self._rng
        ip = self._public_ip()
        roll = rng.random()
        geo: dict[str, Any] | list[Any] | bool = (
            dict(rng.choice(GEO)) if roll < 0.8 else ([] if roll < 0.9 else False)
        )
        return ip, geo

    def _ips_fields(
        self, _key: str, _device: str | None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        rng = self._rng
        sig_id, signature, category, severity, catname = rng.choice(SIGNATURES)
        gateway = self._pick_device("gw", None)
        outside_ip, outside_geo = self._external()
        inbound = rng.random() < 0.7 or not self._clients
        client = None if inbound else rng.choice(self._clients)
        proto = rng.choice(("TCP", "TCP", "TCP", "UDP"))
        if inbound:
            src_ip, src_geo, src_mac = outside_ip, outside_geo, "00:00:00:00:00:00"
            dest_ip, dest_mac = self._wan_ip, gateway.mac
            dest_geo: dict[str, Any] | list[Any] | bool = dict(_SWEDEN)
            src_port, dest_port = rng.randint(1024, 65535), rng.choice(_PORTS)
        else:
            assert client is not None
            src_ip, src_geo, src_mac = client.ip, [], client.mac
            dest_ip, dest_geo, dest_mac = outside_ip, outside_geo, gateway.mac
            src_port, dest_port = rng.randint(1024, 65535), rng.choice((80, 443))

        def country(geo: dict[str, Any] | list[Any] | bool) -> str | bool:
            return geo["country_code"] if isinstance(geo, dict) else False

        def asn(geo: dict[str, Any] | list[Any] | bool) -> str:
            if isinstance(geo, dict):
                return f"AS{geo['asn']} {geo['organization']}"
            return ""

        action = "blocked" if rng.random() < 0.6 else "allowed"
        alert_no = rng.randint(10**8, 10**10)
        fields: dict[str, Any] = {
            "event_type": "alert",
            "flow_id": rng.getrandbits(50),
            "tx_id": rng.randint(0, 3),
            "in_iface": "eth8" if inbound else "br0",
            "src_ip": src_ip,
            "src_mac": src_mac,
            "src_port": src_port,
            "dest_ip": dest_ip,
            "dst_mac": dest_mac,
            "dest_port": dest_port,
            "proto": proto,
            "app_proto": rng.choice(("http", "tls", "failed", "ssh", "dns")),
            "host": gateway.mac,
            "usgip": self._wan_ip,
            "unique_alertid": str(alert_no),
            "inner_alert_action": action,
            "inner_alert_gid": 1,
            "inner_alert_signature_id": sig_id,
            "inner_alert_rev": rng.randint(1, 9),
            "inner_alert_signature": signature,
            "inner_alert_category": category,
            "inner_alert_severity": severity,
            "catname": list(catname) if isinstance(catname, list) else catname,
            "srcipCountry": country(src_geo),
            "dstipCountry": country(dest_geo),
            "usgipCountry": "SE",
            "srcipASN": asn(src_geo),
            "dstipASN": asn(dest_geo),
            "usgipASN": asn(_SWEDEN),
            "srcipGeo": src_geo,
            "dstipGeo": dest_geo,
            "usgipGeo": dict(_SWEDEN),
        }
        source = {"ip": src_ip, "mac": src_mac, "port": src_port, "type": "IP"}
        if client is not None:
            source |= {"name": client.hostname, "type": "CLIENT"}
        params: dict[str, dict[str, Any]] = {
            "SIGNATURE": {"id": str(sig_id), "name": signature},
            "SRC_IP": {"id": src_ip, "name": client.hostname if client else src_ip},
            "DST_IP": {"id": dest_ip, "name": dest_ip},
            "ACTION": {"id": action, "name": action},
            "_source": source,
            "_destination": {"ip": dest_ip, "mac": dest_mac, "port": dest_port},
        }
        return fields, params

    def _render_extras(self, fields: dict[str, Any]) -> dict[str, Any]:
        extras: dict[str, Any] = {}
        if isinstance(fields.get("duration"), int):
            extras["duration_text"] = _human_duration(fields["duration"])
        if isinstance(fields.get("bytes"), int):
            extras["bytes_text"] = _human_bytes(fields["bytes"])
        return extras

    def _v2(
        self,
        legacy: dict[str, Any],
        spec: KeySpec,
        params: dict[str, dict[str, Any]],
    ) -> dict[str, Any]:
        v2spec = spec.v2
        assert v2spec is not None
        severity = v2spec.severity
        if spec.family == "ips":
            severity = _SEVERITY_V2.get(legacy["inner_alert_severity"], "HIGH")
            # Overrides given for the legacy row also reach the v2 parameters.
            params["SIGNATURE"]["name"] = legacy["inner_alert_signature"]
            params["ACTION"] = {
                "id": legacy["inner_alert_action"],
                "name": legacy["inner_alert_action"],
            }
        if "CLIENT" in params and "hostname" in legacy:
            params["CLIENT"]["name"] = params["CLIENT"]["hostname"] = legacy["hostname"]
        if "DEVICE" in params:  # a device given as legacy fields is the v2 twin's device too
            role = next((r for r in ("ap", "sw", "gw") if f"{r}_name" in legacy), None)
            if role is not None:
                params["DEVICE"] |= {"id": legacy[role], "name": legacy[f"{role}_name"]}
        extra = {name.lstrip("_"): params.pop(name) for name in list(params) if name[0] == "_"}
        entry: dict[str, Any] = {
            "id": self._object_id(legacy["time"]),
            "key": v2spec.key,
            "event": v2spec.key,
            "category": v2spec.category,
            "subcategory": v2spec.subcategory,
            "severity": severity,
            "status": "NEW",
            "type": "GENERAL",
            "target": next(iter(params), "SYSTEM"),
            "timestamp": legacy["time"],
            "title_raw": v2spec.title,
            "message_raw": v2spec.message,
            "show_on_dashboard": severity in {"HIGH", "VERY_HIGH"},
            "parameters": params,
            **extra,
        }
        if self._rng.random() < 0.3:
            entry["message"] = _PLACEHOLDER.sub(
                lambda m: str(params.get(m.group(1), {}).get("name", m.group(0))),
                v2spec.message,
            )
        return entry


def _device(raw: dict[str, Any]) -> _Device:
    channels = tuple(
        (int(radio["channel"]), str(radio.get("radio", "na")))
        for radio in raw.get("radio_table", [])
        if "channel" in radio
    )
    return _Device(
        mac=str(raw["mac"]),
        name=str(raw.get("name", raw["mac"])),
        model=str(raw.get("model", "")),
        role=_ROLE_OF_TYPE.get(str(raw.get("type")), "dev"),
        version=str(raw.get("version", "")),
        ip=str(raw.get("ip", "")),
        online=raw.get("state") == 1,
        channels=channels,
    )


def _default_factory(seed: int) -> EventFactory:
    scenario = load_scenario("home")
    return EventFactory(scenario, scenario.sites[0], seed)


def _window(end: dt.datetime | None) -> dt.datetime:
    return end if end is not None else dt.datetime.now(dt.UTC)


def generate_events(
    count: int,
    *,
    seed: int = 1,
    end: dt.datetime | None = None,
    span: dt.timedelta = dt.timedelta(hours=24),
) -> list[dict[str, Any]]:
    """Return `count` legacy `stat/event` items (home-scenario mix), oldest first."""
    factory = _default_factory(seed)
    return [occ.legacy for occ in factory.random_occurrences(count, end=_window(end), span=span)]


def generate_system_log(
    count: int,
    *,
    seed: int = 1,
    end: dt.datetime | None = None,
    span: dt.timedelta = dt.timedelta(hours=24),
) -> list[dict[str, Any]]:
    """Return `count` v2 system-log entries, oldest first."""
    factory = _default_factory(seed)
    keys = [key for key, spec in EVENT_KEYS.items() if spec.v2 is not None]
    occurrences = factory.random_occurrences(count, end=_window(end), span=span, keys=keys)
    return [occ.v2 for occ in occurrences if occ.v2 is not None]


def generate_ips_events(
    count: int,
    *,
    seed: int = 1,
    end: dt.datetime | None = None,
    span: dt.timedelta = dt.timedelta(hours=24),
) -> list[dict[str, Any]]:
    """Return `count` flat `stat/ips/event` rows, oldest first."""
    factory = _default_factory(seed)
    occurrences = factory.random_occurrences(
        count, end=_window(end), span=span, keys=("EVT_IPS_IpsAlert",)
    )
    return [occ.ips for occ in occurrences if occ.ips is not None]
