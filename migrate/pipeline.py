"""The migration, stage by stage: read → index → place → convert → sections → plan → apply.

Each stage is a call down into its package; nothing below calls back up. `plan_site` is pure but
for reading the exports; `migrate` adds the edges (the site folder, the manifest, writing and
fetching).
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.pool
import os
import pickle
import re
import signal
import sys
import tempfile
import time
import unicodedata
from collections import Counter, deque
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import closing, contextmanager, nullcontext
from dataclasses import dataclass, replace
from functools import cache, partial
from importlib import metadata
from itertools import chain, islice
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlsplit

from lxml import etree

from migrate.comments.export import FILE as COMMENTS_EXPORT
from migrate.comments.export import export_bytes as comments_export
from migrate.comments.export import item_xml as comments_item
from migrate.comments.thread import data_bytes as comments_data
from migrate.comments.thread import data_file as comments_file
from migrate.comments.thread import post_thread
from migrate.links import resolver as targets
from migrate.links.resolver import Page, Resolver
from migrate.links.rewrite import PageLinks, Rewriter
from migrate.mappings import Mappings, default_files
from migrate.markdown.html2md import escape_inline
from migrate.media.bundles import mentioned_attachments, owners
from migrate.media.layout import Bundle, Layout, Placed
from migrate.media.library import MediaLibrary
from migrate.media.options import MediaOptions
from migrate.report import conflicts, summary, tool_version
from migrate.review import write_review
from migrate.site import journal, lastrun
from migrate.site.apply import Changes, FetchSettings, SiteError, Stop, apply, commit_recovery, compare
from migrate.site.content import Body, item_body
from migrate.site.journal import JOURNAL
from migrate.site.lock import PRIVATE, SiteLock, clean_legacy_tmp
from migrate.site.manifest import MANIFEST, Manifest, origin_key, site_origin
from migrate.site.outcomes import DRAFT, PUBLISH, SKIP, Outcome, classify
from migrate.site.plan import FileRef, Plan, PlannedFile, Spool, Stored
from migrate.store import Rows, RunStore, StoreError, Table, tuple_state
from migrate.wordpress.render import Renderer
from migrate.wxr.hosts import SiteHosts, host_of, parse_url
from migrate.wxr.index import Indexed, SiteContext, build_context, index_entry
from migrate.wxr.markup import AUTO, stored_html
from migrate.wxr.model import Attachment, Item, Notice, Source, ascii_int
from migrate.wxr.reader import read_export
from migrate.zola import frontmatter, scaffold
from migrate.zola.existing import ExistingSite, advice, fit_mappings, read_site
from migrate.zola.redirects import FILE, PATH, QUERY, Redirect, redirect_files
from migrate.zola.sections import FrontPage, section_files
from migrate.zola.taxonomies import taxonomy_urls, term_paths, wp_archive_path
from migrate.zola.text import title_text
from migrate.zola.urls import (
    Placement,
    bundle_file,
    decode_path,
    home_path,
    link_path,
    place_items,
    section_file,
    url_path,
)

Progress = Callable[[int, int], None]
MISSING_SHOWN = 20  # missing files named on the terminal (all of them are in --report)


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
    media: MediaOptions | None = None,
    fetch: FetchSettings | None = None,
    stop: Stop | None = None,
    markup: str | None = None,
    jobs: int = 1,
    comments: bool = True,
    review: str | Path | None = None,
) -> Result:
    """Plan the Zola site for `exports` in `out`, and write it (fetching its media) unless `dry_run`.
    `jobs`: processes converting items (the output is the same for any number). `comments`: False
    writes none of the posts' comments. `review`: an HTML file to write the review report into
    (what WordPress showed beside what Zola will show, for every item).

    A run that writes holds the site's lock from reading the site to writing its manifest; a dry run
    reads only. Either first replays the journal of a run that was interrupted (in memory for a dry run).
    """
    site = Path(out)
    media = media or MediaOptions()
    mappings = Mappings.load(config)
    started = time.time_ns() - 100_000_000  # file times come from a coarser clock (a tick): a margin
    key = (
        None if dry_run else run_key(exports, config=config, force=force, media=media, markup=markup, comments=comments)
    )
    if site.exists() and not site.is_dir():
        raise SiteError(f"{site}: not a folder (--out names the folder of the Zola site)")
    had_private = (site / PRIVATE).is_dir()
    foreign = _foreign_files(site)
    if foreign and not force and not dry_run:
        raise SiteError(
            f"{site}: not a Zola site and not empty ({foreign}); wp2zola would add a whole site among these "
            "files: give an empty or new folder, or --force to add it here"
        )
    if dry_run:
        SiteLock.check_free(site)  # a diff against a site another run is writing would be half of each
    with nullcontext() if dry_run else SiteLock(site):
        try:  # the manifest's records are set aside in the temporary folder, as the plan's are
            manifest, notices = _site_as_found(site, had_private, dry_run)
        except StoreError as err:
            raise SiteError(str(err)) from None
        # A config that wp2zola wrote is still the tool's to maintain; any other marks an existing site.
        existing = None if manifest.wrote("config.toml") else read_site(site)
        first = list(notices)
        if foreign and dry_run and not force:
            first.insert(
                0,
                Notice(None, f"{site}: not a Zola site and not empty ({foreign}): a run would refuse without --force"),
            )
        plan = plan_site(exports, mappings, existing, progress, media, markup, jobs, stop, comments, first)
        if manifest.version < 3 and _same_site_as_config(site, plan.origin):
            manifest.adopt(plan.origin)  # older manifests named export files: a renamed export is the same site
        if existing is None and _config_of_another_site(site, manifest, plan):
            _keep_config(site, plan)
        try:
            changes = compare(plan, site, manifest, force=force, download=media.download)
        except StoreError as err:
            raise SiteError(str(err)) from None
        if not dry_run:
            settings = fetch or FetchSettings()
            settings.hosts = set(plan.fetch_hosts)
            settings.workers = media.workers
            try:
                apply(changes, manifest, settings, stop)
            except StoreError as err:
                raise SiteError(err.while_writing()) from None
            if key is not None:
                _record(site, key, plan, changes, manifest, started, len(notices))
    if review is not None:
        write_review(review, exports, mappings, plan, changes, plan.title, markup)
    return Result(plan, changes)


def _site_as_found(site: Path, had_private: bool, dry_run: bool) -> tuple[Manifest, list[Notice]]:
    """The site's manifest, with the journal of an interrupted run replayed into it (and, unless
    `dry_run`, committed), and what to tell about the site as it was found."""
    manifest = Manifest.read(site) if site.is_dir() else Manifest()
    notices = _site_notices(site, manifest, had_private)
    if not dry_run and len(manifest) and manifest.version < 3:
        removed = clean_legacy_tmp(site)
        if removed:
            notices.append(Notice(None, f"removed {removed} temporary file(s) left by an interrupted earlier run"))
    replayed = journal.replay(site, manifest)
    if replayed is not None:
        if replayed.matters():
            notices.append(Notice(None, replayed.message(dry_run)))
        if not dry_run:
            commit_recovery(site, manifest, replayed)
    return manifest, notices


def run_key(
    exports: Sequence[str | Path],
    *,
    config: str | Path | None = None,
    force: bool = False,
    media: MediaOptions | None = None,
    markup: str | None = None,
    comments: bool = True,
) -> str | None:
    """The digest of what a run's plan is made from: the exports' and config's bytes, every option
    that changes a file, and the tool's code. None when an input cannot be read (the run says why)."""
    media = media or MediaOptions()
    uploads = media.uploads_dir
    parts = {
        "code": _code(),
        "exports": [str(e) for e in exports],  # their names are in the config and the messages
        "force": force,
        "markup": markup,
        "comments": comments,
        "download": media.download,
        "originals": media.originals,
        "bundles": media.bundles,
        "fetch_external": media.fetch_external,
        "allow_hosts": sorted(media.allow_hosts),
        # a local copy of the uploads: where it is and what is in it (names, sizes, times, not bytes)
        "uploads": [str(Path(uploads).resolve()), lastrun.folder_state(Path(uploads))] if uploads else None,
    }
    return lastrun.inputs_key(parts, [*(Path(e) for e in exports), Path(config) if config is not None else None])


