"""Reference tables: how each event key reads in every store the controller keeps.

Legacy message templates follow the controller UI's own strings (fields in braces);
v2 keys, categories and `{ROLE}` templates follow the system-log shape of Network 9/10.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class V2Spec:
    """How one legacy key appears in the v2 system log."""

    key: str
    category: str
    subcategory: str
    severity: str
    title: str
    message: str


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One legacy event key: who it is about, where it files, how it reads."""

    family: str
    """Builder that supplies the fields: client, roam, wired, device, admin or ips."""
    subsystem: str
    msg: str
    alarm: bool = False
    v2: V2Spec | None = None
    whole_second: bool = False
    """Disconnects carry `time` rounded to the second on real controllers."""


V2_CATEGORIES: Final = frozenset(
    {
        "SECURITY",
        "UNIFI_DEVICES",
        "SOFTWARE_UPDATES",
        "VPN",
        "POWER",
        "UNIFI_ETHERNET_PORTS",
        "CLIENT_DEVICES",
        "UNKNOWN",
        "AUDIT",
        "INTERNET_AND_WAN",
    }
)
"""The strict category enum Network 10 validates `categories` against."""

_WIFI = "CLIENT_DEVICES"
_DEV = "UNIFI_DEVICES"


def _device_v2(key: str, severity: str, title: str, message: str) -> V2Spec:
    return V2Spec(key, _DEV, "DEVICE", severity, title, message)


_DEVICE_KEYS: dict[str, tuple[str, bool, V2Spec | None]] = {
    "Connected": (
        "{label}[{mac}] was connected",
        False,
        _device_v2("DEVICE_CONNECTED", "LOW", "Device Connected", "{DEVICE} connected"),
    ),
    "Lost_Contact": (
        "{label}[{mac}] was disconnected",
        True,
        _device_v2("DEVICE_DISCONNECTED", "HIGH", "Device Offline", "{DEVICE} disconnected"),
    ),
    "Restarted": (
        "{label}[{mac}] was restarted by {admin}",
        False,
        _device_v2("DEVICE_RESTARTED", "MEDIUM", "Device Restarted", "{DEVICE} was restarted"),
    ),
    "RestartedUnknown": (
        "{label}[{mac}] was restarted",
        False,
        _device_v2("DEVICE_RESTARTED", "MEDIUM", "Device Restarted", "{DEVICE} restarted"),
    ),
    "Upgraded": (
        '{label}[{mac}] was upgraded from "{version_from}" to "{version_to}"',
        False,
        V2Spec(
            "DEVICE_UPDATED",
            "SOFTWARE_UPDATES",
            "FIRMWARE",
            "LOW",
            "Device Updated",
            "{DEVICE} was updated to {VERSION}",
        ),
    ),
}

_LABEL = {"AP": "AP", "SW": "Switch", "GW": "Gateway"}
_SUBSYSTEM = {"AP": "wlan", "SW": "lan", "GW": "wan"}


