"""The review report: every item with its outcome, and each converted one as WordPress showed it
beside what Zola will show, with the fidelity measures and flags, in one self-contained HTML file."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from migrate.mappings import Mappings
from migrate.review.items import review_items
from migrate.review.page import review_html
from migrate.site.apply import Changes
from migrate.site.errors import SiteError
from migrate.site.plan import Plan


def write_review(
    path: str | Path,
    exports: Sequence[str | Path],
    mappings: Mappings,
    plan: Plan,
    changes: Changes | None,
    site_title: str = "",
    markup: str | None = None,
) -> int:
    """Write the review of `plan` to `path` (whole or not at all); the number of items in it."""
    items = list(review_items(exports, mappings, plan, changes, markup))
    page = review_html(site_title, plan.base_url, items).encode("utf-8", "surrogatepass")
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)  # the umask decides, as for any file
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(page)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as err:
        raise SiteError.from_os(path, err, "cannot write the review", then="free some space and run it again") from None
    return len(items)