@cache
def _code() -> str:
    """The tool's version, the versions of what it runs on (Python, its Unicode tables, libxml2, every
    library it requires), and a digest of its own code and default tables: a changed tool plans again."""
    package = Path(__file__).resolve().parent
    files = sorted(p for p in package.rglob("*") if p.suffix in (".py", ".json", ".html", ".toml"))
    parts = {
        "version": tool_version(),
        "python": sys.version,
        "unicode": unicodedata.unidata_version,
        "libxml2": ".".join(map(str, etree.LIBXML_VERSION)),
        "libraries": _library_versions(),
    }
    return lastrun.inputs_key(parts, [*files, *default_files()]) or "unreadable"


def _library_versions() -> dict[str, str]:
    """name → version of each library wp2zola runs on, as installed: what it requires, and what those
    require in turn."""
    installed: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions():  # the first of a name on the path is the one imported
        installed.setdefault(_canonical(dist.metadata["Name"] or ""), dist)
    out: dict[str, str] = {}
    if "wp2zola" in installed:
        todo = _requirements(installed["wp2zola"])
    else:  # a source tree never installed: what pyproject.toml names
        todo = [
            "lxml",
            "pyromark",
            "tomli-w",
            "typer",
            "rich",
            "anyascii",
            "textile",
            "requests",
            "filelock",
            "cachetools",
        ]
    while todo:
        name = _canonical(todo.pop())
        if name in out:
            continue
        found = installed.get(name)
        out[name] = found.version if found is not None else "missing"
        todo.extend(_requirements(found) if found is not None else [])
    return dict(sorted(out.items()))


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(dist: metadata.Distribution) -> list[str]:
    """The distributions `dist` requires to run (not those of its extras)."""
    return [re.split(r"[\s<>=!~;\[(]", r, maxsplit=1)[0] for r in dist.requires or [] if "extra ==" not in r]


def unchanged(
    exports: Sequence[str | Path],
    out: str | Path,
    *,
    config: str | Path | None = None,
    force: bool = False,
    media: MediaOptions | None = None,
    markup: str | None = None,
    comments: bool = True,
) -> tuple[str | None, lastrun.LastRun | None]:
    """(None, the last run) when `migrate` with these arguments would find nothing to change in `out`:
    the same inputs as its last complete run, into a site nobody touched since. Else (why it must
    plan, None). Reads the exports once to digest them, which is all it costs."""
    key = run_key(exports, config=config, force=force, media=media, markup=markup, comments=comments)
    return lastrun.why_plan(Path(out), key, (media or MediaOptions()).download)


def _record(site: Path, key: str, plan: Plan, changes: Changes, manifest: Manifest, started: int, before: int) -> None:
    """Record the complete run, with what a run that stops before planning says again: not the first
    `before` notices, which were about the site as this run found it (a journal it replayed)."""
    try:  # the notices and the missing files are read back from the run's store, which can fail too
        counts = summary(plan, changes)
        said = {
            "notices": [[n.message, str(n)] for n in islice(plan.notices, before, None)],  # kind, line
            "conflicts": conflicts(changes),
            "config": list(plan.config_required),
            "items": counts["items"]["read"],
            "files": len(plan.files),
            "kept_from_other_exports": changes.kept_from_other_exports,
            "missing": [[m.path, m.url, m.reason, list(m.used_by)] for m in changes.missing[:MISSING_SHOWN]],
        }
        lastrun.record(site, key, len(changes.missing), said, started, manifest)
    except (OSError, StoreError):
        pass  # only a shortcut is lost: the next run plans


_NOT_THE_USERS = {".git", ".gitignore", ".DS_Store", "Thumbs.db", ".wp2zola"}  # a fresh repository is empty


