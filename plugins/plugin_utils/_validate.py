# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FOR INTERNAL COLLECTION USE ONLY.

Input checks that run before any remote call. Each raises ValueError with a message that names the option.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Optional

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.bootstrap import SITE_CODE

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_RELATIVE = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def site_code(value: Optional[str], option: str = "site_code") -> Optional[str]:
    """Upper-cased site code or None; three letters or digits."""
    if value is None:
        return None
    code = str(value).strip().upper()
    if not SITE_CODE.match(code):
        raise ValueError("%s must be three letters or digits (for example PS1), got %r" % (option, value))
    return code


def fqdn(value: Optional[str], option: str = "server") -> Optional[str]:
    """Lower-cased fully qualified domain name or None. ConfigMgr stores site systems by FQDN, so a short
    name or an IP address would never match the existing objects."""
    if value is None:
        return None
    name = str(value).strip().rstrip(".").lower()
    labels = name.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise ValueError("%s must be a fully qualified domain name such as scp01.contoso.com, got %r" % (option, value))
    return name


def positive(value: Optional[int], option: str) -> Optional[int]:
    if value is not None and int(value) <= 0:
        raise ValueError("%s must be greater than 0, got %r" % (option, value))
    return value


def port(value: Optional[int], option: str) -> Optional[int]:
    if value is not None and not 1 <= int(value) <= 65535:
        raise ValueError("%s must be a TCP port between 1 and 65535, got %r" % (option, value))
    return value


def since(value: Optional[str], now: Optional[datetime] = None) -> Optional[datetime]:
    """`30m`/`2h`/`1d`/`90s` before now, or an ISO 8601 time (naive means UTC)."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    now = now or datetime.now(timezone.utc)
    match = _RELATIVE.match(text.lower())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("since must be a duration like 30m, 2h, 1d or an ISO 8601 time, got %r" % (value,))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def regex(value: Optional[str], option: str = "match") -> Optional["re.Pattern[str]"]:
    if value is None:
        return None
    try:
        return re.compile(value, re.I)
    except re.error as err:
        raise ValueError("%s is not a valid regular expression: %s" % (option, err))


def site_system_conflicts(args: Mapping[str, Any], prefix: str = "") -> None:
    """An installation account and the site server's computer account exclude each other; a proxy port or
    account needs a proxy server, and a proxy server needs its port (Set-CMSiteSystemServer -EnableProxy takes
    both; the proxy account is optional)."""
    if args.get("account_name") and args.get("use_site_server_account"):
        raise ValueError("%saccount_name and %suse_site_server_account are mutually exclusive" % (prefix, prefix))
    if (args.get("proxy_port") is not None or args.get("proxy_account")) and not args.get("proxy_server"):
        raise ValueError("%sproxy_port and %sproxy_account need %sproxy_server" % (prefix, prefix, prefix))
    if args.get("proxy_server") and args.get("proxy_port") is None:
        raise ValueError("%sproxy_server needs %sproxy_port (the proxy's TCP port, for example 8080)" % (prefix, prefix))
    port(args.get("proxy_port"), prefix + "proxy_port")
    fqdn(args.get("public_fqdn"), prefix + "public_fqdn")
