"""A lenient reader for PHP `serialize()` output, as found in `_wp_attachment_metadata`.

Lenient because exports are often search-and-replaced without recounting string lengths
(wordpress.md §1.5): when a declared byte length does not land on the closing `";`, the string is
read up to the next `";` instead. Objects are read as dicts; nothing is ever instantiated.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 64


class PhpSerialError(ValueError):
    pass


def loads(text: str | bytes) -> Any:
    """The value, or PhpSerialError. Wrong string lengths are tolerated (see module doc)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        return _Reader(data, trust_lengths=True).value()
    except PhpSerialError:
        # a wrong length can land, by chance, on a later '";' and swallow the next key: read again,
        # ending every string at its first '";'
        return _Reader(data, trust_lengths=False).value()


def _expect(data: bytes, pos: int, token: bytes) -> int:
    if not data.startswith(token, pos):
        raise PhpSerialError(f"expected {token!r} at byte {pos}")
    return pos + len(token)


def _until(data: bytes, pos: int, stop: bytes) -> tuple[bytes, int]:
    end = data.find(stop, pos)
    if end < 0:
        raise PhpSerialError(f"expected {stop!r} after byte {pos}")
    return data[pos:end], end + len(stop)


class _Reader:
    def __init__(self, data: bytes, trust_lengths: bool):
        self.data, self.trust = data, trust_lengths

    def value(self) -> Any:
        try:
            value, _ = self._read(0, 0)
        except (ValueError, IndexError, RecursionError) as err:  # malformed numbers, runaway input
            raise PhpSerialError(str(err)) from None
        return value

    def _read(self, pos: int, depth: int) -> tuple[Any, int]:
        data = self.data
        kind = data[pos : pos + 1]
        if kind == b"N":
            return None, _expect(data, pos + 1, b";")
        if kind in (b"i", b"d", b"b"):
            raw, pos = _until(data, _expect(data, pos + 1, b":"), b";")
            if kind == b"b":
                return raw == b"1", pos
            if kind == b"i":
                return int(raw), pos
            return float(raw), pos
        if kind == b"s":
            length, pos = _until(data, _expect(data, pos + 1, b":"), b":")
            pos = _expect(data, pos, b'"')
            n = int(length)
            if self.trust and data.startswith(b'";', pos + n):
                raw, pos = data[pos : pos + n], pos + n + 2
            else:  # wrong length: trust the delimiter
                raw, pos = _until(data, pos, b'";')
            return raw.decode("utf-8", "replace"), pos
        if kind in (b"a", b"O"):
            if depth >= MAX_DEPTH:
                raise PhpSerialError(f"nested deeper than {MAX_DEPTH} at byte {pos}")
            pos += 1
            if kind == b"O":
                _, pos = _until(data, _expect(data, pos, b":"), b":")  # class name length
                _, pos = _until(data, _expect(data, pos, b'"'), b'":')
            else:
                pos = _expect(data, pos, b":")
            count, pos = _until(data, pos, b":")
            pos = _expect(data, pos, b"{")
            result: dict = {}
            for _ in range(int(count)):
                key_at = pos
                key, pos = self._read(pos, depth + 1)
                if not isinstance(key, (int, str)):
                    raise PhpSerialError(f"a key must be an int or a string, at byte {key_at}")
                value, pos = self._read(pos, depth + 1)
                result[key] = value
            return result, _expect(data, pos, b"}")
        raise PhpSerialError(f"unknown type {kind!r} at byte {pos}")
