"""A case-insensitive mapping that keeps the spelling a key was first stored with (like Windows)."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any


class CIDict(MutableMapping):
    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self._items: dict[str, tuple[str, Any]] = {}
        for key, value in (data or {}).items():
            self[key] = value

    def __getitem__(self, key: str) -> Any:
        return self._items[key.lower()][1]

    def __setitem__(self, key: str, value: Any) -> None:
        old = self._items.get(key.lower())
        self._items[key.lower()] = (old[0] if old else key, value)

    def __delitem__(self, key: str) -> None:
        del self._items[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _unused in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._items

    def canonical(self, key: str) -> str | None:
        """The stored spelling of ``key``, or None."""
        item = self._items.get(key.lower())
        return item[0] if item else None

    def __repr__(self) -> str:
        return f"CIDict({dict(self.items())!r})"
