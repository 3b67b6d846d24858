"""The review as one self-contained HTML file: styles and script inline, nothing fetched.

A summary on top, then every item (worst first) in pages of 50, with filters by flag and outcome and
a search. An item opens into WordPress's rendering beside Zola's, each in a sandboxed frame (no
script runs there, and the page's Content-Security-Policy lets nothing load, not even an image),
with the measures, the structure differences and the Markdown. Each item's panes are kept in the
file gzipped and base64-encoded, and decoded only when it is opened, so that a site of 10,000 items
stays a file a browser opens in a moment. The state lives in the address's `#…` (`#flag=words&item=12`),
so a view can be linked, and opened as it was.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
from collections import Counter
from collections.abc import Iterable

from migrate.review.items import FLAGS, Reviewed

PAGE_SIZE = 50

_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
    "frame-src about: data:; child-src about: data:"
)

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
header { padding: 1rem 1.5rem; background: #fff; border-bottom: 1px solid #ddd; }
h1 { font-size: 1.3rem; margin: 0 0 .4rem; }
.summary { display: flex; flex-wrap: wrap; gap: .4rem 1.4rem; margin: .4rem 0; }
.summary b { font-variant-numeric: tabular-nums; }
.filters { display: flex; flex-wrap: wrap; gap: .35rem; align-items: center; margin-top: .6rem; }
.filters button { border: 1px solid #bbb; background: #fff; border-radius: 1rem; padding: .15rem .7rem; cursor: pointer; }
.filters button[aria-pressed="true"] { background: #1d4ed8; border-color: #1d4ed8; color: #fff; }
.filters input { padding: .2rem .5rem; border: 1px solid #bbb; border-radius: .3rem; min-width: 14rem; }
main { padding: 1rem 1.5rem; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eee; vertical-align: top; }
tr.item { cursor: pointer; }
tr.item:hover, tr.item.open { background: #eef3ff; }
.flag { display: inline-block; font-size: .75rem; padding: 0 .45rem; margin: 0 .2rem .1rem 0; border-radius: .6rem; background: #fde68a; }
.flag.failed, .flag.words { background: #fca5a5; }
.outcome-skipped { color: #777; }
.pager { margin: .8rem 0; display: flex; gap: .6rem; align-items: center; }
.detail { background: #fff; border: 1px solid #ccd; border-radius: .4rem; margin: .6rem 0 1.2rem; padding: .8rem; }
.panes { display: grid; grid-template-columns: 1fr 1fr; gap: .8rem; }
.panes h3 { font-size: .95rem; margin: 0 0 .3rem; }
.panes iframe { width: 100%; height: 28rem; border: 1px solid #ccc; background: #fff; }
pre.markdown { white-space: pre-wrap; background: #f4f4f5; padding: .6rem; max-height: 24rem; overflow: auto; }
dl.measures { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .5rem 0; }
dl.measures dt { color: #555; }
"""