def _build_catalog() -> dict[str, KeySpec]:
    table: dict[str, KeySpec] = {
        "EVT_WU_Connected": KeySpec(
            "client",
            "wlan",
            'User[{user}] has connected to AP[{ap}] with SSID "{ssid}" on '
            '"channel {channel}({radio})"',
            v2=V2Spec(
                "CLIENT_CONNECTED_WIRELESS",
                _WIFI,
                "CLIENT_DEVICES_WIFI",
                "LOW",
                "WiFi Client Connected",
                "{CLIENT} connected to {WLAN} on {DEVICE}",
            ),
        ),
        "EVT_WU_Disconnected": KeySpec(
            "client",
            "wlan",
            'User[{user}] disconnected from "{ssid}" ({duration_text} connected, '
            "{bytes_text} bytes, last AP[{ap}])",
            whole_second=True,
            v2=V2Spec(
                "CLIENT_DISCONNECTED_WIRELESS",
                _WIFI,
                "CLIENT_DEVICES_WIFI",
                "LOW",
                "WiFi Client Disconnected",
                "{CLIENT} disconnected from {WLAN} on {DEVICE}",
            ),
        ),
        "EVT_WU_Roam": KeySpec(
            "roam",
            "wlan",
            'User[{user}] roams from AP[{ap_from}] to AP[{ap_to}] from "channel '
            '{channel_from}({radio_from})" to "channel {channel_to}({radio_to})"',
            v2=V2Spec(
                "CLIENT_ROAMED",
                _WIFI,
                "CLIENT_DEVICES_WIFI",
                "LOW",
                "WiFi Client Roamed",
                "{CLIENT} roamed from {DEVICE} to {DEVICE_TO}",
            ),
        ),
        "EVT_WU_RoamRadio": KeySpec(
            "roam",
            "wlan",
            'User[{user}] has roamed on AP[{ap}] from "channel {channel_from}'
            '({radio_from})" to "channel {channel_to}({radio_to})"',
        ),
        "EVT_WG_Connected": KeySpec(
            "client",
            "wlan",
            'Guest[{guest}] has connected to AP[{ap}] with SSID "{ssid}" on '
            '"channel {channel}({radio})"',
            v2=V2Spec(
                "CLIENT_CONNECTED_WIRELESS",
                _WIFI,
                "CLIENT_DEVICES_GUEST",
                "LOW",
                "Guest Connected",
                "{CLIENT} connected to {WLAN} on {DEVICE}",
            ),
        ),
        "EVT_WG_Disconnected": KeySpec(
            "client",
            "wlan",
            'Guest[{guest}] disconnected from "{ssid}" ({duration_text} connected, '
            "{bytes_text} bytes, last AP[{ap}])",
            whole_second=True,
            v2=V2Spec(
                "CLIENT_DISCONNECTED_WIRELESS",
                _WIFI,
                "CLIENT_DEVICES_GUEST",
                "LOW",
                "Guest Disconnected",
                "{CLIENT} disconnected from {WLAN} on {DEVICE}",
            ),
        ),
        "EVT_LU_Connected": KeySpec(
            "wired",
            "lan",
            'User[{user}] has connected to LAN("{network}")',
            v2=V2Spec(
                "CLIENT_CONNECTED_WIRED",
                _WIFI,
                "CLIENT_DEVICES_WIRED",
                "LOW",
                "Wired Client Connected",
                "{CLIENT} connected to {NETWORK}",
            ),
        ),
        "EVT_LU_Disconnected": KeySpec(
            "wired",
            "lan",
            'User[{user}] disconnected from "{network}" ({duration_text} connected, '
            "{bytes_text} bytes)",
            whole_second=True,
            v2=V2Spec(
                "CLIENT_DISCONNECTED_WIRED",
                _WIFI,
                "CLIENT_DEVICES_WIRED",
                "LOW",
                "Wired Client Disconnected",
                "{CLIENT} disconnected from {NETWORK}",
            ),
        ),
        "EVT_AP_ChannelChanged": KeySpec(
            "device",
            "wlan",
            "AP[{ap}] changed channel from {channel_from} to {channel_to}",
        ),
        "EVT_AP_RadarDetected": KeySpec(
            "device",
            "wlan",
            "AP[{ap}] detected radar on channel {radar_channel} ({freq} MHz)",
            v2=_device_v2("RADAR_DETECTED", "MEDIUM", "Radar Detected", "{DEVICE} detected radar"),
        ),
        "EVT_AP_PossibleInterference": KeySpec(
            "device",
            "wlan",
            "AP[{ap}] detected possible interference on channel {channel}({radio})",
        ),
        "EVT_AP_DetectRogueAP": KeySpec(
            "device",
            "wlan",
            'Rogue AP named "{essid}" with BSSID [{bssid}] was detected by AP[{ap}] '
            "on channel {channel}",
            alarm=True,
            v2=V2Spec(
                "ROGUE_AP_DETECTED",
                "SECURITY",
                "SECURITY_WIFI",
                "HIGH",
                "Rogue Access Point Detected",
                "{DEVICE} detected a rogue access point broadcasting {SSID}",
            ),
        ),
        "EVT_AP_Isolated": KeySpec(
            "device", "wlan", "AP[{ap}] was isolated from its wired uplink", alarm=True
        ),
        "EVT_SW_PoeOverload": KeySpec(
            "device",
            "lan",
            "Switch[{sw}] PoE overload on port {port}",
            alarm=True,
            v2=V2Spec(
                "POE_OVERLOAD",
                "POWER",
                "POWER_POE",
                "HIGH",
                "PoE Overload",
                "{DEVICE} ran out of PoE power on port {PORT}",
            ),
        ),
        "EVT_SW_PoeDisconnect": KeySpec(
            "device", "lan", "Switch[{sw}] PoE disconnected on port {port}"
        ),
        "EVT_SW_Overheat": KeySpec(
            "device",
            "lan",
            "Switch[{sw}] is overheating",
            alarm=True,
            v2=_device_v2("DEVICE_OVERHEATING", "HIGH", "Device Overheating", "{DEVICE} overheats"),
        ),
        "EVT_SW_StpPortBlocking": KeySpec(
            "device",
            "lan",
            "Switch[{sw}] port {port} is blocked by STP",
            v2=V2Spec(
                "STP_PORT_BLOCKING",
                "UNIFI_ETHERNET_PORTS",
                "PORT",
                "MEDIUM",
                "STP Port Blocking",
                "{DEVICE} blocked port {PORT} to prevent a loop",
            ),
        ),
        "EVT_SW_LoopDetected": KeySpec(
            "device",
            "lan",
            "Switch[{sw}] detected a loop on port {port}",
            alarm=True,
            v2=V2Spec(
                "LOOP_DETECTED",
                "UNIFI_ETHERNET_PORTS",
                "PORT",
                "HIGH",
                "Network Loop Detected",
                "{DEVICE} detected a loop on port {PORT}",
            ),
        ),
        "EVT_SW_DetectRogueDHCP": KeySpec(
            "device",
            "lan",
            "Switch[{sw}] detected a rogue DHCP server {ip} [{dhcp_mac}] on port "
            "{port} VLAN {vlan}",
            alarm=True,
            v2=V2Spec(
                "ROGUE_DHCP_SERVER_DETECTED",
                "SECURITY",
                "SECURITY_NETWORK",
                "HIGH",
                "Rogue DHCP Server Detected",
                "{DEVICE} detected a rogue DHCP server at {IP}",
            ),
        ),
        "EVT_GW_WANTransition": KeySpec(
            "device",
            "wan",
            "Gateway[{gw}] WAN iface [{iface}] transition to state [{state}]",
            alarm=True,
            v2=V2Spec(
                "WAN_FAILOVER",
                "INTERNET_AND_WAN",
                "WAN",
                "HIGH",
                "WAN Transition",
                "{GATEWAY} switched {WAN} to {STATE}",
            ),
        ),
        "EVT_GW_DhcpPoolExhausted": KeySpec(
            "device",
            "lan",
            'Gateway[{gw}] DHCP pool for "{network_name}" is exhausted',
            alarm=True,
        ),
        "EVT_GW_IPSUpdateError": KeySpec(
            "device", "www", "Gateway[{gw}] failed to update IPS signatures"
        ),
        "EVT_AD_Login": KeySpec(
            "admin",
            "lan",
            "Admin[{admin}] log in from {ip}",
            v2=V2Spec(
                "ADMIN_LOGIN",
                "AUDIT",
                "AUDIT_ADMIN",
                "LOW",
                "Admin Login",
                "{ADMIN} logged in from {IP}",
            ),
        ),
        "EVT_AD_LoginFailed": KeySpec(
            "admin",
            "lan",
            "Admin[{admin}] log in failed from {ip}",
            v2=V2Spec(
                "ADMIN_LOGIN_FAILED",
                "AUDIT",
                "AUDIT_ADMIN",
                "MEDIUM",
                "Admin Login Failed",
                "Failed login attempt for {ADMIN} from {IP}",
            ),
        ),
        "EVT_AD_Update_Available": KeySpec(
            "admin",
            "lan",
            "Controller update {version} is available",
            v2=V2Spec(
                "UPDATE_AVAILABLE",
                "SOFTWARE_UPDATES",
                "CONSOLE",
                "LOW",
                "Update Available",
                "UniFi Network {VERSION} is available",
            ),
        ),
        "EVT_IPS_IpsAlert": KeySpec(
            "ips",
            "www",
            "IPS Alert {inner_alert_severity}: {inner_alert_category}. Signature "
            "{inner_alert_signature}. From: {src_ip}:{src_port}, to: "
            "{dest_ip}:{dest_port}, protocol: {proto}",
            alarm=True,
            v2=V2Spec(
                "THREAT_DETECTED",
                "SECURITY",
                "SECURITY_THREAT",
                "HIGH",
                "Threat Detected",
                "{SIGNATURE} from {SRC_IP} to {DST_IP} was {ACTION}",
            ),
        ),
    }
    for prefix in ("AP", "SW", "GW"):
        for action, (template, alarm, v2) in _DEVICE_KEYS.items():
            role = prefix.lower()
            msg = template.replace("{label}", _LABEL[prefix]).replace("{mac}", "{" + role + "}")
            table[f"EVT_{prefix}_{action}"] = KeySpec(
                "device", _SUBSYSTEM[prefix], msg, alarm=alarm, v2=v2
            )
    return table


