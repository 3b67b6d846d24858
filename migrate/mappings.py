"""The behaviour tables in `mappings/*.toml`, merged with a user's `--config` file.

The defaults ship inside the package (as `migrate/default_mappings`, from the top-level `mappings/`
folder); a user's file overrides them table by table, key by key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """A --config file that cannot be used; the message names the file."""


def _default_dir() -> Path:
    here = Path(__file__).resolve().parent
    for folder in (here / "default_mappings", here.parent / "mappings"):  # installed, source checkout
        if any(folder.glob("*.toml")):
            return folder
    raise RuntimeError(f"wp2zola's default mappings are missing beside {here}: a broken installation")


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


@dataclass(frozen=True)
class Mappings:
    tables: dict[str, Any]

    @classmethod
    def load(cls, user_file: str | Path | None = None) -> Mappings:
        tables: dict[str, Any] = {}
        for path in sorted(_default_dir().glob("*.toml")):
            with open(path, "rb") as fh:
                tables = _merge(tables, tomllib.load(fh))
        if user_file is not None:
            try:
                with open(user_file, "rb") as fh:
                    user = tomllib.load(fh)
            except OSError as err:
                raise ConfigError(f"{user_file}: cannot open: {err.strerror or err}") from None
            except tomllib.TOMLDecodeError as err:
                raise ConfigError(f"{user_file}: not valid TOML: {err}") from None
            unknown = sorted(set(user) - set(tables))
            if unknown:
                raise ConfigError(
                    f"{user_file}: unknown table(s) {', '.join(unknown)}; known: {', '.join(sorted(tables))}"
                )
            tables = _merge(tables, user)
        return cls(tables)

    def taxonomy(self, wp_taxonomy: str) -> str:
        """The Zola taxonomy for a WordPress one; "" when it is not a taxonomy on the site."""
        name = self.tables.get("taxonomies", {}).get(wp_taxonomy, wp_taxonomy)
        return name if isinstance(name, str) else ""

    def skip_reason(self, post_type: str) -> str | None:
        return self.tables.get("skip_post_types", {}).get(post_type)

    def status_action(self, status: str) -> str | None:
        return self.tables.get("statuses", {}).get(status)