def _site_url(plan: Plan, existing: ExistingSite | None) -> str:
    """The new site's address, for the comments' export: the config's base_url where it has one."""
    base = existing.config.get("base_url") if existing is not None else None
    return (base if isinstance(base, str) and base else plan.base_url).rstrip("/")


def _foreign_files(site: Path) -> str:
    """What makes `site` a folder of the user's that is not a Zola site (a few names, for the
    message), or "" where a site may be made there: a new or empty folder, a Zola site, or one that
    wp2zola began (its journal or manifest)."""
    if not site.is_dir() or any((site / name).exists() for name in ("config.toml", "zola.toml", JOURNAL, MANIFEST)):
        return ""
    try:
        names = sorted(entry.name for entry in os.scandir(site) if entry.name not in _NOT_THE_USERS)
    except OSError:
        return ""  # the run says what is wrong with the folder when it writes
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _config_of_another_site(site: Path, manifest: Manifest, plan: Plan) -> bool:
    """Whether the config that wp2zola wrote was written for another site's exports than these."""
    if not manifest.wrote("config.toml") or "config.toml" not in plan.files:
        return False
    written_for = manifest.origin("config.toml", "")
    if written_for in (plan.origin, origin_key(plan.exports)) or _same_site_as_config(site, plan.origin):
        return False
    return bool(written_for)


def _keep_config(site: Path, plan: Plan) -> None:
    """Another site's export into a site wp2zola made: the config keeps its base_url and title; what
    it must declare for these pages is advice, as for a site of the user's."""
    del plan.files["config.toml"]
    existing = read_site(site) or ExistingSite()
    extra = existing.config.get("extra")
    ours = extra.get("wp2zola") if isinstance(extra, dict) else None
    source = ours.get("source") if isinstance(ours, dict) else None
    plan.warn(
        Notice(
            None,
            f"config.toml was written for another site ({source or 'other exports'}): kept as it is, base_url "
            "and title included",
        )
    )
    plan.config_required.extend(advice(existing, plan.taxonomies, []))


def _same_site_as_config(site: Path, origin: str) -> bool:
    """Whether the config that wp2zola wrote says it was made from the site `origin` names."""
    config = scaffold.existing_config(site) or {}
    extra = config.get("extra")
    ours = extra.get("wp2zola") if isinstance(extra, dict) else None
    source = ours.get("source") if isinstance(ours, dict) else None
    return isinstance(source, str) and origin.startswith("site ") and site_origin(source, "", []) == origin


def _site_notices(site: Path, manifest: Manifest, had_private: bool) -> list[Notice]:
    """What the user should know about the site's own records before the run."""
    if manifest.problem:
        return [Notice(None, manifest.problem)]
    if (
        had_private
        and not len(manifest)
        and not (site / JOURNAL).exists()
        and any((site / name).exists() for name in ("config.toml", "zola.toml", "content"))
    ):
        return [
            Notice(
                None,
                f"{site / MANIFEST} is missing: the files already in the site count as the user's "
                "(kept, or overwritten with --force)",
            )
        ]
    return []


def plan_site(
    exports: Sequence[str | Path],
    mappings: Mappings,
    existing: ExistingSite | None = None,
    progress: Progress | None = None,
    media: MediaOptions | None = None,
    markup: str | None = None,
    jobs: int = 1,
    stop: Stop | None = None,
    comments: bool = True,
    notices: Sequence[Notice] = (),
) -> Plan:
    """Every file of the site and the fate of every item, from the exports (read once, by the index pass,
    which sets each item aside for the convert pass).
    `existing`: the Zola site it goes into (None: a new site, made whole). `markup`: what the posts
    are written in (`--markup`); by default the config's, or the site's guess. `notices`: what the
    plan says before its own (about the site as the run found it)."""
    plan = Plan(new_site=existing is None, exports=[Path(e).name for e in exports], notices=list(notices))
    plan.spool = Spool(plan)
    store: RunStore | None = None
    try:
        # what the planning knows about every item, and the plan's files and outcomes, beside the
        # spool: gone with the plan
        store = RunStore(plan, plan.spool.folder)
        plan.keep_in(store)
        mappings = fit_mappings(mappings, existing)
        options = media or MediaOptions()
        _fill_plan(plan, store, exports, mappings, existing, progress, options, markup, jobs, stop, comments)
    except BaseException as err:
        plan.spool.close()  # a plan that is not returned: its spool goes now, not with the traceback
        if store is not None:
            store.close()
        if isinstance(err, StoreError):
            raise SiteError(str(err)) from None
        raise
    return plan


