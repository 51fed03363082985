"""Whose word on the shopper's address counts: first-party clients and trusted proxies.

The storefront's server renders every page from one address; counted by that address,
every shopper would share one budget. A first-party client proves itself with
`X-Shopgraph-Client-Key` (one of its configured keys, compared in constant time) and
names the shopper in `X-Forwarded-For`; a trusted proxy (a load balancer in front of the
gateway) appends the address it saw. The address a request is counted as is read from the
right of X-Forwarded-For: past every trusted proxy, then one hop further for a
first-party client. Anyone else's X-Forwarded-For is ignored, so a forged one earns
nothing: the sender is counted as its own address.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

CLIENT_KEY_HEADER = "x-shopgraph-client-key"
FORWARDED_FOR_HEADER = "x-forwarded-for"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ClientAddress:
    ip: str
    # The address came from X-Forwarded-For, vouched for by a first-party client or proxy.
    forwarded: bool


class FirstPartyClients:
    def __init__(
        self, keys: Mapping[str, str] | None = None, trusted_proxies: Iterable[str] = ()
    ) -> None:
        # Digests, so that every comparison is of equal length and takes the same time.
        self._keys = [(name, _digest(key)) for name, key in (keys or {}).items()]
        self._proxies: tuple[Network, ...] = tuple(
            ipaddress.ip_network(proxy.strip(), strict=False) for proxy in trusted_proxies
        )

    @property
    def configured(self) -> bool:
        return bool(self._keys)

    def identify(self, key: str) -> str | None:
        """The name of the client whose key this is, or None."""
        presented = _digest(key)
        found = None
        for name, digest in self._keys:
            # Every key is compared, so the time taken does not tell which one came close.
            if hmac.compare_digest(presented, digest) and found is None:
                found = name
        return found

    def address(self, peer: str, forwarded_for: str | None, first_party: bool) -> ClientAddress:
        """The address to count a request as; see the module's docstring."""
        chain = [peer, *reversed(_hops(forwarded_for))]
        index = 0
        while index < len(chain) - 1 and self._is_proxy(chain[index]):
            index += 1
        if first_party and index < len(chain) - 1:
            index += 1
        return ClientAddress(chain[index], forwarded=index > 0)

    def _is_proxy(self, address: str) -> bool:
        if not self._proxies:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._proxies)


def _hops(forwarded_for: str | None) -> Sequence[str]:
    """The addresses of X-Forwarded-For up to the first that is not an IP address: what
    lies left of one a proxy could not parse is not worth trusting."""
    hops: list[str] = []
    for item in reversed((forwarded_for or "").split(",")):
        try:
            hops.append(str(ipaddress.ip_address(item.strip())))
        except ValueError:
            break
    return list(reversed(hops))


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()