_SCRIPT = r"""
(function () {
  "use strict";
  var rows = JSON.parse(document.getElementById("rows").textContent);
  var PAGE = %(page)d;
  var state = {flag: "", outcome: "", q: "", page: 0, item: ""};

  function readHash() {
    var h = new URLSearchParams(location.hash.slice(1));
    state.flag = h.get("flag") || ""; state.outcome = h.get("outcome") || "";
    state.q = h.get("q") || ""; state.page = parseInt(h.get("page") || "0", 10) || 0;
    state.item = h.get("item") || "";
  }
  function writeHash() {
    var h = new URLSearchParams();
    ["flag", "outcome", "q", "item"].forEach(function (k) { if (state[k]) h.set(k, state[k]); });
    if (state.page) h.set("page", String(state.page));
    history.replaceState(null, "", "#" + h.toString());
  }
  function shown() {
    var q = state.q.toLowerCase();
    return rows.filter(function (r) {
      if (state.flag && r.flags.indexOf(state.flag) < 0) return false;
      if (state.outcome && r.outcome !== state.outcome) return false;
      if (q && (r.title + " " + r.path + " " + r.old).toLowerCase().indexOf(q) < 0) return false;
      return true;
    });
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function render() {
    document.querySelectorAll(".filters button[data-flag]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.flag === state.flag));
    });
    document.querySelectorAll(".filters button[data-outcome]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.outcome === state.outcome));
    });
    var list = shown(), pages = Math.max(1, Math.ceil(list.length / PAGE));
    if (state.item) {  // an item asked for by the address: its page, wherever the filters put it
      var at = list.findIndex(function (r) { return String(r.n) === state.item; });
      if (at >= 0) state.page = Math.floor(at / PAGE);
    }
    if (state.page >= pages) state.page = pages - 1;
    var body = document.getElementById("items");
    body.textContent = "";
    list.slice(state.page * PAGE, (state.page + 1) * PAGE).forEach(function (r) {
      var tr = el("tr", {"class": "item outcome-" + r.outcome, "data-n": String(r.n), "id": "item-" + r.n});
      var title = el("td");
      title.appendChild(el("span", {}, r.title || "(no title)"));
      if (r.url) { title.appendChild(document.createTextNode(" ")); title.appendChild(el("a", {href: r.url, "class": "new-url"}, r.path)); }
      tr.appendChild(el("td", {}, r.id === null ? "" : String(r.id)));
      tr.appendChild(title);
      tr.appendChild(el("td", {}, r.type));
      tr.appendChild(el("td", {}, r.outcome + (r.reason ? ": " + r.reason : "")));
      var flags = el("td");
      r.flags.forEach(function (f) { flags.appendChild(el("span", {"class": "flag " + f}, f)); });
      tr.appendChild(flags);
      tr.appendChild(el("td", {}, r.ratio === null ? "" : (100 * r.ratio).toFixed(1) + "%%"));
      tr.addEventListener("click", function (ev) { if (ev.target.tagName !== "A") toggle(String(r.n)); });
      body.appendChild(tr);
    });
    document.getElementById("count").textContent = list.length + " of " + rows.length + " items";
    document.getElementById("pageno").textContent = "page " + (state.page + 1) + " of " + pages;
    document.getElementById("prev").disabled = state.page === 0;
    document.getElementById("next").disabled = state.page >= pages - 1;
    if (state.item) open(state.item);
    writeHash();
  }
  function toggle(n) {
    if (state.item === n) { state.item = ""; var d = document.querySelector("tr.detail-row"); if (d) d.remove(); render(); }
    else { state.item = n; render(); }
  }
  function decode(n) {
    var blob = document.getElementById("p" + n);
    var bytes = Uint8Array.from(atob(blob.textContent.trim()), function (c) { return c.charCodeAt(0); });
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }
  function frame(title, doc) {
    var box = el("div");
    box.appendChild(el("h3", {}, title));
    var f = el("iframe", {sandbox: "", title: title, referrerpolicy: "no-referrer"});
    f.srcdoc = '<!DOCTYPE html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:"><style>body{font:15px/1.5 Georgia,serif;margin:.6rem}img{max-width:100%%}</style>' + doc;
    box.appendChild(f);
    return box;
  }
  function open(n) {
    var tr = document.getElementById("item-" + n);
    document.querySelectorAll("tr.detail-row").forEach(function (d) { d.remove(); });
    document.querySelectorAll("tr.item.open").forEach(function (t) { t.classList.remove("open"); });
    if (!tr) return;
    tr.classList.add("open");
    var row = el("tr", {"class": "detail-row"}), cell = el("td", {colspan: "6"}), box = el("div", {"class": "detail", id: "detail"});
    cell.appendChild(box); row.appendChild(cell); tr.after(row);
    if (!document.getElementById("p" + n)) { box.appendChild(el("p", {}, "Not converted: nothing to compare.")); return; }
    box.appendChild(el("p", {}, "Opening…"));
    decode(n).then(function (d) {
      box.textContent = "";
      var dl = el("dl", {"class": "measures"});
      Object.keys(d.measures).forEach(function (k) { dl.appendChild(el("dt", {}, k)); dl.appendChild(el("dd", {}, JSON.stringify(d.measures[k]))); });
      box.appendChild(dl);
      if (d.differences.length) {
        var ul = el("ul", {"class": "differences"});
        d.differences.forEach(function (x) { ul.appendChild(el("li", {}, x)); });
        box.appendChild(ul);
      }
      var panes = el("div", {"class": "panes"});
      panes.appendChild(frame("WordPress showed", d.wordpress));
      panes.appendChild(frame("Zola will show", d.zola));
      box.appendChild(panes);
      box.appendChild(el("h3", {}, "Markdown"));
      box.appendChild(el("pre", {"class": "markdown"}, d.markdown));
      box.setAttribute("data-rendered", "true");
    });
  }
  document.querySelectorAll(".filters button[data-flag]").forEach(function (b) {
    b.addEventListener("click", function () { state.flag = state.flag === b.dataset.flag ? "" : b.dataset.flag; state.page = 0; state.item = ""; render(); });
  });
  document.querySelectorAll(".filters button[data-outcome]").forEach(function (b) {
    b.addEventListener("click", function () { state.outcome = state.outcome === b.dataset.outcome ? "" : b.dataset.outcome; state.page = 0; state.item = ""; render(); });
  });
  document.getElementById("search").addEventListener("input", function (e) { state.q = e.target.value; state.page = 0; render(); });
  document.getElementById("prev").addEventListener("click", function () { state.page -= 1; state.item = ""; render(); });
  document.getElementById("next").addEventListener("click", function () { state.page += 1; state.item = ""; render(); });
  readHash();
  document.getElementById("search").value = state.q;
  render();
  document.body.setAttribute("data-ready", "true");
})();
"""


