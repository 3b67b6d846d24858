"""How the review report of a big site opens in a browser (issue 11: "loads in a few seconds").

Generates an export of N items from the sample (as bench/run.py does), writes its review with
`wp2zola review`, then opens it in headless Chromium, twice each, interleaved with the sample's own
review (13 items) as the reference: the time until the page's script has listed the first page, and
until one item's panes are shown. Prints seconds and the ratio to the reference (the browser's own
start is in both).

    .venv/bin/python bench/review.py [--items 10000] [--scratch DIR]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run as bench  # noqa: E402 - the generator of bench/run.py

WP2ZOLA = Path(sys.executable).with_name("wp2zola")


def browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("no Chromium: apt-get install chromium")


def opened(chromium: str, page: Path, fragment: str, marker: str) -> tuple[float, str]:
    """Seconds until the DOM, once the script has run, holds `marker`; and the DOM."""
    start = time.perf_counter()
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=30000", "--dump-dom",
         page.as_uri() + fragment],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if marker not in done.stdout:
        raise SystemExit(f"{page}{fragment}: {marker!r} not in the page after load: {done.stderr[-500:]}")
    return seconds, done.stdout


def review(export: Path, html: Path, work: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(WP2ZOLA), "review", str(export), "--out", str(work / "site"), "--html", str(html), "--jobs", "2"],
        check=True, capture_output=True, timeout=3600,
    )  # fmt: skip
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--scratch", type=Path)
    args = parser.parse_args()
    chromium = browser()
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="wp2zola-review-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    big = bench.generate(bench.SAMPLE, scratch / "big.xml", items=args.items)
    small_html, big_html = scratch / "sample.html", scratch / "big.html"
    review(bench.SAMPLE, small_html, scratch / "s")
    written = review(big.path, big_html, scratch / "b")
    times: dict[str, list[float]] = {"sample list": [], "big list": [], "sample item": [], "big item": []}
    first = {}  # the first item listed of each: the one opened
    for name, page in (("sample", small_html), ("big", big_html)):
        first[name] = re.search(r'data-n="(\d+)"', opened(chromium, page, "", 'data-ready="true"')[1]).group(1)
    for _ in range(2):  # interleaved
        times["sample list"].append(opened(chromium, small_html, "", 'data-ready="true"')[0])
        times["big list"].append(opened(chromium, big_html, "", 'data-ready="true"')[0])
        times["sample item"].append(opened(chromium, small_html, f"#item={first['sample']}", 'data-rendered="true"')[0])
        times["big item"].append(opened(chromium, big_html, f"#item={first['big']}", 'data-rendered="true"')[0])
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"review of {big.items:,} items written in {written:.1f} s: {big_html.stat().st_size / 1e6:.1f} MB")
    print("| page | sample (13 items) s | big s | big / sample |")
    print("|---|---:|---:|---:|")
    for what in ("list", "item"):
        a, b = med[f"sample {what}"], med[f"big {what}"]
        label = "first page listed" if what == "list" else "an item's panes shown"
        print(f"| {label} | {a:.2f} | {b:.2f} | {b / a:.2f} |")
    if not args.scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
