"""The old site's own hosts, as the export tells them, and URLs put in one form.

A site is reached under several names: the channel link, `http`/`https`, with and without
`www.`, former domains still in item links and guids, the host its uploads are served from
(`SITE.files.wordpress.com`), and Jetpack's image CDN (`i0.wp.com/HOST/…`). A URL on any of them
is the site's; every other host is external.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from urllib.parse import SplitResult, urlsplit

_CDN = re.compile(r"^i[0-3]\.wp\.com$")
_FILES_HOST = re.compile(r"^[\w-]+\.files\.wordpress\.com$")
_NOT_A_SITE = {"wordpress.com", "wordpress.org", "gravatar.com", "s.w.org"}  # base_site_url of WordPress.com exports


def parse_url(url: str) -> SplitResult | None:
    """`urlsplit`, or None for what it refuses (`http://[bad/`, a port that is no number)."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    return parts


def host_of(url: str) -> str:
    """The lowercase host name of an absolute or protocol-relative URL, without port, or ""."""
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def bare(host: str) -> str:
    return host.removeprefix("www.")


def is_files_host(host: str) -> bool:
    """WordPress.com serves a site's uploads from `SITE.files.wordpress.com/YYYY/MM/…`."""
    return bool(_FILES_HOST.match(host))


@dataclass
class SiteHosts:
    """Every host name the old site answered to; `home` is the main one (the channel link's).

    `primary` hosts served the site's pages (the channel link, the base URLs, item links); the other
    names only served some of its files or named its items once (attachment URLs, guids: a former
    domain, a storage bucket, a theme demo the content came from). On those, only what the export
    really holds counts as the site's: its attachments' files and its items' exact URLs.
    """

    home: str = ""
    names: set[str] = field(default_factory=set)  # bare names (no www.)
    primary: set[str] = field(default_factory=set)

    @classmethod
    def of(
        cls, home_url: str, pages: Iterable[str], files: Iterable[str] = (), allowed: Iterable[str] = ()
    ) -> SiteHosts:
        """`allowed`: names the user says are the site's (--allow-host: a CDN, a storage bucket)."""
        hosts = cls(bare(host_of(home_url)))
        seen: Counter[str] = Counter()
        for kind, urls in (("primary", chain([home_url], pages)), ("other", files)):
            for url in urls:
                host = bare(host_of(url))
                if host == "localhost" or (host and "." in host and host not in _NOT_A_SITE and not _CDN.match(host)):
                    seen[host] += 1
                    if kind == "primary":
                        hosts.primary.add(host)
        extra = {bare(h.strip().lower()) for h in allowed if h.strip()}
        hosts.names = set(seen) | extra
        hosts.primary |= extra
        if not hosts.home and seen:
            hosts.home = seen.most_common(1)[0][0]
        return hosts

    def is_primary(self, host: str) -> bool:
        return bare(host.lower()) in self.primary

    def is_site(self, host: str) -> bool:
        return bare(host.lower()) in self.names

    def all_names(self) -> set[str]:
        """Every name a fetch may contact: each host with and without `www.`."""
        return {n for name in self.names for n in (name, "www." + name)}


def split(url: str) -> SplitResult | None:
    """A URL from HTML or a shortcode in one form: entities decoded, stray spaces trimmed, Jetpack's CDN
    form `i0.wp.com/HOST/PATH` unwrapped to `https://HOST/PATH`. None when it cannot be parsed."""
    url = html.unescape(url.strip()) if "&" in url else url.strip()
    try:
        parts = urlsplit(url)
        if parts.hostname and _CDN.match(parts.hostname.lower()):
            inner = parts.path.lstrip("/")
            if "/" in inner:
                parts = urlsplit(f"{parts.scheme or 'https'}://{inner}" + (f"?{parts.query}" if parts.query else ""))
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    return parts
