"""The simulated registry: keys addressed the way PowerShell addresses them, watchers on value writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.lab.windows.cidict import CIDict

HIVES = {
    "hklm": "HKEY_LOCAL_MACHINE",
    "hkey_local_machine": "HKEY_LOCAL_MACHINE",
    "hkcu": "HKEY_CURRENT_USER",
    "hkey_current_user": "HKEY_CURRENT_USER",
    "hku": "HKEY_USERS",
    "hkey_users": "HKEY_USERS",
    "hkcr": "HKEY_CLASSES_ROOT",
    "hkey_classes_root": "HKEY_CLASSES_ROOT",
    "hkcc": "HKEY_CURRENT_CONFIG",
    "hkey_current_config": "HKEY_CURRENT_CONFIG",
}
KINDS = ("String", "ExpandString", "Binary", "DWord", "MultiString", "QWord", "Unknown")
Watcher = Callable[[str, str, Any], None]


def split_path(path: str) -> list[str]:
    """``HKLM:\\A\\B``, ``HKLM:A``, ``Registry::HKEY_LOCAL_MACHINE\\A`` or ``HKEY_LOCAL_MACHINE\\A`` -> [hive, 'A', 'B'].

    Raises KeyError for a path outside the registry.
    """
    text = path.replace("/", "\\")
    if "::" in text:
        text = text.split("::", 1)[1]
    if ":" in text:  # drive form: "HKLM:\\X" or "HKLM:X"
        drive, rest = text.split(":", 1)
        text = f"{drive}\\{rest}"
    parts = [p for p in text.split("\\") if p]
    if not parts or parts[0].lower() not in HIVES:
        raise KeyError(path)
    return [HIVES[parts[0].lower()]] + parts[1:]


@dataclass
class RegKey:
    name: str
    path: str  # .NET RegistryKey.Name form: "HKEY_LOCAL_MACHINE\\SOFTWARE\\..."
    values: CIDict = field(default_factory=CIDict)  # name -> (value, kind); "" is the (default) value
    children: CIDict = field(default_factory=CIDict)  # subkey name -> RegKey


class Registry:
    def __init__(self) -> None:
        self._hives = CIDict({name: RegKey(name, name) for name in sorted(set(HIVES.values()))})
        self._watchers: list[tuple[list[str], Watcher]] = []

    def get_key(self, path: str) -> RegKey | None:
        try:
            parts = split_path(path)
        except KeyError:
            return None
        key = self._hives[parts[0]]
        for part in parts[1:]:
            key = key.children.get(part)
            if key is None:
                return None
        return key

    def create_key(self, path: str) -> RegKey:
        parts = split_path(path)
        key = self._hives[parts[0]]
        for part in parts[1:]:
            child = key.children.get(part)
            if child is None:
                child = RegKey(part, f"{key.path}\\{part}")
                key.children[part] = child
            key = child
        return key

    def delete_key(self, path: str, recurse: bool = False) -> None:
        parts = split_path(path)
        parent = self.get_key("\\".join(parts[:-1])) if len(parts) > 1 else None
        key = self.get_key(path)
        if parent is None or key is None:
            raise KeyError(path)
        if key.children and not recurse:
            raise OSError(f"key {key.path} has subkeys")
        del parent.children[parts[-1]]

    def subkeys(self, path: str) -> list[str]:
        key = self.get_key(path)
        return list(key.children) if key else []

    def get_value(self, path: str, name: str) -> tuple[Any, str] | None:
        key = self.get_key(path)
        if key is None or name not in key.values:
            return None
        return key.values[name]

    def data(self, path: str, name: str) -> Any:
        """The data of a value (get_value without its kind); None when the key or the value is missing."""
        found = self.get_value(path, name)
        return None if found is None else found[0]

    def set_value(self, path: str, name: str, value: Any, kind: str = "String") -> None:
        """Create the key if needed, store the value, then call every watcher whose prefix covers the key."""
        if kind not in KINDS:
            raise ValueError(f"unknown registry value kind {kind!r}")
        key = self.create_key(path)
        key.values[name] = (value, kind)
        self._fire(key, name, value)

    def delete_value(self, path: str, name: str) -> bool:
        key = self.get_key(path)
        if key is None or name not in key.values:
            return False
        del key.values[name]
        self._fire(key, name, None)
        return True

    def watch(self, path_prefix: str, callback: Watcher) -> None:
        """``callback(key.path, value_name, value)`` after each write under ``path_prefix`` (value None = deleted)."""
        self._watchers.append(([p.lower() for p in split_path(path_prefix)], callback))

    def _fire(self, key: RegKey, name: str, value: Any) -> None:
        parts = [p.lower() for p in key.path.split("\\")]
        for prefix, callback in list(self._watchers):
            if parts[: len(prefix)] == prefix:
                callback(key.path, name, value)
