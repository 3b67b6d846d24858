"""How a run treats media: what it references, where files go, and where they come from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class MediaOptions:
    download: bool = True  # False: rewrite every URL, fetch nothing, list what is missing
    uploads_dir: Path | None = None  # a local copy of wp-content/uploads: files are taken from it first
    originals: bool = False  # reference (and fetch) each attachment's full-size file, not the size shown
    bundles: bool = False  # a page's own files beside its index.md; shared files stay in static/
    fetch_external: bool = False  # also fetch images of other sites (into static/external/HOST/)
    allow_hosts: tuple[str, ...] = field(default_factory=tuple)  # more hosts that may be contacted
    workers: int = 4
