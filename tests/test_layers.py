"""The package's shape: one folder a concern, imports written one way (absolute) and going one way (down).

A module may import from its own package and from packages of lower layers, never from a higher
layer nor from a sibling of its own layer. Moving a function to where it belongs keeps this green.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "migrate"

# lowest first; packages on one line are siblings that must not import each other
LAYERS = [
    ["mappings", "store"],
    ["wxr"],
    ["wordpress", "zola"],
    ["markdown"],
    ["media"],
    ["links"],
    ["comments"],
    ["site"],
    ["fidelity", "report", "audit"],
    ["review"],
    ["pipeline"],
    ["batch"],
    ["cli"],
    ["__init__", "__main__"],
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def part_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, first component under migrate) of each import of the package in a module."""
    out = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import; write `from migrate.… import …`"
            names = [node.module or ""]
            if node.module == "migrate":  # a sub-module, or a name defined by the package root
                names = [
                    f"migrate.{a.name}"
                    if (PACKAGE / a.name).is_dir() or (PACKAGE / f"{a.name}.py").is_file()
                    else "migrate"
                    for a in node.names
                ]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name == "migrate" or name.startswith("migrate."):
                parts = name.split(".")
                out.append((node.lineno, parts[1] if len(parts) > 1 else "__init__"))
    return out


def test_every_part_has_a_layer():
    parts = {part_of(p) for p in PACKAGE.rglob("*.py")}
    assert parts <= set(RANK), f"give these a layer in LAYERS: {sorted(parts - set(RANK))}"


def test_imports_go_down():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        me = part_of(path)
        for line, other in imports(path):
            if other == me:
                continue
            if other == "__init__" and me != "__main__":
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports the package root; import the module itself")
            elif RANK[other] >= RANK[me] and other != "__init__":
                wrong.append(
                    f"{path.relative_to(PACKAGE)}:{line} ({me}, layer {RANK[me]}) imports {other} (layer {RANK[other]})"
                )
    assert not wrong, "\n".join(wrong)


def test_a_run_that_fetches_nothing_loads_no_http_client(tmp_path):
    """requests (17 MB here) and textile are imported where they are needed: a --no-download run of an
    HTML site loads neither (memory is a target of its own, issue 9)."""
    import subprocess
    import sys

    script = (
        "import sys; from migrate.cli import main; sys.argv = ['wp2zola', 'migrate', sys.argv[1], '--out', sys.argv[2],"
        " '--no-download', '-q']\ntry:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "loaded = [m for m in ('requests', 'urllib3', 'textile') if m in sys.modules]\nassert not loaded, loaded\n"
    )
    sample = Path(__file__).parent.parent / "samples" / "example-blog.wordpress.xml"
    run = subprocess.run([sys.executable, "-c", script, str(sample), str(tmp_path / "site")], capture_output=True)
    assert run.returncode == 0, run.stderr.decode()
    assert (tmp_path / "site" / "config.toml").is_file()
