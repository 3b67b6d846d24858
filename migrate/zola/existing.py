"""An existing Zola site that content is migrated into: what its config declares, which templates
it and its theme provide, and what it must add for the planned content to build.

Zola fails a build on a page whose taxonomy the config does not declare, and on a declared taxonomy
with terms but no templates for its pages (`NAME/list.html` and `NAME/single.html`, or the generic
`taxonomy_list.html` and `taxonomy_single.html`; zola.md §4) unless it says `render = false`. Themes
declare `tags` and `categories` where WordPress says `post_tag` and `category`, so each WordPress
taxonomy goes to a name the site already has (the synonyms are data: `[existing_site]` in
`mappings/taxonomies.toml`), and a taxonomy the theme cannot show is advised with `render = false`.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate.mappings import Mappings

CONFIG_NAMES = ("zola.toml", "config.toml")  # 0.22.1+ reads zola.toml first
SITE = "_site"  # the table of fitted mappings that says which taxonomies get pages (not user-settable)

# Zola's front matter: TOML between `+++` lines, or YAML between `---` lines (its own regexes)
_TOML_FM = re.compile(r"^[\s\ufeff]*\+\+\+(\r?\n.*?)\+\+\+[ \t]*(?:\r?\n|$)", re.S)
_YAML_FM = re.compile(r"^[\s\ufeff]*---(\r?\n.*?)---[ \t]*(?:\r?\n|$)", re.S)
_YAML_SORT = re.compile(r"^sort_by\s*:", re.M)


@dataclass(frozen=True)
class ExistingSite:
    """What planning needs to know of a Zola site that wp2zola did not make."""

    config_file: str = "config.toml"
    config: dict[str, Any] = field(default_factory=dict)
    problem: str = ""  # the config could not be read: said, and nothing is declared
    templates: frozenset[str] = frozenset()  # names Zola finds: the site's templates/ and its theme's
    has_templates_dir: bool = True
    sections: dict[str, bool] = field(default_factory=dict)  # content/…/_index.md → says sort_by

    def declared(self) -> list[dict[str, Any]]:
        """The config's taxonomy entries, in its order."""
        entries = self.config.get("taxonomies", [])
        return (
            [t for t in entries if isinstance(t, dict) and isinstance(t.get("name"), str)]
            if isinstance(entries, list)
            else []
        )

    def can_render(self, taxonomy: str) -> bool:
        """Whether the site or its theme has both templates Zola needs for the taxonomy's pages."""
        return _can_show(self.templates, taxonomy)

    def pages_table(self) -> dict[str, Any]:
        """What `renders` needs, as data that travels in the mappings (to the pool's workers too)."""
        templates = sorted(t for t in self.templates if t.endswith(("list.html", "single.html")))
        off = sorted(e["name"] for e in self.declared() if e.get("render") is False)
        root = self.config.get("taxonomy_root")
        root = "/" + root.strip("/") + "/" if isinstance(root, str) and root.strip("/") else "/"
        return {"templates": templates, "off": off, "root": root}

    def slug_problem(self) -> str:
        """Why the site's term URLs may not be the ones planned (they are planned as Zola's default
        `slugify.taxonomies = "on"` makes them), or ""."""
        slugify = self.config.get("slugify")
        mode = slugify.get("taxonomies", "on") if isinstance(slugify, dict) else "on"
        if mode == "on":
            return ""
        return (
            f'{self.config_file}: slugify.taxonomies = "{mode}": term URLs are planned as "on" makes them, so the '
            "redirects from old archive URLs may miss their term pages"
        )


def taxonomy_root(mappings: Mappings) -> str:
    """Where the site's taxonomies are: "/" (Zola's default), or its `taxonomy_root` (0.22+)."""
    site = mappings.tables.get(SITE)
    return site["root"] if site is not None else "/"


def renders(mappings: Mappings, taxonomy: str) -> bool:
    """Whether Zola will make pages for the taxonomy (its list and its terms') once the advice is
    followed: always on a site wp2zola makes, where the theme can show them on an existing one."""
    site = mappings.tables.get(SITE)
    if site is None:
        return True
    return taxonomy not in site["off"] and _can_show(site["templates"], taxonomy)


def _can_show(templates: Collection[str], taxonomy: str) -> bool:
    """Zola's rule: a taxonomy's pages need `NAME/list.html` or `taxonomy_list.html`, and
    `NAME/single.html` or `taxonomy_single.html` (zola.md §4)."""
    return (f"{taxonomy}/list.html" in templates or "taxonomy_list.html" in templates) and (
        f"{taxonomy}/single.html" in templates or "taxonomy_single.html" in templates
    )


