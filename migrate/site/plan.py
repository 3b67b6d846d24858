"""The plan: every file of the Zola site and the fate of every item, as data.

Nothing here writes. A planned file holds its bytes (content, sections, config, templates,
redirect maps) or, for media, a reference: the URL it is fetched from, or a local copy it is
taken from. `apply` compares the plan with the site on disk and either carries it out or prints
it (the dry run is the same plan).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from migrate.site.outcomes import DRAFT, PUBLISH, SKIP, Outcome
from migrate.wxr.model import Notice
from migrate.zola.redirects import Redirect


@dataclass(frozen=True)
class FileRef:
    """A file whose bytes are elsewhere: fetched from `url`, or copied from `local` when given."""

    url: str
    local: str = ""  # a file of the user's local copy of the uploads folder
    size: int | None = None  # once known (a local copy, the attachment's metadata)


@dataclass
class PlannedFile:
    path: str  # relative to the site root, with "/"
    role: str  # content | section | config | template | media | redirects
    data: bytes | None = None  # the bytes; None for a file by reference
    ref: FileRef | None = None
    keep_existing: bool = False  # an existing file of the user's here wins (sections of an existing site)
    used_by: list[str] = field(default_factory=list)  # media: the items that reference it ("id 12 /x/")


@dataclass
class Plan:
    files: dict[str, PlannedFile] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    taxonomies: list[str] = field(default_factory=list)
    new_site: bool = True
    config_required: list[str] = field(default_factory=list)  # what an existing site's config lacks
    plain_urls: list[tuple[str, str]] = field(default_factory=list)  # (?p= URL, new path): server redirects
    unknown_shortcodes: Counter = field(default_factory=Counter)  # name → items where it stayed text
    plugin_blocks: Counter = field(default_factory=Counter)  # block name → items using it
    dropped: Counter = field(default_factory=Counter)  # what rendered to nothing → items
    links: Counter = field(default_factory=Counter)  # what old-site links became (internal, file, term, …)
    external_media: dict[str, list[str]] = field(default_factory=dict)  # not fetched: URL → items
    fetch_hosts: list[str] = field(default_factory=list)  # the hosts media may be fetched from
    redirects: list[Redirect] = field(default_factory=list)  # what only servers (or static pages) redirect
    nextpage_items: int = 0
    base_url: str = ""
    exports: list[str] = field(default_factory=list)  # the export file names this plan was made from
    origin: str = ""  # the site the exports are of (its address): whose files a later run may remove

    def add(self, f: PlannedFile) -> None:
        if f.path in self.files:  # the URL planner gives unique files; this guards its promise
            raise RuntimeError(f"two planned files at {f.path}")
        self.files[f.path] = f

    def counts(self) -> dict[str, int]:
        counts = {"read": len(self.outcomes), PUBLISH: 0, DRAFT: 0, SKIP: 0}
        for o in self.outcomes:
            counts[o.outcome] += 1
        counts["warnings"] = len(self.notices)
        return counts

    def media(self) -> list[PlannedFile]:
        return [f for f in self.files.values() if f.ref is not None]
