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
from urllib.parse import SplitResult, urlsplit

_CDN = re.compile(r"^i[0-3]\.wp\.com$")
_FILES_HOST = re.compile(r"^[\w-]+\.files\.wordpress\.com$")
_NOT_A_SITE = {"wordpress.com", "wordpress.org", "gravatar.com", "s.w.org"}  # base_site_url of WordPress.com exports


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
    """Every host name the old site answered to; `home` is the main one (the channel link's)."""

    home: str = ""
    names: set[str] = field(default_factory=set)  # bare names (no www.)

    @classmethod
    def of(cls, home_url: str, urls: Iterable[str]) -> SiteHosts:
        hosts = cls(bare(host_of(home_url)))
        seen: Counter[str] = Counter()
        for url in [home_url, *urls]:
            host = bare(host_of(url))
            if host == "localhost" or (host and "." in host and host not in _NOT_A_SITE and not _CDN.match(host)):
                seen[host] += 1
        hosts.names = set(seen)
        if not hosts.home and seen:
            hosts.home = seen.most_common(1)[0][0]
        return hosts

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
