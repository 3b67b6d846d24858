"""wp2zola: move a WordPress site (WXR exports) to a Zola site, with nothing lost.

The pipeline (`migrate.pipeline`), one package a concern, each stage a call down:
    wxr (read the exports, index the site) → zola.urls (place every item) → wordpress (render
    what WordPress showed) → links (rewrite every URL) → markdown (HTML → Markdown) → zola (front
    matter, sections, scaffold, redirects) → site (plan, then apply or diff) → report

Use it as a library:

    from migrate import migrate
    result = migrate(["site.xml"], "site", dry_run=True)
    print(result.plan.counts(), result.changes.counts())
"""

from __future__ import annotations

from migrate.mappings import ConfigError, Mappings
from migrate.pipeline import Result, migrate, plan_site
from migrate.site.apply import apply, compare
from migrate.wxr.reader import ExportError

__all__ = ["ConfigError", "ExportError", "Mappings", "Result", "apply", "compare", "migrate", "plan_site"]
__version__ = "0.1.0"
