"""A new Zola site's own files: `config.toml` declaring every taxonomy used, and the templates.

Only config keys that every Zola from 0.17 to 0.23 accepts (0.19+ rejects unknown keys), and
templates that Tera 1 and Tera 2 both read (zola.md §0, §8). For an existing site, what it lacks is
given as advice instead (`existing.py`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tomli_w

from migrate.zola.tera import escape_toml
from migrate.zola.text import plain_text, title_text

TEMPLATES = Path(__file__).resolve().parent / "templates"


def site_config(
    title: str, description: str, base_url: str, taxonomies: list[str], source: str, exports: list[str]
) -> bytes:
    config: dict[str, Any] = {"base_url": base_url, "title": title_text(title) or "Migrated from WordPress"}
    description = plain_text(description)
    if description:
        config["description"] = description
    config["compile_sass"] = False
    config["build_search_index"] = False
    config["taxonomies"] = [{"name": name} for name in taxonomies]
    config["markdown"] = {}
    config["extra"] = {"wp2zola": {"source": source, "exports": exports}}
    text = "# Written by wp2zola for a migrated WordPress site. Edit freely.\n" + tomli_w.dumps(config)
    return escape_toml(text).encode("utf-8")


def templates() -> Iterator[tuple[str, bytes]]:
    """(site-relative path, bytes) of each scaffold template."""
    for entry in sorted(TEMPLATES.glob("*.html")):
        yield f"templates/{entry.name}", entry.read_bytes()


def existing_config(site: Path) -> dict | None:
    """The Zola config of an existing site (zola.toml or config.toml), or None for a new site."""
    for name in ("zola.toml", "config.toml"):
        path = site / name
        if path.is_file():
            try:
                with open(path, "rb") as fh:
                    return tomllib.load(fh)
            except (OSError, tomllib.TOMLDecodeError):
                return {"_unreadable": name}
    return None
