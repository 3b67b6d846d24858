"""Section files (`_index.md`): the home section that lists every post by date, and the folders between.

Year, month and parent-page folders become transparent sections that render nothing, so their
pages are listed by the home section (matrix.org does the same; zola.md §5). A static front page
becomes the home section's own content.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from migrate.zola import frontmatter
from migrate.zola.text import plain_text, title_text
from migrate.zola.urls import section_file


@dataclass
class FrontPage:
    """The page shown at the site's home URL: it becomes the home section's content."""

    title: str
    body: str
    aliases: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def section_files(
    content_files: Iterable[str],
    home: str,
    site_title: str,
    site_description: str,
    front_page: FrontPage | None,
    root_body: str,
) -> list[tuple[str, bytes]]:
    """(file relative to content/, bytes) of every section the content files need, sorted.
    `root_body` is the Markdown of the root section above a sub-directory install (a link to it)."""
    home_file = section_file(home)
    files: set[str] = set()
    for file in chain(content_files, (home_file,)):  # read as they come: every page's file
        parts = file.split("/")[:-1]
        if file.endswith("/index.md"):  # a page bundle: its folder is the page, not a section
            parts = parts[:-1]
        files.update("/".join(parts[:depth] + ["_index.md"]) for depth in range(len(parts) + 1))
    title = title_text(site_title)
    out = []
    for file in sorted(files):
        body = ""
        values: dict[str, Any]
        if file == home_file:
            values = {"title": title, "sort_by": "date"}
            description = plain_text(site_description)
            if description:
                values["description"] = description
            if front_page is not None:
                values["title"] = front_page.title or title
                if front_page.aliases:
                    values["aliases"] = front_page.aliases
                values["extra"] = front_page.extra
                body = front_page.body
        elif file == "_index.md":  # the root above a sub-directory install: point to the blog
            values = {"title": title}
            body = root_body
        else:  # year, month, parent-page folders: their pages are listed by the section above
            values = {"transparent": True, "render": False}
        out.append((file, (frontmatter.render(values) + (("\n" + body) if body else "")).encode("utf-8")))
    return out