def _fill_plan(
    plan: Plan,
    store: RunStore,
    exports: Sequence[str | Path],
    mappings: Mappings,
    existing: ExistingSite | None,
    progress: Progress | None,
    media: MediaOptions,
    markup: str | None,
    jobs: int,
    stop: Stop | None,
    comments: bool = True,
) -> None:
    markup = markup or mappings.markup()
    warn = plan.warn
    stop = stop or Stop()
    global _KEEP
    # Each item read is set aside whole where it is parsed, for the convert pass to read back instead of
    # scanning and parsing the exports a second time; in a spool of its own, gone once they are converted.
    _KEEP = items = Spool(plan)
    with closing(items):  # gone once every item is converted (those converted again come back whole), or on an error
        try:
            with _pool(jobs, stop) as pool:  # read, index, place
                site = index_site(exports, mappings, media, warn, pool, stop, store, entry=_index_and_keep)
        finally:
            _KEEP = None
        ctx, home, decisions, placements = site.ctx, site.home, site.decisions, site.placements
        library, layout, published = site.library, site.layout, site.published
        parts = parse_url(ctx.home_url) or urlsplit("")
        plan.base_url = f"{parts.scheme}://{parts.netloc}" if parts.netloc else "https://example.com"
        if not parts.netloc:
            warn(Notice(None, "the export names no site URL; base_url set to https://example.com"))
        plan.fetch_hosts = sorted(site.hosts.all_names())  # --allow-host names are the site's own
        plan.origin = site_origin(ctx.home_url, ctx.channel.title, plan.exports)
        plan.title = title_text(ctx.channel.title)

        if markup == AUTO:
            markup = ctx.markup
            if markup != "html":
                warn(
                    Notice(None, f"the posts are written in {markup.title()}: converted as such (--markup html if not)")
                )
        converter = _Converter(ctx, mappings, plan, decisions, placements, site.rewriter, layout, markup)
        converter.comments = _CommentSettings(
            comments,
            mappings.tables.get("comments", {}).get("pings", True),
            site.resolver,
            layout,
            _site_url(plan, existing),
        )
        done, total = 0, len(ctx.items) + len(ctx.duplicates)

        def converted(pool: multiprocessing.pool.Pool | None) -> Iterator[tuple[Item, _Work]]:
            """Each item read, in file order, with what is made of it where it is made (a worker of the pool):
            read back from where the index pass set it aside, a batch to a task."""
            if pool is None:
                for kept in ctx.kept:
                    yield converter.first_work(_unkept(kept))
                return
            window: deque[AsyncResult] = deque()
            for batch in _batched(iter(ctx.kept), _KEPT_BATCH):
                window.append(pool.apply_async(_first_works_in_worker, (batch,)))
                while len(window) > 4 * jobs:  # a few batches in flight a worker: memory stays flat
                    yield from window.popleft().get()
            while window:
                yield from window.popleft().get()

        with _pool(jobs, stop, converter) as pool:  # convert: in a pool, folded here in export order
            for item, work in converted(pool):
                stop.check()
                plan.outcomes.append(converter.item(item, work))
                done += 1
                if progress:
                    progress(done, total)
    # pages linking to other pages' anchors, again: in workers forked now, which know every page's anchors
    with _pool(jobs if converter.pending else 1, stop, converter) as pool:
        converter.finish(lambda items: _final_bodies(pool, converter, items, jobs))
    stop.check()  # a signal while the workers made them: the run ends here, nothing written

    for att in library.attachments.by_id():  # every upload, used by a page or not
        placed = layout.attachment_file(att)
        if placed is not None:
            converter.use_medium(placed, f"attachment {att.id}")

    kept = converter.comment_parts
    if kept is not None:
        kept.seek(0)
        with kept:  # copied into the spool in pieces: a site's comments are never all in memory
            pieces = iter(partial(kept.read, 1 << 20), b"")
            plan.add(
                PlannedFile(COMMENTS_EXPORT, "comments"),
                comments_export(ctx.channel.title, converter.comments.site_url, pieces),
            )
    plan.taxonomies = sorted(converter.taxonomies)
    root_body = f"[{escape_inline(plan.title) or 'Blog'}]({home})\n"
    for file, data in section_files(  # sections
        (p.file for p in placements.values()),
        home,
        ctx.channel.title,
        ctx.channel.description,
        converter.front_page,
        root_body,
    ):
        plan.add(PlannedFile("content/" + file, "section", data, keep_existing=not plan.new_site))
    pages: Table[str, str] = ctx.store.table()  # every page's path, without case
    for path in chain((p.path for p in placements.values()), (home,)):
        pages[path.casefold()] = ""
    for file, (placed, used_by) in converter.media.sorted_items():  # media, by reference
        if _over_a_page(file, pages):
            warn(Notice(None, f"{placed.source} would be published over the page at its path; not copied"))
            continue
        plan.add(PlannedFile(file, "media", ref=FileRef(placed.source, placed.local, placed.size), used_by=used_by))
    generated = _generated_paths(placements, home, taxonomy_urls(ctx, published, mappings), converter.media)
    redirects = _redirects(site, converter)
    for file, content in redirect_files(redirects, generated, home, ctx.store.table):
        plan.add(PlannedFile(file, "redirects"), content)
    plan.redirects = redirects
    if media.fetch_external:
        plan.fetch_hosts = sorted(set(plan.fetch_hosts) | converter.external_hosts)
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
    elif existing is not None:
        plan.config_required.extend(advice(existing, plan.taxonomies, [section_file(home)]))
        if existing.slug_problem():
            warn(Notice(None, existing.slug_problem()))


@dataclass
class Site:
    """The old site as the stages below the converter see it: the index, where every item goes, and
    the one resolver of its URLs (with the media library and layout behind it)."""

    ctx: SiteContext
    home: str
    decisions: Mapping[Source, tuple[str, str]]
    placements: MutableMapping[Source, Placement]
    published: Iterable[Item]
    hosts: SiteHosts
    library: MediaLibrary
    resolver: Resolver
    layout: Layout
    rewriter: Rewriter
    bundles: dict[int, Bundle]
    terms: dict[tuple[str, str], str]  # (WordPress taxonomy, slug) → the Zola term page it became


