"""Which addresses belong to the site itself.

``ipaddress``'s ``is_private`` also counts documentation and benchmark ranges (TEST-NET-1/2/3,
198.18.0.0/15) and other reserved blocks, so a public documentation address would be listed as
internal. Internal here means the site's own address space: RFC 1918, IPv6 unique-local and
link-local, IPv4 link-local and loopback. Carrier-grade NAT (100.64.0.0/10) is the provider's,
not the site's, so it is external unless the caller says the site uses it.
"""

from __future__ import annotations

import ipaddress
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


def is_internal(ip: str, *, cgnat_is_internal: bool = False) -> bool:
    """Tell the site's own addresses apart; junk counts as external."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in _CGNAT:
        return cgnat_is_internal
    return any(address in network for network in _SITE_NETWORKS)
