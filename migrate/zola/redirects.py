"""Redirects for what Zola aliases cannot say, as maps for the common servers and as static pages.

Zola aliases keep a page's old paths (old slugs, `.html` permalinks). What they cannot keep:
plain links (`?p=12`, `?page_id=`, `?attachment_id=`: a query, not a path), attachment pages
(they become the file), term archives whose Zola slug differs from WordPress's, feeds, the pages
of a post split with `<!--nextpage-->`, and uploads that moved into page bundles. For each, the
maps in `redirects/` (nginx, Apache) and `static/_redirects` (Netlify, Cloudflare Pages) send a
301; for hosts without server configuration (GitHub Pages), a small static page redirects each
old path where no generated page sits, and `?p=` links reach `/wp2zola/p/ID/` pages through a
line of script in the page template.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass

from migrate.store import keep_first, sorted_items, tuple_state
from migrate.wxr.model import ascii_int
from migrate.zola.portable import portable_path
from migrate.zola.urls import ID_PAGES, url_path

QUERY, PATH, FILE = "query", "path", "file"


@tuple_state
@dataclass(frozen=True, slots=True)
class Redirect:
    kind: str  # query: old is "p=12"; path: an old page path; file: an old upload path (servers only)
    old: str  # decoded
    new: str  # decoded URL path on the new site


def _nginx_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _apache_target(path: str) -> str:
    """A substitution: `%N` would be a back-reference and `$N` one too, so both are quoted; the NE flag
    keeps mod_rewrite from escaping the `%` of an encoded path again."""
    return url_path(path).replace("%", "\\%").replace("$", "\\$")


def _apache_pattern(path: str) -> str:
    return "^" + re.escape(path.lstrip("/")).rstrip("/") + "/?$"


def redirect_files(
    redirects: Iterable[Redirect],
    generated: Iterable[str],
    home: str = "/",
    table: Callable[[], MutableMapping[str, str]] = dict,
) -> Iterator[tuple[str, Iterable[bytes]]]:
    """(site-relative file, its bytes in pieces) of the redirect maps and of the static redirect pages, one at a
    time (a site has a page for each post). `generated`: the decoded URL paths the site produces
    (pages, aliases, sections, taxonomies, static files), where no static page may go (Zola would let
    the static file win, silently). `table` makes the mappings it keeps (a key and a line for each
    post): dicts, or a run store's tables, which keep them on disk and sort them there."""
    taken, file_like = table(), table()  # keys of generated paths; those that look like files
    for p in generated:
        key = _key(p)
        taken[key] = ""
        if re.search(r"\.[A-Za-z0-9]{1,5}$", p.rstrip("/")):
            # a page there would need a folder where the site has a file (an alias `63.html`, an upload)
            file_like[key] = ""
    by_kind = {QUERY: table(), PATH: table(), FILE: table()}
    for r in redirects:
        if r.old != r.new and (r.kind == QUERY or _key(r.old) not in taken):
            keep_first(by_kind[r.kind], r.old, r.new)
    moved = table()  # the paths and the files (a file's redirect wins over a path's)
    for kind in (PATH, FILE):
        for old, new in sorted_items(by_kind[kind]):
            moved[old] = new
    yield "redirects/nginx-http.conf", _pieces(_nginx_http(by_kind[QUERY], moved, table()))
    yield "redirects/nginx-server.conf", (_nginx_server(),)
    yield "redirects/apache.htaccess", _pieces(_apache(by_kind[QUERY], moved))
    yield "static/_redirects", _pieces(_netlify(by_kind[QUERY], moved, home))
    pages = table()
    for old, new in sorted_items(by_kind[PATH]):
        keep_first(pages, old, new)
    for query, new in sorted_items(by_kind[QUERY]):
        key, _, value = query.partition("=")
        if key in ("p", "page_id", "attachment_id") and ascii_int(value) is not None:
            keep_first(pages, f"{ID_PAGES}{value}/", new)
    written = table()  # `/Old/` and `/old/` would be one folder on Windows and macOS: the first wins
    for old, new in sorted_items(pages):
        segments = [s for s in old.split("/") if s]
        folders = {"/".join(segments[: i + 1]).casefold() for i in range(len(segments))}
        key = _key(old)
        if (
            segments
            and _safe_segments(segments)
            and key not in taken
            and key not in written
            and not any(f in file_like for f in folders)
        ):
            written[key] = ""
            yield "static/" + "/".join(segments) + "/index.html", (redirect_page(new),)


def _pieces(lines: Iterable[str]) -> Iterator[bytes]:
    """Lines as UTF-8 pieces of a file, a batch at a time (a map has a line or two for every post)."""
    batch: list[str] = []
    for line in lines:
        batch.append(line + "\n")
        if len(batch) >= 4096:
            yield "".join(batch).encode()
            batch = []
    yield "".join(batch).encode()