def index_site(
    exports: Sequence[str | Path],
    mappings: Mappings,
    media: MediaOptions,
    warn: Callable[[Notice], None],
    pool: multiprocessing.pool.Pool | None = None,
    stop: Stop | None = None,
    store: RunStore | None = None,
    entry: Callable[[Item], tuple[Item, Indexed]] = index_entry,
) -> Site:
    """Read the exports once (no bodies kept), decide each item's fate and place, and build the resolver.
    `store`: where what it knows about every item is kept (by default, a store of the site's own).
    `entry`: what the index takes from each item (see `build_context`)."""
    ctx = build_context(exports, warn, pool=pool, check=stop.check if stop else None, store=store, entry=entry)
    home = home_path(ctx)
    decisions, fates = _decide(ctx, mappings, warn)
    content = _Chosen(ctx.items, fates, (PUBLISH, DRAFT))
    drafts = ctx.store.ids()  # the drafts' ids (a set would grow with the site)
    for draft in _Chosen(ctx.items, fates, (DRAFT,)):
        if draft.id is not None:
            drafts.add(draft.id)
    placements = place_items(ctx, content, drafts, warn, taxonomy_urls(ctx, content, mappings))
    channel = ctx.channel
    hosts = SiteHosts.of(
        ctx.home_url,
        chain([channel.base_site_url, channel.base_blog_url], (i.link for i in ctx.items)),
        (u for i in ctx.items for u in (i.guid, i.attachment_url)),
        media.allow_hosts,
    )
    library = MediaLibrary(ctx.attachments, hosts, home, ctx.store)
    bundles = _bundles(ctx, library, decisions, placements) if media.bundles else {}
    published = _Chosen(ctx.items, fates, (PUBLISH,))

    def page(item: Item) -> Page | None:
        if item.type == "attachment":
            return None
        outcome, reason = decisions[item.source]
        return Page(item.id, placements.get(item.source), outcome == PUBLISH, reason)

    terms = term_paths(ctx, published, mappings, home)
    resolver = Resolver(ctx, hosts, library, page, terms, home)
    owned = _owned(bundles, library, exports, ctx.kept)
    layout = Layout(
        library,
        ctx.home_url,
        originals=media.originals,
        uploads_dir=media.uploads_dir,
        owners={att: bundles[page] for att, page in owned.items()},
    )
    rewriter = Rewriter(resolver, layout, bundles, media.fetch_external)
    return Site(ctx, home, decisions, placements, published, hosts, library, resolver, layout, rewriter, bundles, terms)


@dataclass(frozen=True)
class _Chosen:
    """The indexed items of some outcomes, read from the index each time they are walked (a list would
    hold every one in memory)."""

    items: Rows[Item]
    fates: Rows[str]  # the outcome of each item, in the same order (read along: no lookup an item)
    outcomes: tuple[str, ...]

    def __iter__(self) -> Iterator[Item]:
        return (item for item, fate in zip(self.items, self.fates, strict=True) if fate in self.outcomes)


def _decide(
    ctx: SiteContext, mappings: Mappings, warn: Callable[[Notice], None]
) -> tuple[Table[Source, tuple[str, str]], Rows[str]]:
    """(outcome, reason) of each indexed item, and the outcomes in the items' order, in the run's
    store. An item classify read as another type (one of none is a post) is stored again as such,
    for the stages after it."""
    decisions: Table[Source, tuple[str, str]] = ctx.store.table()
    fates: Rows[str] = ctx.store.rows()
    retyped: dict[int, Item] = {}
    for n, item in enumerate(ctx.items):
        was = item.type
        decided = decisions[item.source] = classify(item, mappings, warn)
        fates.append(decided[0])
        if item.type != was:
            retyped[n] = item
    for n, item in retyped.items():  # not while the rows are read
        ctx.items[n] = item
    return decisions, fates


def _generated_paths(
    placements: Mapping[Source, Placement],
    home: str,
    taxonomies: dict[str, str],
    media: Mapping[str, tuple[Placed, list[str]]],
) -> Iterator[str]:
    """The URL paths the site will have (some more than once): no static redirect page may take one
    (the static file would win)."""
    yield from (home, "/", *taxonomies)
    for place in placements.values():
        yield place.path
        yield from place.aliases
        folder = place.path
        while folder.count("/") > 1:  # the sections above a page (render = false ones are harmless, but kept)
            folder = folder.rstrip("/").rsplit("/", 1)[0] + "/"
            yield folder
    yield from ("/" + file.removeprefix("static/") for file in media if file.startswith("static/"))


def _redirects(site: Site, converter: _Converter) -> Rows[Redirect]:
    """What only servers (or static pages) redirect, in the run's store (a post has one or two)."""
    library, layout, home = site.library, site.layout, site.home
    out: Rows[Redirect] = site.ctx.store.rows()
    for item in site.published:
        place = site.placements[item.source]
        out.extend(Redirect(PATH, old, place.path) for old in place.moved_from)  # only servers can keep these
        if item.id is not None:
            out.append(Redirect(QUERY, f"p={item.id}", place.path))
            if item.type == "page":
                out.append(Redirect(QUERY, f"page_id={item.id}", place.path))
    for att in library.attachments.by_id():
        placed = layout.attachment_file(att)
        if placed is None:
            continue
        file = unquote(placed.url)
        out.append(Redirect(QUERY, f"attachment_id={att.id}", file))
        page = link_path(att.page) if att.page else None
        if page and page != home:
            out.append(Redirect(PATH, page, file))
        for size in library.files_of(att).values() if att.id in layout.owners else ():  # moved into a page bundle
            moved = library.upload_of(att, size)
            if moved is not None:
                out.append(Redirect(FILE, _static_url(moved.local), unquote(layout.place(moved).url)))
    for (taxonomy, slug), path in sorted(site.terms.items()):
        old = decode_path(wp_archive_path(site.ctx, taxonomy, decode_path(slug).strip("/"), home))
        if old != path:
            out.append(Redirect(PATH, old, path))
    out.extend(converter.redirects)
    return out


def _over_a_page(file: str, pages: Container[str]) -> bool:
    """A file of static/ that Zola would publish where a page is (its folder, or its index.html)."""
    if not file.startswith("static/"):
        return False
    path = "/" + file.removeprefix("static/")
    folder, _, name = path.rpartition("/")
    return (path + "/").casefold() in pages or (
        name.lower() in ("index.html", "index.htm") and (folder + "/").casefold() in pages
    )


def _static_url(local: str) -> str:
    return "/" + "/".join(s for s in local.split("/") if s)


