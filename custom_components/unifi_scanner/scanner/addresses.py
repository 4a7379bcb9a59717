"""Which addresses belong to the site itself.

``ipaddress``'s ``is_private`` also counts documentation and benchmark ranges (TEST-NET-1/2/3,
198.18.0.0/15) and other reserved blocks, so a public documentation address would be listed as
internal. Internal here means the site's own address space: RFC 1918, IPv6 unique-local and
link-local, IPv4 link-local and loopback. Carrier-grade NAT (100.64.0.0/10) is the provider's,
not the site's, so it is external unless the caller says the site uses it.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final

_SITE_NETWORKS: Final = tuple(
    ipaddress.ip_network(network)
    for network in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "127.0.0.0/8",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)
_CGNAT: Final = ipaddress.ip_network("100.64.0.0/10")


# One canonical decimal octet (no leading zero, at most 255), ASCII digits only.
_OCTET: Final = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD: Final = re.compile(rf"({_OCTET})\.({_OCTET})\.{_OCTET}\.{_OCTET}").fullmatch
_SITE_PREFIXES: Final = ("10.", "127.", "192.168.", "169.254.")


def is_internal(ip: str, *, cgnat_is_internal: bool = False) -> bool:
    """Tell the site's own addresses apart; junk counts as external.

    Every IPS row asks this of its two ends, so a plain dotted IPv4 address is judged by one
    regular expression and its first two octets, without building an ``ipaddress`` object (a
    tenth of the cost); anything else (IPv6, padded or odd text) goes through ``ipaddress``.
    """
    quad = _DOTTED_QUAD(ip)
    if quad is None:
        return by_ipaddress(ip, cgnat_is_internal=cgnat_is_internal)
    if ip.startswith(_SITE_PREFIXES):
        return True
    first = quad[1]
    if first == "172":
        return 16 <= int(quad[2]) <= 31  # 172.16.0.0/12
    if first == "100" and 64 <= int(quad[2]) <= 127:  # 100.64.0.0/10
        return cgnat_is_internal
    return False


def by_ipaddress(ip: str, *, cgnat_is_internal: bool = False) -> bool:
    """Judge any address form through ``ipaddress`` (the reference the quick path must match)."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in _CGNAT:
        return cgnat_is_internal
    return any(address in network for network in _SITE_NETWORKS)
