"""What Zola would read as a template: `{{` and `{%` (zola.md §0 and §6).

Zola 0.23 renders any page whose content holds them as a Tera template, and 0.17–0.22 look for
shortcodes there; so no file we write holds them, strings and code included.
"""

from __future__ import annotations

import re

TEMPLATE_OPENER = re.compile(r"\{(?=[{%])")


def escape_toml(toml_text: str) -> str:
    """TOML text without `{{` or `{%`: inside strings TOML's `\\u007B` is the same `{`."""
    return TEMPLATE_OPENER.sub(r"\\u007B", toml_text)


def escape_html(text: str) -> str:
    """HTML (or Markdown text) without `{{` or `{%`: the entity shows as `{`."""
    return TEMPLATE_OPENER.sub("&#123;", text)
