"""Webhook endpoints must not reach into our own network (server-side request forgery): a URL whose host resolves
to loopback, link-local, private, shared (CGNAT), multicast, reserved or unspecified addresses is refused unless an
operator allow-listed its host. Checked when an endpoint is saved and again before each POST, since DNS changes."""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from services.notifications.domain.addresses import check_endpoint_scheme
from shared.refusals import DecisionInvalid

CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped ::ffff:a.b.c.d, 6to4, Teredo, NAT64), which is where it goes."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None and is_internal(inner):
            return True
    return (address.is_loopback or address.is_link_local or address.is_private or address.is_multicast
            or address.is_reserved or address.is_unspecified or not address.is_global
            or (isinstance(address, ipaddress.IPv4Address) and address in CGNAT))


def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


@dataclass(frozen=True)
class EndpointUrlPolicy:
    allow: tuple[str, ...] = ()

    @classmethod
    def from_setting(cls, text: str | None) -> EndpointUrlPolicy:
        """`NOTIFY_WEBHOOK_ALLOW`: comma-separated `host` or `host:port` entries (IPv6 as `[::1]:8080`)."""
        return cls(tuple(entry.strip().lower() for entry in (text or "").split(",") if entry.strip()))

    def allowed(self, host: str, port: int) -> bool:
        shown = f"[{host}]" if ":" in host else host
        return host in self.allow or shown in self.allow or f"{shown}:{port}" in self.allow

    def check(self, field_name: str, url: str) -> None:
        check_endpoint_scheme(field_name, url)
        parts = urlsplit(url)
        host = parts.hostname.lower().rstrip(".")
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        if self.allowed(host, port):
            return
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError, ValueError):
            raise DecisionInvalid(field_name, f"the host {host} does not resolve") from None
        if not addresses:
            raise DecisionInvalid(field_name, f"the host {host} does not resolve")
        internal = sorted({str(a) for a in addresses if is_internal(a)})
        if internal:
            raise DecisionInvalid(field_name, f"the host {host} resolves to an internal address "
                                              f"({', '.join(internal)}); only allow-listed hosts may")
