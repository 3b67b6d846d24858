"""Page bundles: which files belong to one page alone, so that they can sit beside its `index.md`.

A file belongs to the page it was uploaded to (the attachment's parent) when no other page's
stored content mentions it; files shared by several pages stay in `static/`. The mentions are
read from the stored content with a plain scan (URLs, `wp-image-N`, block and gallery ids): it
only decides where a file lives, and every page links to wherever that is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from migrate.media.library import MediaLibrary
from migrate.wxr.hosts import split

_URL = re.compile(r"""(?:https?:)?//[^\s"'<>()\]\[]+|/[^\s"'<>()\]\[]*/wp-content/[^\s"'<>()\]\[]+""")
_IDS = re.compile(r"""wp-image-(\d+)|"(?:id|mediaId)":(\d+)|data-id="(\d+)"|attachment_(\d+)""")
_GALLERY_IDS = re.compile(r"""\b(?:ids|include)=["']?([\d,\s]+)""")


def mentioned_attachments(content: str, library: MediaLibrary) -> set[int]:
    """The attachments a page's stored content refers to, by URL or by id."""
    found: set[int] = set()
    for m in _URL.finditer(content):
        parts = split(m.group(0).rstrip(".,;"))
        if parts is None:
            continue
        upload = library.find(parts, home_host=not parts.netloc)
        if upload is not None and upload.attachment is not None:
            found.add(upload.attachment.id)
    for m in _IDS.finditer(content):
        wp_id = int(next(g for g in m.groups() if g))
        if wp_id in library.attachments:
            found.add(wp_id)
    for m in _GALLERY_IDS.finditer(content):
        found.update(int(i) for i in re.findall(r"\d+", m.group(1)) if int(i) in library.attachments)
    return found


def owners(library: MediaLibrary, mentions: dict[int, set[int]], bundled: Iterable[int]) -> dict[int, int]:
    """attachment id → the page (item id) whose bundle holds it: uploaded to that page, mentioned by
    no other page, and no other file of the bundle with the same name."""
    pages = set(bundled)
    mentioned_by: dict[int, set[int]] = {}
    for page, ids in mentions.items():
        for wp_id in ids:
            mentioned_by.setdefault(wp_id, set()).add(page)
    out: dict[int, int] = {}
    names: dict[int, set[str]] = {}
    for att in library.attachments.by_id():
        if att.parent not in pages or mentioned_by.get(att.id, {att.parent}) - {att.parent}:
            continue
        files = {rel.rsplit("/", 1)[-1] for rel in library.files_of(att)}
        taken = names.setdefault(att.parent, set())
        if not files or files & taken or not all(_can_sit_in_a_bundle(name) for name in files):
            continue
        taken |= files
        out[att.id] = att.parent
    return out


def _can_sit_in_a_bundle(name: str) -> bool:
    """Zola reads `*.md` beside a page as content, publishes a bundle's `index.html` over the page,
    and does not copy files without an extension or hidden ones (zola.md §5): those stay in static/."""
    lower = name.lower()
    return (
        "." in lower.strip(".")
        and not lower.startswith(".")
        and not lower.endswith(".md")
        and lower not in ("index.html", "index.htm")
    )