def _pack(item: Reviewed) -> str:
    data = {
        "wordpress": item.wordpress_html,
        "zola": item.zola_html,
        "markdown": item.markdown,
        "measures": item.measures,
        "differences": item.differences,
    }
    raw = json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return base64.b64encode(gzip.compress(raw, mtime=0)).decode("ascii")


def _script_json(value: object) -> str:
    """JSON that cannot end the <script> it sits in."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")  # no `</script>`, no `<!--`


def review_html(site_title: str, base_url: str, items: Iterable[Reviewed]) -> str:
    """The whole report. Items are shown worst first (ties in export order)."""
    ordered = sorted(enumerate(items), key=lambda pair: (-pair[1].badness, pair[0]))
    rows, blobs = [], []
    outcomes: Counter[str] = Counter()
    flags: Counter[str] = Counter()
    words = [0, 0]
    for n, item in ordered:
        outcomes[item.outcome] += 1
        flags.update(item.flags)
        ratio = item.measures.get("stored_ratio") if item.measures else None
        if item.measures:
            words[0] += item.measures["stored_words"]
            words[1] += item.measures["stored_kept"]
        rows.append(
            {
                "n": n,
                "id": item.id,
                "title": item.title,
                "type": item.type,
                "outcome": item.outcome,
                "reason": item.reason if item.outcome != "written" else "",
                "path": item.new_path,
                "url": base_url.rstrip("/") + item.new_path if item.new_path and item.outcome == "written" else "",
                "old": item.old_url,
                "flags": item.flags,
                "ratio": ratio,
            }
        )
        if item.converted:
            blobs.append(f'<script type="application/x-wp2zola-item" id="p{n}">{_pack(item)}</script>')
    esc = html.escape
    kept = f"{100 * words[1] / words[0]:.1f}%" if words[0] else "—"
    summary = [
        f"<span>items <b>{len(rows)}</b></span>",
        *(f"<span>{esc(k)} <b>{v}</b></span>" for k, v in sorted(outcomes.items())),
        f"<span>stored words shown <b>{kept}</b></span>",
        f"<span>flagged <b>{sum(1 for r in rows if r['flags'])}</b></span>",
    ]
    flag_buttons = "".join(
        f'<button type="button" data-flag="{esc(key)}" aria-pressed="false" title="{esc(label)}">'
        f"{esc(label)} ({flags[key]})</button>"
        for key, label in FLAGS.items()
        if flags[key]
    )
    outcome_buttons = "".join(
        f'<button type="button" data-outcome="{esc(k)}" aria-pressed="false">{esc(k)} ({v})</button>'
        for k, v in sorted(outcomes.items())
    )
    title = f"wp2zola review: {site_title}" if site_title else "wp2zola review"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{esc(title)}</title>'
        f"<style>{_STYLE}</style></head>\n<body>\n<header><h1>{esc(title)}</h1>"
        f'<div class="summary" id="summary">{"".join(summary)}</div>'
        f'<div class="filters">{flag_buttons}<span>|</span>{outcome_buttons}'
        '<input id="search" type="search" placeholder="search titles and URLs" aria-label="search"></div>'
        "</header>\n<main>"
        '<div class="pager"><button type="button" id="prev">previous</button><span id="pageno"></span>'
        '<button type="button" id="next">next</button><span id="count"></span></div>'
        "<table><thead><tr><th>id</th><th>title and new URL</th><th>type</th><th>outcome</th><th>flags</th>"
        '<th>stored words shown</th></tr></thead><tbody id="items"></tbody></table></main>\n'
        f'<script type="application/json" id="rows">{_script_json(rows)}</script>\n'
        + "\n".join(blobs)
        + f"\n<script>{_SCRIPT % {'page': PAGE_SIZE}}</script>\n</body></html>\n"
    )
