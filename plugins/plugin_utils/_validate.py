# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FOR INTERNAL COLLECTION USE ONLY.

Input checks that run before any remote call. Each raises ValueError with a message that names the option.

Only what an argument spec cannot express lives here: formats (site codes, host names, FQDNs, accounts, times,
regular expressions) and ranges. Types, choices, required options and the rules between options (mutually exclusive,
required together, required by, required if) are data in plugins/module_utils/_argspec.py, checked by Ansible first.
"""
from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Optional

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.bootstrap import SITE_CODE
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.constants import DOWNLOADER_THREAD
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.scphost import THREAD_NAME_CHARS

# RFC 1123 host name label (fullmatch: `$` would also match before a trailing newline)
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
MAX_HOST_NAME = 253                 # RFC 1123 / DNS: a name of at most 253 characters (without the trailing dot)
MAX_NETBIOS_DOMAIN = 15             # NetBIOS domain name
MAX_SAM_ACCOUNT_NAME = 20           # sAMAccountName, the user name after DOMAIN\
MAX_UPN_PREFIX = 64                 # the part of name@domain before the @
# Characters Active Directory refuses in user logon names (sAMAccountName) and that the NetBIOS domain part may not hold.
ACCOUNT_FORBIDDEN = frozenset('"/\\[]:;|=,+*?<>')
SHOWN = 40                          # characters of a bad value repeated in a message
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


def thread_name(value: str, option: str = "name") -> str:
    """Upper-cased SMS_EXECUTIVE component (thread) name: the library's characters (letters, digits, _)."""
    if not value or not set(value) <= THREAD_NAME_CHARS:
        raise ValueError("%s must be a component name such as %s (letters, digits, _), got %r" % (option, DOWNLOADER_THREAD, value))
    return value.upper()


def _shown(value: Any) -> str:
    """`value` for a message: repr() (control characters visible), cut short when it is long."""
    text = str(value)
    if len(text) <= SHOWN:
        return repr(text)
    return "%r... (%d characters)" % (text[:SHOWN], len(text))


def _control(text: str) -> Optional[str]:
    """The reason a value with a control character is refused, else None."""
    for char in text:
        if ord(char) < 32 or ord(char) == 127:
            return "it contains the control character %r" % char
    return None


def _stored_as_given(text: str) -> Optional[str]:
    """Why a free-text value cannot be stored exactly as given (a control character, surrounding spaces), else None:
    such values are refused, never stripped."""
    problem = _control(text)
    if problem is None and text != text.strip():
        problem = "it has leading or trailing spaces"
    return problem


def _host_name_problem(name: str) -> Optional[str]:
    """Why `name` (no surrounding spaces, no trailing dot) is no RFC 1123 host name, else None."""
    problem = _control(name)
    if problem:
        return problem
    if "://" in name:
        return "it is a URL; give the host name only"
    if len(name) > MAX_HOST_NAME:
        return "it has %d characters, at most %d are allowed" % (len(name), MAX_HOST_NAME)
    for label in name.split("."):
        if not label:
            return "it has an empty label (two dots in a row, or a leading dot)"
        if len(label) > 63:
            return "a label has %d characters, at most 63 are allowed" % len(label)
        bad = sorted({c for c in label if not (c.isascii() and (c.isalnum() or c == "-"))})
        if bad:
            return "%s is not allowed (letters, digits, hyphens and dots only)" % ", ".join(repr(c) for c in bad)
        if not _LABEL.fullmatch(label):
            return "the label %s starts or ends with a hyphen" % _shown(label)
    return None


def fqdn(value: Optional[str], option: str = "server") -> Optional[str]:
    """Lower-cased fully qualified domain name or None. ConfigMgr stores site systems by FQDN, so a short
    name or an IP address would never match the existing objects."""
    if value is None:
        return None
    name = str(value).strip().rstrip(".").lower()
    labels = name.split(".")
    problem = _host_name_problem(name)
    if problem is None and (len(labels) < 2 or labels[-1].isdigit()):
        problem = "a short name or an IP address is not one"
    if problem:
        raise ValueError("%s must be a fully qualified domain name such as scp01.contoso.com, got %s: %s"
                         % (option, _shown(value), problem))
    return name


