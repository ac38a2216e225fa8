"""Which names a host can reach, directly or through a proxy."""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase


def _matches(hostname: str, patterns: list[str]) -> bool:
    return any(fnmatchcase(hostname.lower(), p.lower()) for p in patterns)


def proxy_key(proxy: str) -> str:
    """``http://Proxy.contoso.com:8080/`` -> ``proxy.contoso.com:8080``."""
    text = proxy.strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    return text.rstrip("/")


@dataclass
class Network:
    direct: list[str] = field(default_factory=lambda: ["*"])  # host name patterns reachable directly
    proxies: dict[str, list[str]] = field(default_factory=dict)  # "proxy:8080" -> patterns reachable through it
    blocked_ports: list[str] = field(default_factory=list)  # "name-pattern:port" closed even when reachable
    default_proxy: str | None = None  # system proxy Invoke-WebRequest uses without -Proxy

    def reach(self, hostname: str, port: int = 443, proxy: str | None = None) -> bool:
        if any(fnmatchcase(f"{hostname.lower()}:{port}", b.lower()) for b in self.blocked_ports):
            return False
        if proxy is None:
            return _matches(hostname, self.direct)
        key = proxy_key(proxy)
        patterns = next((v for k, v in self.proxies.items() if proxy_key(k) == key), None)
        return patterns is not None and _matches(hostname, patterns)