def redirect_page(new: str) -> bytes:
    url = html.escape(url_path(new), quote=True)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Moved</title>\n'
        f'<link rel="canonical" href="{url}">\n<meta http-equiv="refresh" content="0; url={url}">\n'
        f'<meta name="robots" content="noindex">\n</head>\n<body>\n<p>This page has moved to <a href="{url}">{url}</a>.</p>\n'
        "</body>\n</html>\n"
    ).encode()


def _key(path: str) -> str:
    return unicodedata.normalize("NFC", path.strip("/").casefold())


def _safe_segments(segments: list[str]) -> bool:
    """Folders of static/ every file system takes, not too deep, none where Zola writes a file of its
    own (`?p=` ids of any length come here: a 300-digit one is no folder name)."""
    path = "/".join(segments)
    return portable_path(path).strip("/") == path


def _nginx_http(queries: Mapping[str, str], moved: Mapping[str, str], seen: MutableMapping[str, str]) -> Iterator[str]:
    yield "# wp2zola: WordPress URLs that Zola's aliases cannot keep. Include this file in nginx's `http {}`"
    yield "# block and redirects/nginx-server.conf in the site's `server {}` block."
    yield ""
    for name, key in (("wp2zola_p", "p"), ("wp2zola_page_id", "page_id"), ("wp2zola_attachment_id", "attachment_id")):
        yield f"map $arg_{key} ${name} {{"
        yield '    default "";'
        for query, new in sorted_items(queries):
            k, _, value = query.partition("=")
            if k == key:
                yield f"    {_nginx_string(value)} {_nginx_string(url_path(new))};"
        yield "}"
    yield "map $uri $wp2zola_path {"
    yield '    default "";'
    # nginx compares map keys without case: the first of two spellings is kept
    for old, new in sorted_items(moved):
        for key in dict.fromkeys([old, old.rstrip("/") if old != "/" else old]):
            if key.casefold() not in seen and "$" not in key:
                seen[key.casefold()] = ""
                yield f"    {_nginx_string(key)} {_nginx_string(url_path(new))};"
    yield "}"


def _nginx_server() -> bytes:
    return (
        b"# wp2zola: include in the site's `server {}` block (the maps are in nginx-http.conf).\n"
        b"if ($wp2zola_p) { return 301 $wp2zola_p; }\n"
        b"if ($wp2zola_page_id) { return 301 $wp2zola_page_id; }\n"
        b"if ($wp2zola_attachment_id) { return 301 $wp2zola_attachment_id; }\n"
        b"if ($wp2zola_path) { return 301 $wp2zola_path; }\n"
        b"rewrite ^(.*/)feed(/(rss2?|rdf|atom))?/?$ $1 permanent;\n"
    )


def _apache(queries: Mapping[str, str], moved: Mapping[str, str]) -> Iterator[str]:
    yield "# wp2zola: WordPress URLs that Zola's aliases cannot keep, for Apache (mod_rewrite)."
    yield "# Copy into the .htaccess at the web root (or the <VirtualHost>, with a leading / in each pattern)."
    yield "RewriteEngine On"
    yield ""
    for query, new in sorted_items(queries):
        key, _, value = query.partition("=")
        yield f"RewriteCond %{{QUERY_STRING}} (^|&){re.escape(key)}={re.escape(value)}(&|$)"
        yield f"RewriteRule ^ {_apache_target(new)}? [R=301,NE,L]"
    for old, new in sorted_items(moved):
        yield f'RewriteRule "{_apache_pattern(old)}" "{_apache_target(new)}" [R=301,NE,L]'
    yield r"RewriteRule ^(.*/)?feed(/(rss2?|rdf|atom))?/?$ /$1 [R=301,L]"


def _netlify(queries: Mapping[str, str], moved: Mapping[str, str], home: str) -> Iterator[str]:
    # "301!": a static redirect page (or the home page) sits at these paths, and Netlify applies a rule
    # over an existing file only when it is forced
    yield "# wp2zola: WordPress URLs that Zola's aliases cannot keep (Netlify and Cloudflare Pages)."
    for old, new in sorted_items(moved):
        yield f"{url_path(old)} {url_path(new)} 301!"
    for feed in dict.fromkeys(["/feed/", f"{url_path(home)}feed/", f"{url_path(home)}comments/feed/"]):
        yield f"{feed} {url_path(home)} 301!"
    if queries:
        yield "# Netlify only (Cloudflare Pages ignores query rules; the page script sends ?p= there too):"
        for key in ("p", "page_id", "attachment_id"):  # on the home page only: the target takes the query too
            for where in dict.fromkeys(["/", url_path(home)]):
                yield f"{where} {key}=:id {ID_PAGES}:id/ 301!"