def host_name(value: Optional[str], option: str) -> Optional[str]:
    """A host name as Windows resolves it (RFC 1123 labels, at most 253 characters: a short name or an FQDN) or an
    IP address; None stays None. Surrounding spaces are refused, not stripped: the value is stored as given."""
    if value is None:
        return None
    text = str(value)
    problem = _stored_as_given(text)
    if problem is None:
        try:
            ipaddress.ip_address(text)
            return text
        except ValueError:
            pass
        name = text[:-1] if text.endswith(".") else text
        if ":" in name and name.rsplit(":", 1)[1].isdigit() and "://" not in name:
            problem = "give the port in its own option, not after a colon"
        else:
            problem = _host_name_problem(name)
        if problem is None and all(label.isdigit() for label in name.split(".")):
            problem = "it is all digits, and not an IPv4 address"
    if problem:
        raise ValueError("%s must be a host name (RFC 1123: letters, digits and hyphens in labels of at most 63 "
                         "characters, at most 253 in all) or an IP address, got %s: %s" % (option, _shown(value), problem))
    return text


def _account_part_problem(part: str, what: str, limit: int) -> Optional[str]:
    if not part:
        return "the %s is empty" % what
    problem = _control(part)
    if problem:
        return problem
    if len(part) > limit:
        return "the %s has %d characters, at most %d are allowed" % (what, len(part), limit)
    bad = sorted(set(part) & ACCOUNT_FORBIDDEN)
    if bad:
        return "the %s contains %s, which Windows does not allow there" % (what, " ".join(bad))
    if not part.strip(". "):
        return "the %s consists only of periods or spaces" % what
    return None


def account(value: Optional[str], option: str) -> Optional[str]:
    """A Windows account name as ConfigMgr stores it: DOMAIN\\name (NetBIOS domain of at most 15 characters,
    sAMAccountName of at most 20, none of the characters "/\\[]:;|=,+*?<> nor control characters) or name@domain
    (user principal name with a DNS domain). None stays None."""
    if value is None:
        return None
    text = str(value)
    problem = _stored_as_given(text)
    if problem is None and "\\" in text:
        domain, _sep, user = text.partition("\\")
        problem = _account_part_problem(domain, "domain (NetBIOS name)", MAX_NETBIOS_DOMAIN)
        if problem is None and domain.startswith("."):
            problem = "the domain (NetBIOS name) starts with a period"
        if problem is None:
            problem = _account_part_problem(user, "user name (sAMAccountName)", MAX_SAM_ACCOUNT_NAME)
    elif problem is None and "@" in text:
        prefix, _sep, suffix = text.rpartition("@")
        problem = _account_part_problem(prefix, "user name before the @", MAX_UPN_PREFIX)
        if problem is None and "@" in prefix:
            problem = "it has more than one @"
        if problem is None and (any(c.isspace() for c in prefix)):
            problem = "the user name before the @ contains a space"
        if problem is None:
            problem = _host_name_problem(suffix.rstrip(".")) if suffix else "the domain after the @ is empty"
            if problem is not None:
                problem = "the domain after the @ is no DNS name: " + problem
    elif problem is None:
        problem = "it names no domain"
    if problem:
        raise ValueError("%s must be an account as DOMAIN\\name or name@domain.com, got %s: %s" % (option, _shown(value), problem))
    return text


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
        raise ValueError("since must be a duration like 30m, 2h, 1d or an ISO 8601 time, got %r" % (value,)) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def regex(value: Optional[str], option: str = "match") -> Optional["re.Pattern[str]"]:
    if value is None:
        return None
    try:
        return re.compile(value, re.I)
    except re.error as err:
        raise ValueError("%s is not a valid regular expression: %s" % (option, err)) from err


def site_system_settings(args: Mapping[str, Any], prefix: str = "") -> None:
    """The site system settings (top-level options or `site_system` suboptions, `prefix` "site_system.") as Windows
    and ConfigMgr accept them: accounts, proxy host name and port, public FQDN; each on its own, an empty value means
    "not given" (set_fields). The rules between them (an installation account or the site server's account, a proxy
    server with its port, a proxy account only with a proxy server) are SITE_SYSTEM_RULES of the argument spec."""
    for name in ("account_name", "proxy_account"):
        if args.get(name) not in (None, ""):
            account(args[name], prefix + name)
    if args.get("proxy_server") not in (None, ""):
        host_name(args["proxy_server"], prefix + "proxy_server")
    port(args.get("proxy_port"), prefix + "proxy_port")
    if args.get("public_fqdn") not in (None, ""):
        fqdn(args["public_fqdn"], prefix + "public_fqdn")
