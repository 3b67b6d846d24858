"""The migration, stage by stage: read → index → place → convert → sections → plan → apply.

Each stage is a call down into its package; nothing below calls back up. `plan_site` is pure
but for reading the exports; `migrate` adds the edges (the site folder, the manifest, writing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from migrate.mappings import Mappings
from migrate.markdown.html2md import escape_inline
from migrate.site.apply import Changes, apply, compare
from migrate.site.content import item_body
from migrate.site.manifest import Manifest
from migrate.site.outcomes import DRAFT, SKIP, Outcome, classify
from migrate.site.plan import Plan, PlannedFile
from migrate.wordpress.render import Renderer
from migrate.wxr.index import SiteContext, build_context
from migrate.wxr.model import Item, Notice, Source
from migrate.wxr.reader import read_export
from migrate.zola import frontmatter, scaffold
from migrate.zola.sections import FrontPage, section_files
from migrate.zola.taxonomies import taxonomy_urls
from migrate.zola.text import title_text
from migrate.zola.urls import Placement, home_path, place_items

Progress = Callable[[int, int], None]


@dataclass
class Result:
    plan: Plan
    changes: Changes


def migrate(
    exports: Sequence[str | Path],
    out: str | Path,
    *,
    dry_run: bool = False,
    force: bool = False,
    config: str | Path | None = None,
    progress: Progress | None = None,
) -> Result:
    """Plan the Zola site for `exports` in `out`, and write it unless `dry_run`."""
    site = Path(out)
    mappings = Mappings.load(config)
    manifest = Manifest.read(site)
    # A config that wp2zola wrote is still the tool's to maintain; any other marks an existing site.
    existing = None if manifest.wrote("config.toml") else scaffold.existing_config(site)
    plan = plan_site(list(exports), mappings, existing, progress)
    changes = compare(plan, site, manifest, force=force)
    if not dry_run:
        apply(changes, manifest)
    return Result(plan, changes)


def plan_site(
    exports: Sequence[str | Path], mappings: Mappings, site_config: dict | None = None, progress: Progress | None = None
) -> Plan:
    """Every file of the site and the fate of every item, from the exports (read twice: index, convert)."""
    plan = Plan(new_site=site_config is None, exports=[Path(e).name for e in exports])
    warn = plan.notices.append
    ctx = build_context(exports, warn)  # index
    home = home_path(ctx)
    parts = urlsplit(ctx.home_url)
    plan.base_url = f"{parts.scheme}://{parts.netloc}" if parts.netloc else "https://example.com"
    if not parts.netloc:
        warn(Notice(None, "the export names no site URL; base_url set to https://example.com"))

    decisions = {item.source: classify(item, mappings, warn) for item in ctx.items}
    content = [i for i in ctx.items if decisions[i.source][0] != SKIP]
    drafts = {i.id for i in content if decisions[i.source][0] == DRAFT and i.id is not None}
    placements = place_items(ctx, content, drafts, warn, taxonomy_urls(ctx, content, mappings))  # place

    converter = _Converter(ctx, mappings, plan, decisions, placements)
    done, total = 0, len(ctx.items) + len(ctx.duplicates)
    for path in exports:  # convert
        for record in read_export(path, lambda n: None, str(path)):  # the index pass reported the problems
            if isinstance(record, Item):
                plan.outcomes.append(converter.item(record))
                done += 1
                if progress:
                    progress(done, total)

    plan.taxonomies = sorted(converter.taxonomies)
    root_body = f"[{escape_inline(title_text(ctx.channel.title)) or 'Blog'}]({home})\n"
    for file, data in section_files(
        [p.file for p in placements.values()],
        home,
        ctx.channel.title,  # sections
        ctx.channel.description,
        converter.front_page,
        root_body,
    ):
        plan.add(PlannedFile("content/" + file, "section", data, keep_existing=not plan.new_site))
    if plan.new_site:
        config = scaffold.site_config(
            ctx.channel.title,
            ctx.channel.description,
            plan.base_url,
            plan.taxonomies,
            ctx.home_url or "",
            [Path(f).name for f in ctx.files],
        )
        plan.add(PlannedFile("config.toml", "config", config))
        for name, data in scaffold.templates():
            plan.add(PlannedFile(name, "template", data))
    else:
        plan.config_required.extend(scaffold.config_advice(site_config or {}, plan.taxonomies))
    return plan


class _Converter:
    """The convert stage: each item read becomes its content file (or an outcome that says why not)."""

    def __init__(
        self,
        ctx: SiteContext,
        mappings: Mappings,
        plan: Plan,
        decisions: dict[Source, tuple[str, str]],
        placements: dict[Source, Placement],
    ):
        self.ctx, self.mappings, self.plan = ctx, mappings, plan
        self.decisions, self.placements = decisions, placements
        self.renderer = Renderer(ctx, mappings)
        self.taxonomies: set[str] = set()
        self.front_page: FrontPage | None = None

    def item(self, item: Item) -> Outcome:
        plan, warn = self.plan, self.plan.notices.append
        title = title_text(item.title)
        if item.source not in self.decisions:  # a later copy of an id already read: decided by the index
            first = self.ctx.duplicates.get(item.source)
            reason = f"duplicate: item {item.id} was read at {first}" if first else "not indexed"
            return Outcome(item.source, item.id, item.type, item.status, title, SKIP, reason)
        outcome, reason = self.decisions[item.source]
        if outcome == SKIP:
            return Outcome(item.source, item.id, item.type, item.status, title, SKIP, reason)
        place = self.placements[item.source]
        if place.plain_url:
            plan.plain_urls.append((place.plain_url, place.path))
        fm = frontmatter.front_matter(item, place, self.ctx, self.mappings, outcome == DRAFT, warn)
        self.taxonomies.update(fm.get("taxonomies", {}))
        body = item_body(item, self.renderer)
        if body.failed:
            warn(Notice(item.source, f"content could not be converted ({body.failed}); kept as HTML", item.id))
        notes = body.notes
        for counter, seen in (
            (plan.unknown_shortcodes, notes.unknown_shortcodes),
            (plan.plugin_blocks, notes.plugin_blocks),
            (plan.dropped, notes.dropped),
        ):
            counter.update(set(seen))
        if notes.nextpage:
            plan.nextpage_items += 1
            warn(
                Notice(
                    item.source,
                    f"split into {notes.nextpage + 1} pages with <!--nextpage-->: joined, "
                    "with a thematic break between pages",
                    item.id,
                )
            )
        file = "content/" + place.file
        if place.front_page:
            self.front_page = FrontPage(fm["title"], body.markdown, place.aliases, fm["extra"])
            return Outcome(
                item.source, item.id, item.type, item.status, title, outcome, "the site's front page", file, place.path
            )
        data = frontmatter.render(fm) + ("\n" + body.markdown if body.markdown else "")
        plan.add(PlannedFile(file, "content", data.encode("utf-8")))
        return Outcome(item.source, item.id, item.type, item.status, title, outcome, reason, file, place.path)


__all__ = ["Result", "migrate", "plan_site"]