def read_site(site: Path) -> ExistingSite | None:
    """The existing site at `site` (the I/O of this module), or None where there is no Zola config."""
    for name in CONFIG_NAMES:
        path = site / name
        if not path.is_file():
            continue
        try:
            with open(path, "rb") as fh:
                config = tomllib.load(fh)
            problem = ""
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            config, problem = {}, f"{path}: cannot be read ({err}); its taxonomies and theme are not known"
        theme = config.get("theme")
        folders = [site / "templates"]
        if isinstance(theme, str) and theme:
            folders.append(site / "themes" / theme / "templates")
        return ExistingSite(
            name,
            config,
            problem,
            frozenset(_templates(folders)),
            (site / "templates").is_dir(),
            _sections(site / "content"),
        )
    return None


def _templates(folders: Iterable[Path]) -> Iterable[str]:
    for folder in folders:
        if folder.is_dir():
            for entry in folder.rglob("*"):
                if entry.is_file():
                    yield entry.relative_to(folder).as_posix()


def _sections(content: Path) -> dict[str, bool]:
    if not content.is_dir():
        return {}
    return {entry.relative_to(content).as_posix(): _says_sort_by(entry) for entry in content.rglob("_index.md")}


def _says_sort_by(path: Path) -> bool:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return True  # not ours to judge: Zola will say what is wrong with it
    toml = _TOML_FM.match(text)
    if toml:
        try:
            return "sort_by" in tomllib.loads(toml.group(1))
        except tomllib.TOMLDecodeError:
            return True
    yaml = _YAML_FM.match(text)
    return bool(yaml and _YAML_SORT.search(yaml.group(1)))


def fit_mappings(mappings: Mappings, site: ExistingSite | None) -> Mappings:
    """The mappings with each WordPress taxonomy sent to the name the site has for it (the first of
    its `[existing_site]` synonyms that the config declares, else the first the site's or theme's
    templates show), unless the user's mappings chose a name; and what the site's templates can show (see `renders`), for the URLs planned."""
    if site is None:
        return mappings
    declared = {entry["name"] for entry in site.declared()}
    pages = site.pages_table()
    chosen_by_user = mappings.user.get("taxonomies", {})
    fitted = dict(mappings.tables.get("taxonomies", {}))
    for wp_taxonomy, synonyms in mappings.tables.get("existing_site", {}).items():
        if wp_taxonomy in chosen_by_user:
            continue  # the user's own choice, even where it repeats the default
        chosen = next((name for name in synonyms if name in declared), None) or next(
            (name for name in synonyms if {f"{name}/list.html", f"{name}/single.html"} <= site.templates), None
        )
        if chosen is not None:
            fitted[wp_taxonomy] = chosen
    return Mappings({**mappings.tables, "taxonomies": fitted, SITE: pages}, mappings.user)


def advice(site: ExistingSite, taxonomies: list[str], listing_sections: Iterable[str]) -> list[str]:
    """One line for each thing the site must add for the planned content to build and show as on
    WordPress, with the exact TOML. `taxonomies`: those the pages use; `listing_sections`: the
    `_index.md` files (below content/) whose section lists the posts."""
    out: list[str] = []
    if site.problem:
        out.append(site.problem)
    entries = [dict(e) for e in site.declared()]
    names = [e["name"] for e in entries]
    changed, unshown = False, []
    for taxonomy in taxonomies:
        if taxonomy not in names:
            entry: dict[str, Any] = {"name": taxonomy}
            entries.append(entry)
            names.append(taxonomy)
            changed = True
        else:
            entry = entries[names.index(taxonomy)]
        if entry.get("render") is not False and not site.can_render(taxonomy):
            entry["render"] = False
            unshown.append(taxonomy)
            changed = True
    if changed:
        why = (
            f" (no templates for the pages of {', '.join(unshown)} in the site or its theme — NAME/list.html and "
            "NAME/single.html, or taxonomy_list.html and taxonomy_single.html — so render = false: the terms stay "
            "in each page's front matter, and their old archive URLs lead to the home page)"
            if unshown
            else ""
        )
        where = "" if "taxonomies" in site.config else " at its top level (above its first [table])"
        out.append(f"{site.config_file}: set taxonomies = {_inline(entries)}{where}{why}")
    for section in sorted(listing_sections):
        if site.sections.get(section) is False:
            out.append(
                f'content/{section}: add sort_by = "date" to its front matter (its posts are listed in no order without it)'
            )
    if not site.has_templates_dir:
        out.append("templates/: make this folder, empty if the theme has every template (Zola 0.17 needs it)")
    return out


def _inline(entries: list[dict[str, Any]]) -> str:
    """A TOML array of inline tables, on one line, as a user pastes it over their `taxonomies` line."""
    return "[" + ", ".join("{ " + ", ".join(f"{k} = {_value(v)}" for k, v in e.items()) + " }" for e in entries) + "]"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    return repr(value)
