"""The behaviour tables in `mappings/*.toml`, merged with a user's `--config` file.

The defaults ship inside the package (as `migrate/default_mappings`, from the top-level `mappings/`
folder); a user's file overrides them table by table, key by key.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARKUP_CHOICES = ("auto", "html", "textile", "markdown")  # what `[content] markup` and --markup take


class ConfigError(Exception):
    """A --config file that cannot be used; the message names the file."""


def _default_dir() -> Path:
    here = Path(__file__).resolve().parent
    for folder in (here / "default_mappings", here.parent / "mappings"):  # installed, source checkout
        if any(folder.glob("*.toml")):
            return folder
    raise RuntimeError(f"wp2zola's default mappings are missing beside {here}: a broken installation")


def default_files() -> list[Path]:
    """The default tables, in the order they are merged."""
    return sorted(_default_dir().glob("*.toml"))


def _merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif isinstance(value, list) and isinstance(out.get(key), list) and all(isinstance(v, dict) for v in value):
            out[key] = value + out[key]  # arrays of tables ([[providers]]): the user's come first and win
        else:
            out[key] = value
    return out


_KINDS = {
    dict: "a table",
    list: "an array",
    str: "a string",
    bool: "true or false",
    int: "an integer",
    float: "a number",
}


def _kind(value: Any) -> str:
    return next((name for t, name in _KINDS.items() if type(value) is t), type(value).__name__)


def _example(values: list[Any]) -> Any:
    """What a new entry beside `values` should look like: their common shape, or None when they differ."""
    if values and all(isinstance(v, dict) for v in values):
        merged: dict = {}
        for v in values:
            for key, item in v.items():
                merged.setdefault(key, item)
        return merged
    kinds = {type(v) for v in values}
    return values[0] if len(kinds) == 1 else None


def _shape_problem(user: Any, default: Any, where: str) -> str:
    """Where the user's value differs in type from the defaults' (which the code relies on), or "".
    Keys the defaults lack are checked against their siblings (a new shortcode looks like the others)."""
    if default is None:
        return ""
    name = where or "the file"
    if type(user) is not type(default) and not (isinstance(default, float) and type(user) is int):
        return f"{name} must be {_kind(default)}, not {_kind(user)}"
    if isinstance(default, dict):
        sibling = _example(list(default.values()))
        for key, value in user.items():
            problem = _shape_problem(value, default.get(key, sibling), f"{where}.{key}" if where else key)
            if problem:
                return problem
    elif isinstance(default, list):
        element = _example(default)
        for i, value in enumerate(user):
            problem = _shape_problem(value, element, f"{name}[{i}]")
            if problem:
                return problem
    return ""


def _choice_problem(user: dict) -> str:
    """A value of the user's outside the few a key takes."""
    markup = user.get("content", {}).get("markup")
    if markup is not None and markup not in MARKUP_CHOICES:
        return f"content.markup must be one of {', '.join(MARKUP_CHOICES)}, not {markup!r}"
    return ""


# arrays of tables whose keys hold regular expressions (a string, or an array of them)
_REGEX_KEYS = {"providers": ("patterns", "movies"), "widget_scripts": ("src",), "code_tags": ("match", "skip")}


def _pattern_problem(user: dict) -> str:
    """A regular expression of the user's that does not compile."""
    for table, keys in _REGEX_KEYS.items():
        for i, entry in enumerate(user.get(table, [])):
            for key in keys:
                value = entry.get(key, [])
                for j, pattern in enumerate([value] if isinstance(value, str) else value):
                    try:
                        re.compile(pattern)
                    except re.error as err:
                        where = f"{table}[{i}].{key}" + ("" if isinstance(value, str) else f"[{j}]")
                        return f"{where} is not a regular expression: {err}"
    return ""


_NOT_A_FILE = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a pipe", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}


def _read_config(path: Path) -> bytes:
    """The bytes of a --config file; anything but a regular file is refused before it is read (a
    pipe would wait for a writer forever, a device never end)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as err:
        raise ConfigError(f"{path}: cannot open: {err.strerror or err}") from None
    kind = stat.S_IFMT(os.fstat(fd).st_mode)
    if kind != stat.S_IFREG:
        os.close(fd)
        raise ConfigError(f"{path}: not a TOML file: {_NOT_A_FILE.get(kind, 'not a file')}")
    with os.fdopen(fd, "rb") as fh:
        try:
            return fh.read()
        except OSError as err:
            raise ConfigError(f"{path}: read error: {err.strerror or err}") from None


@dataclass(frozen=True)
class Mappings:
    tables: dict[str, Any]
    user: dict[str, Any] = field(default_factory=dict)  # the --config file's own tables, as written

    @classmethod
    def load(cls, user_file: str | Path | None = None) -> Mappings:
        tables: dict[str, Any] = {}
        for path in default_files():
            with open(path, "rb") as fh:
                tables = _merge(tables, tomllib.load(fh))
        if user_file is not None:
            data = _read_config(Path(user_file))
            try:
                user = tomllib.loads(data.decode("utf-8"))
            except UnicodeDecodeError as err:
                bad = f"byte {err.start + 1} is 0x{data[err.start]:02x}"
                raise ConfigError(f"{user_file}: not valid TOML: not UTF-8 text ({bad})") from None
            except tomllib.TOMLDecodeError as err:
                raise ConfigError(f"{user_file}: not valid TOML: {err}") from None
            unknown = sorted(set(user) - set(tables))
            if unknown:
                raise ConfigError(
                    f"{user_file}: unknown table(s) {', '.join(unknown)}; known: {', '.join(sorted(tables))}"
                )
            problem = _shape_problem(user, tables, "") or _pattern_problem(user) or _choice_problem(user)
            if problem:
                raise ConfigError(f"{user_file}: {problem}")
            tables = _merge(tables, user)
            return cls(tables, user)
        return cls(tables)

    def taxonomy(self, wp_taxonomy: str) -> str:
        """The Zola taxonomy for a WordPress one; "" when it is not a taxonomy on the site."""
        name = self.tables.get("taxonomies", {}).get(wp_taxonomy, wp_taxonomy)
        return name if isinstance(name, str) else ""

    def skip_reason(self, post_type: str) -> str | None:
        return self.tables.get("skip_post_types", {}).get(post_type)

    def status_action(self, status: str) -> str | None:
        return self.tables.get("statuses", {}).get(status)

    def markup(self) -> str:
        """`[content] markup`: "auto", "html", "textile" or "markdown"."""
        value = self.tables.get("content", {}).get("markup", "auto")
        if value not in MARKUP_CHOICES:
            raise ConfigError(f"content.markup must be one of {', '.join(MARKUP_CHOICES)}, not {value!r}")
        return value

    def description_meta_keys(self) -> list[str]:
        """Post meta keys of SEO descriptions, first preferred."""
        return [k for k in self.tables.get("descriptions", {}).get("meta_keys", []) if isinstance(k, str)]