def _bundles(
    ctx: SiteContext,
    library: MediaLibrary,
    decisions: Mapping[Source, tuple[str, str]],
    placements: MutableMapping[Source, Placement],
) -> dict[int, Bundle]:
    """Published pages that hold files of their own become bundles (`…/name/index.md`), where their
    folder is free (no other page below it) — item id → bundle. Changes their placements."""
    folders: Table[str, str] = ctx.store.table()  # the folders above every page file (a set would grow with the site)
    for p in placements.values():
        folders.update((p.file[: i + 1], "") for i, c in enumerate(p.file) if c == "/")
    out: dict[int, Bundle] = {}
    for item in ctx.items:
        place = placements.get(item.source)
        if place is None or not item.id or place.front_page:  # id 0: what holds the unattached uploads
            continue
        if decisions[item.source][0] != PUBLISH or item.id in out or not library.attachments.has_uploads(item.id):
            continue
        folder = place.file.removesuffix(".md") + "/"
        if folder in folders:
            continue
        place.file = bundle_file(place.file)
        placements[item.source] = place  # a copy was read: stored again
        out[item.id] = Bundle("content/" + folder.rstrip("/"), place.path)
    return out


def _owned(
    bundles: dict[int, Bundle], library: MediaLibrary, exports: Sequence[str | Path], kept: Rows[object]
) -> dict[int, int]:
    """attachment id → item id of the bundle that holds it (a scan of every page's stored content
    for what it mentions, only with bundles: the items the index pass set aside, or without them
    another read of the exports)."""
    if not bundles:
        return {}
    mentions: dict[int, set[int]] = {}
    if kept:
        items: Iterable[object] = map(_unkept, kept)
    else:
        items = (r for n, path in enumerate(exports) for r in read_export(path, lambda n: None, str(path), n))
    for record in items:
        if isinstance(record, Item) and record.id is not None and record.type != "attachment":
            thumb = ascii_int(record.meta_value("_thumbnail_id").strip())
            found = mentioned_attachments(record.content, library)
            if thumb is not None:
                found.add(thumb)
            mentions.setdefault(record.id, set()).update(found)
    return owners(library, mentions, bundles)


@dataclass
class _Made:
    """What is made of one item to convert, where it is parsed (a worker): its front matter (with the
    featured files and warnings met making it, said later in order), its body, and the bytes of its
    content file once they are final (not for the front page, nor a page that waits for anchors)."""

    fm: dict
    featured: list[Placed]
    warnings: list[Notice]
    body: Body
    data: bytes | Stored | None  # set aside in the plan's spool by the worker that made them
    comments: _Comments | None = None


@tuple_state
@dataclass(slots=True)
class _Work:
    """What a worker sends back for an item: its fate and place as the index decided them (read there,
    where they are read anyway), and what is made of it when it is converted."""

    decided: tuple[str, str] | None  # (outcome, reason); None: a later copy of an id already read
    place: Placement | None
    made: _Made | None


@tuple_state
@dataclass(slots=True)
class _Comments:
    """What is made of a published post's comments: its data file, its part of the comments' export,
    and what was read, written and left out."""

    data: bytes | Stored | None
    export: str  # its `<item>` of the comments' export ("" when it shows none)
    read: int
    written: int
    left_out: Counter[str]


_PATHS = (targets.PAGE, targets.DRAFT, targets.TERM, targets.HOME, targets.FEED, targets.ARCHIVE)  # kinds with a path


@dataclass
class _CommentSettings:
    on: bool = False
    pings: bool = True
    resolver: Resolver | None = None
    layout: Layout | None = None
    site_url: str = ""

    def link(self, url: str) -> str | None:
        """An old-site link in a comment → its URL path on the new site (None: kept as it is). Plain
        paths, not Zola's `@/` links: the `markdown` filter of a template does not resolve those."""
        found = self.resolver.resolve(url) if self.resolver is not None else None
        if found is None:
            return None
        if found.kind == targets.FILE and found.upload is not None and self.layout is not None:
            return self.layout.place(found.upload).url
        if found.path and found.kind in _PATHS:
            return url_path(found.path) + (f"#{found.fragment}" if found.fragment else "")
        return None


@dataclass
class _Pending:
    item: Item
    fm: dict


