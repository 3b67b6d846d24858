"""Exports → Plan: every file of the Zola site with its new bytes, and the fate of every item.

Nothing here writes: a Plan is data. `apply.py` compares it with the site on disk and either writes
it or prints it as a diff (the dry run is the same plan).
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

import tomli_w

from migrate.markdown import document as convert

from migrate.zola import frontmatter
from migrate.wxr.index import SiteContext, build_context
from migrate.markdown.html2md import escape_inline
from migrate.mappings import Mappings
from migrate.wxr.model import Item, Notice, Source
from migrate.wxr.reader import read_export
from migrate.wordpress.render import RenderNotes, Renderer
from migrate.zola.slugs import zola_slug
from migrate.zola.urls import Placement, home_path, place_items, section_file

PUBLISH, DRAFT, SKIP = "written", "draft", "skipped"


@dataclass
class Outcome:
    """What became of one item read."""

    source: Source
    id: int | None
    type: str
    status: str
    title: str
    outcome: str  # written | draft | skipped
    reason: str = ""
    file: str = ""  # relative to the site
    path: str = ""  # URL path on the new site

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.source.file, "line": self.source.line, "id": self.id, "type": self.type,
                "status": self.status, "title": self.title, "outcome": self.outcome, "reason": self.reason,
                "output": self.file, "path": self.path}


@dataclass
class PlannedFile:
    path: str  # relative to the site root, with "/"
    data: bytes
    role: str  # content | section | config | template
    keep_existing: bool = False  # an existing file of the user's here wins (sections of an existing site)


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
    nextpage_items: int = 0
    base_url: str = ""
    exports: list[str] = field(default_factory=list)  # the export file names this plan was made from

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


def classify(item: Item, ctx: SiteContext, mappings: Mappings, warn: Callable[[Notice], None]) -> tuple[str, str]:
    """(outcome, reason) for one item, before any conversion."""
    if item.damage:
        reason = "damaged XML: " + "; ".join(item.damage)
        warn(Notice(item.source, f"skipped: {reason}", item.id))
        return SKIP, reason
    post_type = item.type
    if not post_type:
        warn(Notice(item.source, "no post type; read as a post", item.id))
        post_type = item.type = "post"
    reason = mappings.skip_reason(post_type)
    if reason:
        return SKIP, reason
    status = item.status or "publish"
    action = mappings.status_action(status)
    if action is None:
        warn(Notice(item.source, f"unknown status {status!r}; kept as a draft", item.id))
        action = "draft"
    if action == "skip":
        return SKIP, f"status {status}"
    if item.password:
        protected = mappings.status_action("password-protected") or "draft"
        if protected == "skip":
            warn(Notice(item.source, "password-protected: not migrated", item.id))
            return SKIP, "password-protected"
        warn(Notice(item.source, "password-protected: kept as a draft, never published", item.id))
        return DRAFT, "password-protected"
    if status == "private" and action != "publish":
        warn(Notice(item.source, "private: kept as a draft, never published", item.id))
    if action == "publish":
        return PUBLISH, ""
    return DRAFT, f"status {status}"


def taxonomy_urls(ctx: SiteContext, items: list[Item], mappings: Mappings) -> dict[str, str]:
    """The URL paths Zola will give taxonomy pages (they silently win over a page at the same path)."""
    urls: dict[str, str] = {}
    for item in items:
        for taxonomy, names in frontmatter.item_terms(item, ctx, mappings)[0].items():
            urls.setdefault(f"/{taxonomy}/", f"the {taxonomy} list")
            for name in names:
                urls.setdefault(f"/{taxonomy}/{zola_slug(name)}/", f"the {taxonomy} page of {name!r}")
    return urls


def _toml_section(values: dict[str, Any], body: str = "") -> bytes:
    return (frontmatter.render(values) + (("\n" + body) if body else "")).encode("utf-8")


def _site_config(ctx: SiteContext, taxonomies: list[str], base_url: str) -> bytes:
    config: dict[str, Any] = {
        "base_url": base_url,
        "title": frontmatter.title_text(ctx.channel.title) or "Migrated from WordPress",
    }
    description = frontmatter.plain_text(ctx.channel.description)
    if description:
        config["description"] = description
    # Only keys that every Zola from 0.17 to 0.23 accepts (0.19+ rejects unknown keys).
    config["compile_sass"] = False
    config["build_search_index"] = False
    config["taxonomies"] = [{"name": name} for name in taxonomies]
    config["markdown"] = {}
    config["extra"] = {"wp2zola": {"source": ctx.home_url or "", "exports": [Path(f).name for f in ctx.files]}}
    text = "# Written by wp2zola for a migrated WordPress site. Edit freely.\n" + tomli_w.dumps(config)
    return frontmatter.escape_templates(text).encode("utf-8")


def _templates() -> Iterable[tuple[str, bytes]]:
    for entry in sorted((Path(__file__).resolve().parent.parent / "zola" / "templates").glob("*.html")):
        yield f"templates/{entry.name}", entry.read_bytes()


def existing_config(site: Path) -> dict | None:
    """The Zola config of an existing site (zola.toml or config.toml), or None for a new site."""
    for name in ("zola.toml", "config.toml"):
        path = site / name
        if path.is_file():
            try:
                with open(path, "rb") as fh:
                    return tomllib.load(fh)
            except (OSError, tomllib.TOMLDecodeError):
                return {"_unreadable": name}
    return None


def build_plan(exports: list[str | Path], mappings: Mappings, site_config: dict | None = None,
               progress: Callable[[int, int], None] | None = None) -> Plan:
    """Read the exports (twice: index, then convert) and plan every file of the site."""
    plan = Plan(new_site=site_config is None, exports=[Path(e).name for e in exports])
    warn = plan.notices.append
    ctx = build_context(exports, warn)
    home = home_path(ctx)
    parts = urlsplit(ctx.home_url)
    plan.base_url = f"{parts.scheme}://{parts.netloc}" if parts.netloc else "https://example.com"
    if not parts.netloc:
        warn(Notice(None, "the export names no site URL; base_url set to https://example.com"))

    decisions: dict[Source, tuple[str, str]] = {}
    for item in ctx.items:
        decisions[item.source] = classify(item, ctx, mappings, warn)
    content = [i for i in ctx.items if decisions[i.source][0] != SKIP]
    drafts = {i.id for i in content if decisions[i.source][0] == DRAFT and i.id is not None}
    placements = place_items(ctx, content, drafts, warn, taxonomy_urls(ctx, content, mappings))

    renderer = Renderer(ctx, mappings)
    used_taxonomies: set[str] = set()
    sections: dict[str, str] = {}  # section file → front page body, if any
    front_page: dict[str, tuple[Item, Placement]] = {}
    done = 0
    total = len(ctx.items) + len(ctx.duplicates)
    for path in exports:
        for record in read_export(path, lambda n: None, str(path)):  # problems were reported by the first pass
            if not isinstance(record, Item):
                continue
            done += 1
            if progress:
                progress(done, total)
            plan.outcomes.append(_item_outcome(record, decisions, placements, ctx, mappings, plan, used_taxonomies,
                                               front_page, warn, renderer))
    for place in placements.values():
        _add_sections(place.file, home, sections)
    _write_sections(plan, ctx, home, sections, front_page, mappings, warn)
    plan.taxonomies = sorted(used_taxonomies)
    if plan.new_site:
        plan.add(PlannedFile("config.toml", _site_config(ctx, plan.taxonomies, plan.base_url), "config"))
        for name, data in _templates():
            plan.add(PlannedFile(name, data, "template"))
    else:
        declared = {t.get("name") for t in (site_config or {}).get("taxonomies", []) if isinstance(t, dict)}
        missing = [t for t in plan.taxonomies if t not in declared]
        if missing:
            entries = ", ".join(f'{{ name = "{t}" }}' for t in missing)
            plan.config_required.append(f"taxonomies: add {entries} to the site's config")
    return plan


def _item_outcome(item: Item, decisions, placements, ctx: SiteContext, mappings: Mappings, plan: Plan,
                  used_taxonomies: set[str], front_page: dict, warn, renderer: Renderer) -> Outcome:
    title = frontmatter.title_text(item.title)
    if item.source not in decisions:  # a later copy of an id already read: decided in the first pass
        first = ctx.duplicates.get(item.source)
        reason = f"duplicate: item {item.id} was read at {first}" if first else "not indexed"
        return Outcome(item.source, item.id, item.type, item.status, title, SKIP, reason)
    outcome, reason = decisions[item.source]
    if outcome == SKIP:
        return Outcome(item.source, item.id, item.type, item.status, title, SKIP, reason)
    place = placements[item.source]
    if place.plain_url:
        plan.plain_urls.append((place.plain_url, place.path))
    fm = frontmatter.front_matter(item, place, ctx, mappings, outcome == DRAFT, warn)
    used_taxonomies.update(fm.get("taxonomies", {}))
    try:
        body, notes = convert.convert_item(item, renderer)
    except (RecursionError, ValueError, TypeError) as err:  # pathological HTML: keep it, never stop the run
        warn(Notice(item.source, f"content could not be converted ({type(err).__name__}); kept as HTML", item.id))
        body, notes = convert.raw_body(item.content), RenderNotes()
    for counter, seen in ((plan.unknown_shortcodes, notes.unknown_shortcodes), (plan.plugin_blocks, notes.plugin_blocks),
                          (plan.dropped, notes.dropped)):
        counter.update(set(seen))
    if notes.nextpage:
        plan.nextpage_items += 1
        warn(Notice(item.source, f"split into {notes.nextpage + 1} pages with <!--nextpage-->: joined, "
                                 "with a thematic break between pages", item.id))
    if place.front_page:
        front_page[place.file] = (item, place, fm, body)
        return Outcome(item.source, item.id, item.type, item.status, title, outcome, "the site's front page",
                       "content/" + place.file, place.path)
    data = frontmatter.render(fm) + ("\n" + body if body else "")
    plan.add(PlannedFile("content/" + place.file, data.encode("utf-8"), "content"))
    return Outcome(item.source, item.id, item.type, item.status, title, outcome, reason, "content/" + place.file,
                   place.path)


def _add_sections(file: str, home: str, sections: dict[str, str]) -> None:
    parts = file.split("/")[:-1]
    for depth in range(len(parts) + 1):
        sections.setdefault("/".join(parts[:depth] + ["_index.md"]), "")


def _write_sections(plan: Plan, ctx: SiteContext, home: str, sections: dict[str, str], front_page: dict,
                    mappings: Mappings, warn) -> None:
    home_file = section_file(home)
    sections.setdefault(home_file, "")
    _add_sections(home_file, home, sections)
    site_title = frontmatter.title_text(ctx.channel.title)
    for file in sorted(sections):
        body = ""
        if file == home_file:
            values: dict[str, Any] = {"title": site_title, "sort_by": "date"}
            description = frontmatter.plain_text(ctx.channel.description)
            if description:
                values["description"] = description
            if file in front_page:
                item, place, fm, body = front_page[file]
                values["title"] = fm["title"] or site_title
                if place.aliases:
                    values["aliases"] = place.aliases
                values["extra"] = fm["extra"]
        elif file == "_index.md":  # the root above a sub-directory install: point to the blog
            values = {"title": site_title}
            body = f"[{escape_inline(site_title) or 'Blog'}]({home})\n"
        else:  # year, month, parent-page folders: their pages are listed by the section above
            values = {"transparent": True, "render": False}
        plan.add(PlannedFile("content/" + file, _toml_section(values, body), "section", keep_existing=not plan.new_site))
