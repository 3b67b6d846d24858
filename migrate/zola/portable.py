"""URL paths that Zola can write as folders on every system, and integers TOML and Zola can read.

A page's `path` and each alias become folders and files under `public/` (zola.md §3), so each of
their segments must be a name that Linux, macOS and Windows all accept, and none may be a file
Zola writes itself. Every rule here is deterministic: the same URL always gets the same name.
"""

from __future__ import annotations

import hashlib
import re

# Characters Windows refuses in a name; on Windows Zola would read `\` as a folder separator and
# `C:` as a drive, writing outside public/.
_WINDOWS_BAD = re.compile(r'[\x00-\x1f\x7f<>:"|?*\\]')
# Device names Windows reserves, with or without an extension (`con.md`, `nul.tar.gz`), any case;
# the superscript digits are devices too.
WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{port}{n}" for port in ("com", "lpt") for n in "123456789¹²³"]
)
# What Zola writes at the root of public/ itself (sitemap.xml split as sitemap1.xml… past 30,000
# URLs; feeds and the search index when enabled; resized images), where a page or an alias would
# be overwritten or fail the build. Taxonomy paths are reserved separately: they depend on the site.
_ZOLA_ROOT = re.compile(
    r"^(?:sitemap\d*\.xml|robots\.txt|404\.html|rss\.xml|atom\.xml|elasticlunr\.min\.js"
    r"|search_index\.[^/]*|processed_images)$",
    re.I,
)
MAX_SEGMENT_BYTES = 255  # file systems refuse a longer name (NTFS counts UTF-16 units: never more)
_SHORT_PREFIX_BYTES = 180  # a shortened name keeps this much and a hash, leaving room for a `-ID` suffix
MAX_PATH_BYTES = 1024  # public/ + path + index.html stays far below Linux's 4,096-byte PATH_MAX
MAX_DEPTH = 32  # each folder of a page's file is a section file; deeper URLs are folded
I64_MIN, I64_MAX = -(2**63), 2**63 - 1  # TOML integers (and Zola's reader) are 64-bit


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def cut(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` within `max_bytes` of UTF-8, cut at a character boundary."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def shorten(name: str, max_bytes: int = MAX_SEGMENT_BYTES, keep: int = _SHORT_PREFIX_BYTES) -> str:
    """`name` when it fits in `max_bytes`, else a prefix of it and a hash of the whole."""
    if len(name.encode("utf-8")) <= max_bytes:
        return name
    return cut(name, keep).rstrip(" .-") + "-" + short_hash(name)


def is_windows_device(name: str) -> bool:
    return name.split(".", 1)[0].rstrip(" ").casefold() in WINDOWS_DEVICES


def renamed(name: str) -> str:
    """A reserved name made free: `-page` after its stem (`con.txt` → `con-page.txt`)."""
    stem, dot, rest = name.partition(".")
    return f"{stem.rstrip(' ')}-page{dot}{rest}"


def zola_writes(first_segment: str) -> bool:
    return bool(_ZOLA_ROOT.match(first_segment))


def portable_segment(segment: str, root: bool = False) -> str:
    """A URL segment as a name every file system takes (`root`: the first segment of a path)."""
    name = _WINDOWS_BAD.sub("-", segment)
    stripped = name.rstrip(" .")  # Windows drops trailing dots and spaces: `a.` would be `a`
    if stripped != name:
        name = stripped or "_"
    name = shorten(name)
    if is_windows_device(name) or (root and zola_writes(name)):
        name = renamed(name)
    return name


def portable_path(path: str) -> str:
    """A decoded URL path ("/a/b/") Zola can write everywhere; the same path when it already can.
    A path too deep or too long keeps its first folders and ends in a hash of the whole."""
    segments = [portable_segment(s, i == 0) for i, s in enumerate(s for s in path.split("/") if s)]
    if len(segments) > MAX_DEPTH or len("/".join(segments).encode("utf-8")) > MAX_PATH_BYTES:
        last = cut(segments[-1], 100).rstrip(" .-") or "page"
        tail = f"{last}-{short_hash(path)}"
        kept: list[str] = []
        size = len(tail.encode("utf-8")) + 1
        for s in segments[:-1]:
            size += len(s.encode("utf-8")) + 1
            if len(kept) >= MAX_DEPTH - 1 or size > MAX_PATH_BYTES:
                break
            kept.append(s)
        segments = [*kept, tail]
    return "/" + "/".join(segments) + ("/" if segments else "")


def why_not_portable(path: str) -> str:
    """Why `portable_path` changes `path`, for a notice; "" when it does not."""
    if portable_path(path).strip("/") == path.strip("/"):  # an alias `/old.html` has no trailing slash
        return ""
    segments = [s for s in path.split("/") if s]
    if zola_writes(segments[0]):
        return f"Zola writes /{segments[0]} itself"
    for s in segments:
        if _WINDOWS_BAD.search(s):
            return "it holds a character Windows refuses in a name"
        if s != s.rstrip(" ."):
            return "a name ends in a dot or a space, which Windows drops"
        if is_windows_device(s):
            return f"{s!r} is a device name on Windows"
        if len(s.encode("utf-8")) > MAX_SEGMENT_BYTES:
            return f"a name is longer than {MAX_SEGMENT_BYTES} bytes"
    if len(segments) > MAX_DEPTH:
        return f"it is {len(segments)} folders deep"
    if len(path.encode("utf-8")) > MAX_PATH_BYTES:
        return f"it is longer than {MAX_PATH_BYTES} bytes"
    return "it is no name every file system takes"


def toml_int(value: int) -> int | str:
    """An integer as TOML (and Zola) can read it: beyond 64 bits, its digits as a string."""
    return value if I64_MIN <= value <= I64_MAX else str(value)
