"""wp2zola: move a WordPress site (WXR exports) to a Zola site, with nothing lost.

The pipeline, top to bottom (each stage a module):
    reader (stream the exports) → context (site index, first pass) → urls (where each item goes)
    → convert + frontmatter (each item's file, second pass) → plan (all files, as data)
    → apply (write atomically, or diff for a dry run) → report

Use it as a library:

    from migrate import migrate
    result = migrate(["site.xml"], "site", dry_run=True)
    print(result.plan.counts(), result.changes.counts())
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from migrate.site.apply import Changes, apply, compare, read_manifest
from migrate.mappings import ConfigError, Mappings
from migrate.site.plan import Plan, build_plan, existing_config
from migrate.wxr.reader import ExportError

__all__ = ["migrate", "Result", "ExportError", "ConfigError", "Mappings", "build_plan", "compare", "apply"]
__version__ = "0.1.0"


@dataclass
class Result:
    plan: Plan
    changes: Changes


def migrate(exports: list[str | Path], out: str | Path, *, dry_run: bool = False, force: bool = False,
            config: str | Path | None = None, progress: Callable[[int, int], None] | None = None) -> Result:
    """Plan the Zola site for `exports` in `out`, and write it unless `dry_run`."""
    site = Path(out)
    mappings = Mappings.load(config)
    # A config that wp2zola wrote is still the tool's to maintain; any other marks an existing site.
    ours = "config.toml" in read_manifest(site)
    plan = build_plan(list(exports), mappings, None if ours else existing_config(site), progress)
    changes = compare(plan, site, force=force)
    if not dry_run:
        apply(changes)
    return Result(plan, changes)