EVENT_KEYS: Final[dict[str, KeySpec]] = _build_catalog()

SIGNATURES: Final[tuple[tuple[int, str, str, int, str | list[str]], ...]] = (
    # (signature id, signature, category, severity, catname)
    (2400022, "ET DROP Spamhaus DROP Listed Traffic Inbound group 23",
     "Misc Attack", 2, "spamhaus"),
    (2402000, "ET DROP Dshield Block Listed Source", "Misc Attack", 2, "dshield"),
    (2403344, "ET CINS Active Threat Intelligence Poor Reputation IP group 45",
     "Misc Attack", 2, "ciarmy"),
    (2001219, "ET SCAN Potential SSH Scan", "Attempted Information Leak", 2, "scan"),
    (2010935, "ET SCAN Suspicious inbound to MSSQL port 1433",
     "Potentially Bad Traffic", 2, ["scan"]),
    (2009582, "ET SCAN NMAP -sS window 1024", "Attempted Information Leak", 2,
     "scan"),
    (2024897, "ET USER_AGENTS Go HTTP Client User-Agent", "Unknown Traffic", 3,
     ["policy"]),
    (2027865, "ET INFO Observed DNS Query to .cloud TLD", "Potentially Bad Traffic",
     3, "info"),
    (2018959, "ET POLICY PE EXE or DLL Windows file download HTTP",
     "Potential Corporate Privacy Violation", 1, "policy"),
    (2810002, "ETPRO TROJAN Win32/Emotet CnC Activity (POST) M9",
     "A Network Trojan was Detected", 1, ["emerging-malware"]),
    (2836271, "ETPRO MALWARE Possible Cobalt Strike Beacon Observed",
     "A Network Trojan was Detected", 1, ["emerging-malware", "malware"]),
    (2851014, "ETPRO POLICY Tor Relay Traffic", "Potential Corporate Privacy Violation",
     3, "tor"),
)  # fmt: skip