class _Converter:
    """The convert stage: each item read becomes its content file (or an outcome that says why not)."""

    def __init__(
        self,
        ctx: SiteContext,
        mappings: Mappings,
        plan: Plan,
        decisions: Mapping[Source, tuple[str, str]],
        placements: Mapping[Source, Placement],
        rewriter: Rewriter,
        layout: Layout,
        markup: str = "html",
    ):
        self.ctx, self.mappings, self.plan = ctx, mappings, plan
        self.markup = markup  # what the posts are written in: their HTML is made from it
        self.decisions, self.placements = decisions, placements
        self.renderer = Renderer(ctx, mappings)
        self.rewriter, self.layout = rewriter, layout
        self.taxonomies: set[str] = set()
        self.front_page: FrontPage | None = None
        # content file → the anchors Zola gives it (in the run's store: the workers that convert the
        # pages linking to anchors read it)
        self.anchors: Table[str, frozenset[str]] = ctx.store.table()
        self.pending: list[_Pending] = []  # linked to an anchor of a page not converted yet
        # site file → (where from, used by), in the run's store (a medium of each post, or more)
        self.media: Table[str, tuple[Placed, list[str]]] = ctx.store.table()
        self.external_hosts: set[str] = set()
        self.redirects: list[Redirect] = []
        self.comments = _CommentSettings()
        # each post's part of the comments' export, set aside on disk as it comes: nothing kept per post
        self.comment_parts: IO[bytes] | None = None

    def item(self, item: Item, work: _Work) -> Outcome:
        plan, warn = self.plan, self.plan.warn
        title = title_text(item.title)
        decided, made = work.decided, work.made
        if decided is None:  # a later copy of an id already read: decided by the index
            first = self.ctx.duplicates.get(item.source)
            reason = f"duplicate: item {item.id} was read at {first}" if first else "not indexed"
            self._leave_out(item, "in a second copy of its post")
            return Outcome(item.source, item.id, item.type, item.status, title, SKIP, reason, link=item.link)
        outcome, reason = decided
        if outcome == SKIP:
            self._leave_out(item, "its post is not published")
            return Outcome(item.source, item.id, item.type, item.status, title, SKIP, reason, link=item.link)
        place = work.place
        assert place is not None and made is not None  # first_work makes them for every item converted
        if place.plain_url:
            plan.plain_urls.append((place.plain_url, place.path))
        fm, featured, body = made.fm, made.featured, made.body
        for notice in made.warnings:
            warn(notice)
        self.taxonomies.update(fm.get("taxonomies", {}))
        if body.failed:
            warn(Notice(item.source, f"content could not be converted ({body.failed}); kept as HTML", item.id))
        if body.flattened:
            warn(
                Notice(item.source, f"markup nested too deep: {body.flattened} element(s) kept as plain text", item.id)
            )
        notes = body.notes
        for counter, seen in (
            (plan.unknown_shortcodes, notes.unknown_shortcodes),
            (plan.plugin_blocks, notes.plugin_blocks),
            (plan.dropped, notes.dropped),
        ):
            counter.update(set(seen))
        if notes.nextpage:
            plan.nextpage_items += 1
            for n in range(2, notes.nextpage + 2):  # WordPress showed the pages at /slug/2/, /slug/3/ …
                self.redirects.append(Redirect(PATH, f"{place.path}{n}/", place.path))
            warn(
                Notice(
                    item.source,
                    f"split into {notes.nextpage + 1} pages with <!--nextpage-->: joined, "
                    "with a thematic break between pages",
                    item.id,
                )
            )
        result = Outcome(
            item.source,
            item.id,
            item.type,
            item.status,
            title,
            outcome,
            "the site's front page" if place.front_page else reason,
            "content/" + place.file,
            place.path,
            item.link,
        )
        self._record_media(item, featured)
        if body.links.pending:
            self.pending.append(_Pending(item, fm))
        else:
            self._account(item, body.links, body.markdown)
        self._write(item, place, fm, body, data=made.data)
        self._write_comments(place, made.comments)
        return result

    def _leave_out(self, item: Item, why: str) -> None:
        """The comments of an item that is not converted: read, and left out."""
        if item.comments:
            self.plan.comments["read"] += len(item.comments)
            self.plan.comments_left_out[why] += len(item.comments)

    def _write_comments(self, place: Placement, made: _Comments | None) -> None:
        if made is None:
            return
        counts = self.plan.comments
        counts["read"] += made.read
        counts["written"] += made.written
        self.plan.comments_left_out.update(made.left_out)
        if made.data is not None:
            self.plan.add(PlannedFile(comments_file("content/" + place.file), "comments", made.data))
        if made.export:
            if self.comment_parts is None:
                self.comment_parts = tempfile.TemporaryFile()  # noqa: SIM115 - closed once the export is made
            self.comment_parts.write(made.export.encode("utf-8"))

    def finish(self, final_bodies: Callable[[Iterator[Item]], Iterator[tuple[Item, Body]]]) -> None:
        """Convert again the pages that link to anchors of other pages: every page's anchors are known now."""
        items = iter([p.item for p in self.pending])
        for pending, (_, body) in zip(self.pending, final_bodies(items), strict=True):
            self._account(pending.item, body.links, body.markdown)
            self._write(pending.item, self.placements[pending.item.source], pending.fm, body, again=True)

    def first_work(self, item: Item) -> tuple[Item, _Work]:
        """What is made of an item (if it is converted) where it is parsed; the item comes back without
        its content (the bulk of what a worker would send back) unless `finish` converts it again."""
        decided = self.decisions.get(item.source)
        if decided is None or decided[0] == SKIP:
            return replace(item, content="", content_filtered=""), _Work(decided, None, None)
        place = self.placements[item.source]
        made = self._make(item, place, decided[0])
        if not made.body.links.pending:
            item = replace(item, content="", content_filtered="", comments=[])
        elif made.comments is not None:
            item = replace(item, comments=[])
        return item, _Work(decided, place, made)

    def _make(self, item: Item, place: Placement, outcome: str) -> _Made:
        """Front matter, first body and (when final) the file's bytes of an item to convert: a pure
        function of the item and the site, so any worker may make it, in any order."""
        featured: list[Placed] = []
        warnings: list[Notice] = []
        draft = outcome == DRAFT
        fm = frontmatter.front_matter(
            item, place, self.ctx, self.mappings, draft, warnings.append, lambda att: self._featured(att, featured)
        )
        body = self.first_body(item)
        data: bytes | Stored | None = None
        if not (place.front_page or body.links.pending):
            data = _file_bytes(fm, body)
            data = self.plan.spool.put(data) if self.plan.spool is not None else data
        return _Made(fm, featured, warnings, body, data, self._comments(item, place, fm, outcome))

    def _comments(self, item: Item, place: Placement, fm: dict, outcome: str) -> _Comments | None:
        """A published post's comments, made where its body is (a worker)."""
        if not item.comments:
            return None
        left_out: Counter[str] = Counter()
        if outcome != PUBLISH or place.front_page or not self.comments.on:
            why = "its post is not published" if outcome != PUBLISH else "--no-comments"
            left_out["the site's front page" if place.front_page else why] = len(item.comments)
            return _Comments(None, "", len(item.comments), 0, left_out)
        thread = post_thread(
            item, self.ctx.site_offset, pings=self.comments.pings, resolve=self.comments.link, page=url_path(place.path)
        )
        data: bytes | Stored | None = None
        export = ""
        if thread.written:
            data = comments_data(item, place.path, thread)
            export = comments_item(item, self.comments.site_url + url_path(place.path), fm["title"], thread)
            if self.plan.spool is not None:
                data = self.plan.spool.put(data)
        return _Comments(data, export, len(item.comments), thread.written, thread.left_out)

    def first_body(self, item: Item) -> Body:
        """An item's body before any page's anchors are known (its links to anchors are then pending):
        a pure function of the item, so any worker may compute it, in any order."""
        return self._body(item, _no_anchors)

    def final_body(self, item: Item) -> Body:
        return self._body(item, self.anchors.get)

    def _body(self, item: Item, anchors: Callable[[str], frozenset[str] | None]) -> Body:
        html_content = stored_html(item, self.markup)
        if html_content is not item.content:
            item = replace(item, content=html_content)
        return item_body(item, self.renderer, lambda root, it: self.rewriter(root, it, anchors))

    def _write(
        self,
        item: Item,
        place: Placement,
        fm: dict,
        body: Body,
        again: bool = False,
        data: bytes | Stored | None = None,
    ) -> None:
        self.anchors[place.file] = body.anchors
        if place.front_page:
            self.front_page = FrontPage(fm["title"], body.markdown, place.aliases, fm["extra"])
            return
        data = data if data is not None else _file_bytes(fm, body)
        file = "content/" + place.file
        if again:
            self.plan.files.pop(file, None)
        self.plan.add(PlannedFile(file, "content", data))

    def _account(self, item: Item, links: PageLinks, markdown: str) -> None:
        """The links and files of one converted page, into the plan's counts and media."""
        self.plan.links.update(links.counts)
        for message in links.notices:
            self.plan.warn(Notice(item.source, message, item.id))
        for url in links.external:
            self.plan.external_media.setdefault(url, []).append(_label(item))
        self._record_media(item, links.used_in(markdown))

    def use_medium(self, placed: Placed, label: str) -> None:
        """Note that `label` (an item) uses the medium `placed` (a copy is read: stored again)."""
        entry = self.media.get(placed.file) or (placed, [])
        if label not in entry[1]:
            entry[1].append(label)
            self.media[placed.file] = entry

    def _record_media(self, item: Item, placed: list[Placed]) -> None:
        for p in placed:
            self.use_medium(p, _label(item))
            host = host_of(p.source)
            if host and p.file.startswith("static/external/"):
                self.external_hosts.add(host.lower())

    def _featured(self, att: Attachment, seen: list[Placed]) -> str:
        placed = self.layout.attachment_file(att)
        if placed is None:
            return ""
        seen.append(placed)
        return placed.url


