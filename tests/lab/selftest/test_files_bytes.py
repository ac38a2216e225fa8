"""The lab file system's bytes API beside its text API (tests/lab/windows/files.py)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest

from tests.lab.windows.files import FileSystem


class _Clock:
    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_text_files_read_as_utf8_bytes_and_bytes_files_as_text() -> None:
    fs = FileSystem(_Clock())
    fs.write("C:\\a\\log.txt", "héllo")
    assert fs.read_bytes("C:\\A\\LOG.TXT") == "héllo".encode()
    info = fs.info("C:\\a\\log.txt")
    assert fs.size("c:/a/log.txt") == 6 and info is not None and info.length == 6
    fs.append_bytes("C:\\a\\log.txt", b" world")
    assert fs.read("C:\\a\\log.txt") == "héllo world"
    fs.append("C:\\a\\log.txt", "!")
    assert fs.read_bytes("C:\\a\\log.txt", 7, 100) == b"world!"
    fs.write("C:\\a\\log.txt", "plain again")
    assert fs.read("C:\\a\\log.txt") == "plain again"


def test_writes_at_offsets_truncate_and_hash() -> None:
    fs = FileSystem(_Clock())
    fs.write_bytes("C:\\x.bin", b"0123456789")
    fs.write_bytes("C:\\x.bin", b"ab", offset=8)
    fs.write_bytes("C:\\x.bin", b"cd", offset=10)
    assert fs.read_bytes("C:\\x.bin") == b"01234567abcd"
    with pytest.raises(ValueError):
        fs.write_bytes("C:\\x.bin", b"z", offset=20)  # no holes
    fs.truncate("C:\\x.bin", 4)
    assert fs.read_bytes("C:\\x.bin") == b"0123" and fs.read_bytes("C:\\x.bin", 9) == b""
    assert fs.sha256("C:\\x.bin") == hashlib.sha256(b"0123").hexdigest().upper()
    assert fs.sha256("C:\\x.bin", 2) == hashlib.sha256(b"01").hexdigest().upper()


def test_move_and_shares() -> None:
    fs = FileSystem(_Clock())
    fs.write_bytes("C:\\t\\sub\\f.bin", b"x")
    fs.move("C:\\t", "C:\\u\\v")
    assert fs.read_bytes("C:\\U\\V\\SUB\\F.BIN") == b"x" and not fs.exists("C:\\t")
    with pytest.raises(FileExistsError):
        fs.move("C:\\u\\v\\sub\\f.bin", "C:\\u\\v\\sub\\f.bin")
    assert fs.share("Packs", "C:\\shares\\packs") == "C:\\shares\\packs" and fs.is_dir("C:\\shares\\packs")
    assert fs.shares == {"packs": "C:\\shares\\packs"}
