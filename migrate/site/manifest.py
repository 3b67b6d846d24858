"""The manifest (`.wp2zola/manifest.json`): what wp2zola last wrote to each file of the site.

It tells the tool's own files from the user's: a file whose bytes differ from the record was
edited by hand. Read once per run, written last (it records only what is on disk). Media files
also record their size and modification time, so a re-run need not read them again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = ".wp2zola/manifest.json"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def origin_key(exports: list[str]) -> str:
    """The export file names that produced a file ("a.xml b.xml"): a run removes only files that the
    same exports produced before, never those of another site or another split file."""
    return " ".join(sorted(exports))


@dataclass
class Manifest:
    files: dict[str, str] = field(default_factory=dict)  # file → sha256 of what wp2zola wrote
    origins: dict[str, str] = field(default_factory=dict)  # file → origin key
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)  # media file → (size, mtime_ns) when written
    sources: dict[str, str] = field(default_factory=dict)  # media file → the URL it came from

    @classmethod
    def read(cls, site: Path) -> Manifest:
        try:
            data = json.loads((Path(site) / MANIFEST).read_text("utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()

        def table(name: str) -> dict:
            value = data.get(name, {})
            return value if isinstance(value, dict) else {}

        stats = {}
        for k, v in table("stats").items():
            if isinstance(v, list) and len(v) == 2 and all(isinstance(n, int) for n in v):
                stats[str(k)] = (v[0], v[1])
        return cls(
            {str(k): str(v) for k, v in table("files").items()},
            {str(k): str(v) for k, v in table("origins").items()},
            stats,
            {str(k): str(v) for k, v in table("sources").items()},
        )

    def wrote(self, path: str) -> bool:
        return path in self.files

    def unchanged_on_disk(self, path: str, target: Path) -> bool | None:
        """For a media file: True when its size and mtime are still those recorded (no need to read
        it), False when they differ, None when nothing was recorded or the file is gone."""
        known = self.stats.get(path)
        if known is None:
            return None
        try:
            st = target.stat()
        except OSError:
            return None
        return (st.st_size, st.st_mtime_ns) == known

    def still_ours(self, path: str, target: Path) -> bool:
        """Whether the file at `target` still has the bytes recorded for `path`: its size and time say
        so (media), or its digest does."""
        return path in self.files and (bool(self.unchanged_on_disk(path, target)) or file_digest(target) == self.files[path])

    def record(self, path: str, sha256: str, origin: str, target: Path | None = None, source: str = "") -> None:
        self.files[path] = sha256
        self.origins[path] = origin
        if target is not None:
            st = target.stat()
            self.stats[path] = (st.st_size, st.st_mtime_ns)
        else:
            self.stats.pop(path, None)
        if source:
            self.sources[path] = source
        else:
            self.sources.pop(path, None)

    def by_source(self) -> dict[str, str]:
        """The URL a medium came from → where it is, for the files still recorded."""
        return {url: path for path, url in sorted(self.sources.items()) if path in self.files}

    def forget(self, path: str) -> None:
        self.files.pop(path, None)
        self.origins.pop(path, None)
        self.stats.pop(path, None)
        self.sources.pop(path, None)

    def to_bytes(self) -> bytes:
        data = {
            "version": 2,
            "files": dict(sorted(self.files.items())),
            "origins": dict(sorted((k, v) for k, v in self.origins.items() if k in self.files)),
            "stats": {k: list(v) for k, v in sorted(self.stats.items()) if k in self.files},
            "sources": {k: v for k, v in sorted(self.sources.items()) if k in self.files},
        }
        return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode()

    def copy(self) -> Manifest:
        return Manifest(dict(self.files), dict(self.origins), dict(self.stats), dict(self.sources))


def umask_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