def _file_bytes(fm: dict, body: Body) -> bytes:
    return (frontmatter.render(fm) + ("\n" + body.markdown if body.markdown else "")).encode("utf-8")


def _no_anchors(file: str) -> frozenset[str] | None:
    return None


_WORKER: _Converter | None = None  # the converter a forked worker inherited


_KEEP: Spool | None = None  # where the index pass sets each item aside (inherited by its forked workers)
_KEPT_BATCH = 32  # items converted per task: one task an item costs more in the pool than a small item


def _index_and_keep(item: Item) -> tuple[Item, Indexed]:
    """The index's entry of an item, and the whole item set aside for the convert pass (where it is
    parsed: a worker's own spool file)."""
    light, facts = index_entry(item)
    assert _KEEP is not None
    facts.kept = _KEEP.put(pickle.dumps(item, pickle.HIGHEST_PROTOCOL))
    return light, facts


def _unkept(kept: object) -> Item:
    assert isinstance(kept, Stored)
    item = pickle.loads(kept.read())
    assert isinstance(item, Item)
    return item


def _batched(values: Iterator[object], size: int) -> Iterator[list[object]]:
    while batch := list(islice(values, size)):
        yield batch


def _first_works_in_worker(batch: list[object]) -> list[tuple[Item, _Work]]:
    assert _WORKER is not None
    return [_WORKER.first_work(_unkept(kept)) for kept in batch]


def _final_body_in_worker(item: Item) -> Body:
    assert _WORKER is not None
    return _WORKER.final_body(item)


@contextmanager
def _pool(jobs: int, stop: Stop, converter: _Converter | None = None) -> Iterator[multiprocessing.pool.Pool | None]:
    """A pool of `jobs` forked workers, each inheriting `converter` as it is now (read-only: the
    functions *_in_worker use it); None for one job, or where there is no fork. While it runs, a signal
    only asks the run to stop (`stop.deferred`): raised inside the pool's own locks, it could leave the
    pool unable to end."""
    global _WORKER
    if jobs <= 1 or not sys.platform.startswith("linux"):
        yield None
        return
    stop.deferred = True
    _WORKER = converter
    if converter is not None:
        converter.ctx.store.flush()  # the workers read the run's store as it is now
    # What exists now is shared with the workers, page by page, until someone writes to it; the cyclic
    # collector of each worker would write to every object it walks (copying every page of the index
    # into every worker), so what exists now is moved out of its sight.
    gc.freeze()
    # A worker forked with the run's handlers could take a signal before its initializer sets its own,
    # and lose the pool's SIGTERM (the pool would then wait for it forever): the signals wait, blocked,
    # until each worker has its handlers, and the parent's until the pool is made.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_quiet_worker)
    finally:
        _WORKER = None
        gc.unfreeze()
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    try:
        yield pool
    except BaseException:
        pool.terminate()
        raise
    else:
        pool.close()
    finally:
        pool.join()
        stop.deferred = False


def _quiet_worker() -> None:
    """A worker leaves signals to the run: Ctrl-C (sent to the whole process group) is the parent's to
    handle, and the parent ends the workers with SIGTERM, which must end them without a word (a fork
    inherits the parent's handlers, which would print a traceback in each)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})  # blocked by _pool until now


def _final_bodies(
    pool: multiprocessing.pool.Pool | None, converter: _Converter, items: Iterator[Item], jobs: int
) -> Iterator[tuple[Item, Body]]:
    """(item, final body) for each item, in order. With a pool, its workers make the bodies and a window
    of items in flight keeps memory flat; without, this process does, with the same function."""
    if pool is None:
        for item in items:
            yield item, converter.final_body(item)
        return
    window: deque[tuple[Item, AsyncResult]] = deque()
    for item in items:
        window.append((item, pool.apply_async(_final_body_in_worker, (item,))))
        if len(window) >= jobs * 16:
            done, result = window.popleft()
            yield done, result.get()
    while window:
        done, result = window.popleft()
        yield done, result.get()


def _label(item: Item) -> str:
    return f"id {item.id} {item.link}".rstrip()


__all__ = ["Result", "Site", "index_site", "migrate", "plan_site"]