GEO: Final[tuple[dict[str, Any], ...]] = (
    {
        "continent_code": "AS", "country_code": "CN", "country_code3": "CHN",
        "country_name": "China", "region": "BJ", "city": "Beijing", "postal_code": "",
        "latitude": 39.9288, "longitude": 116.3889, "dma_code": 0, "area_code": 0,
        "asn": 4134, "organization": "CHINANET-BACKBONE",
    },
    {
        "continent_code": "EU", "country_code": "RU", "country_code3": "RUS",
        "country_name": "Russia", "region": "MOW", "city": "Moscow",
        "postal_code": "101000", "latitude": 55.7527, "longitude": 37.6172,
        "dma_code": 0, "area_code": 0, "asn": 12389, "organization": "Rostelecom",
    },
    {
        "continent_code": "NA", "country_code": "US", "country_code3": "USA",
        "country_name": "United States", "region": "VA", "city": "Ashburn",
        "postal_code": "20149", "latitude": 39.0481, "longitude": -77.4728,
        "dma_code": 511, "area_code": 703, "asn": 14618,
        "organization": "Amazon.com, Inc.",
    },
    {
        "continent_code": "EU", "country_code": "NL", "country_code3": "NLD",
        "country_name": "Netherlands", "region": "NH", "city": "Amsterdam",
        "postal_code": "1012", "latitude": 52.3740, "longitude": 4.8897,
        "dma_code": 0, "area_code": 0, "asn": 14061,
        "organization": "DigitalOcean, LLC",
    },
)  # fmt: skip
