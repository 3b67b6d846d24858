"""The block editor's serialization format: a parser with the behaviour of WordPress's
`WP_Block_Parser` (`parse_blocks`), as pure functions (wordpress.md §5.1, §5.3).

Grammar. A delimiter is an HTML comment:

    <!-- wp:NAME {JSON} -->     opener
    <!-- /wp:NAME -->           closer
    <!-- wp:NAME {JSON} /-->    void (self-closing) block

`<!--` must be followed by whitespace, the name by whitespace, the JSON (optional) by whitespace;
the void `/` sits right before `-->`. Whitespace is ASCII whitespace (PHP matches bytes), so
`<!-- wp:paragraph-->` is not a delimiter and stays text. NAME is `[a-z][a-z0-9_-]*` with an
optional `namespace/` of the same shape; without one the namespace is `core/`. The JSON must be an
object; WordPress gives null attributes for invalid JSON — here `attrs` is {} and
`attrs_invalid` is True. The JSON part ends at the first `}` that is followed by whitespace and
`-->` or `/-->` (WordPress's serializer escapes `--`, `<`, `>`, `&` and quotes as \\u escapes, so
real content never trips over that).

Tree. Text outside any block at the top level becomes a freeform block (name None) — whitespace
between blocks included, as WordPress's `parse_blocks` keeps it. Inside a block, text becomes
`inner_html`; `inner_content` is the same text cut where each inner block sits (None there).
A closer closes the innermost open block whatever name it carries. A closer with no block open
makes the rest of the document, delimiters and all, one freeform block. Blocks left open at the
end are closed there, each inside its parent (as Gutenberg's JavaScript parser does since 24.1;
WordPress's PHP parser instead emitted open inner blocks at the top level, so their text came out
twice).

PHP quirks not copied: a chunk of text that is exactly "0" is kept (PHP's `empty("0")` dropped it).

Legacy block names are left as written; `normalize_name` renames them like the editor does when it
loads a post (`for b in walk(blocks): b.name, b.attrs = normalize_name(b.name, b.attrs)`).

Written from the behaviour of WordPress and Gutenberg (GPL); no code is copied.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

__all__ = ["Block", "has_blocks", "normalize_name", "parse_blocks", "walk"]


@dataclass
class Block:
    name: str | None  # "core/paragraph"; None for freeform (classic) HTML
    attrs: dict  # decoded JSON; {} when none or invalid
    inner_blocks: list[Block] = field(default_factory=list)
    inner_html: str = ""  # the block's own HTML without its children
    inner_content: list[str | None] = field(default_factory=list)  # HTML chunks, None where each inner block sits
    attrs_invalid: bool = False  # the comment had JSON that does not decode (WordPress: attrs null)


# One delimiter. The attribute part swallows anything up to a `}` that is followed by whitespace
# and `-->` or `/-->`; possessive so a broken comment fails fast.
_HEAD = r"<!--\s+(?P<closer>/)?wp:(?P<namespace>[a-z][a-z0-9_-]*/)?(?P<name>[a-z][a-z0-9_-]*)\s+"
_ATTRS = r"(?P<attrs>\{(?:(?:[^}]+|\}+(?=\})|(?!\}\s+/?-->).)*+)?\}\s+)?"
_TAIL = r"(?P<void>/)?-->"
_TOKEN = re.compile(_HEAD + _ATTRS + _TAIL, re.ASCII | re.DOTALL)
# Where no `}` + whitespace + `-->` is left, no attribute part can match: the same regex without
# it, so a document full of broken `{` comments is not scanned to its end once per comment.
_TOKEN_NO_ATTRS = re.compile(_HEAD + r"(?P<attrs>(?!))?" + _TAIL, re.ASCII | re.DOTALL)
_ATTRS_END = re.compile(r"\}\s+/?-->", re.ASCII)
_JSON_MAX_DEPTH = 512  # PHP json_decode's default nesting limit


def has_blocks(text: str) -> bool:
    """WordPress's `has_blocks`: the text contains `<!-- wp:`."""
    return "<!-- wp:" in text


def walk(blocks: Iterable[Block]) -> Iterator[Block]:
    """Every block, depth first, each before its inner blocks, in document order."""
    stack = list(reversed(list(blocks)))
    while stack:
        block = stack.pop()
        yield block
        stack.extend(reversed(block.inner_blocks))


def _reject_constant(name: str) -> None:
    raise ValueError(f"not JSON: {name}")


def _decode_attrs(raw: str) -> tuple[dict, bool]:
    """The decoded JSON object and whether it was invalid, judged like PHP's json_decode: no
    NaN/Infinity, no unpaired UTF-16 surrogate, at most 512 levels of nesting."""
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return {}, True
    if not isinstance(value, dict):
        return {}, True
    todo: list[tuple[object, int]] = [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, dict):
            if depth > _JSON_MAX_DEPTH:
                return {}, True
            for key, sub in item.items():
                todo.append((key, depth))
                todo.append((sub, depth + 1))
        elif isinstance(item, list):
            if depth > _JSON_MAX_DEPTH:
                return {}, True
            todo.extend((sub, depth + 1) for sub in item)
        elif isinstance(item, str) and any("\ud800" <= ch <= "\udfff" for ch in item):
            return {}, True
    return value, False


@dataclass
class _Frame:
    block: Block
    token_start: int
    token_length: int
    prev_offset: int  # where the block's not-yet-collected HTML starts
    leading_html_start: int | None  # text before the opener, if any (used at the top level)


def _freeform(html: str) -> Block:
    return Block(None, {}, [], html, [html])


def parse_blocks(text: str) -> list[Block]:
    """The blocks of a post, as WordPress's `parse_blocks` finds them (see the module docstring)."""
    output: list[Block] = []
    stack: list[_Frame] = []
    offset = 0

    def add_inner_block(block: Block, token_start: int, token_length: int, last_offset: int | None = None) -> None:
        parent = stack[-1]
        parent.block.inner_blocks.append(block)
        html = text[parent.prev_offset : token_start]
        if html:
            parent.block.inner_html += html
            parent.block.inner_content.append(html)
        parent.block.inner_content.append(None)
        parent.prev_offset = last_offset if last_offset is not None else token_start + token_length

    def add_block_from_stack(end_offset: int) -> None:
        top = stack.pop()
        html = text[top.prev_offset : end_offset]
        if html:
            top.block.inner_html += html
            top.block.inner_content.append(html)
        if top.leading_html_start is not None:
            output.append(_freeform(text[top.leading_html_start : top.token_start]))
        output.append(top.block)

    attrs_end: int | None = -1  # start of the next `}` + whitespace + `-->` at or after offset; None: none left
    while True:
        if attrs_end is not None and attrs_end < offset:
            found = _ATTRS_END.search(text, offset)
            attrs_end = found.start() if found else None
        m = (_TOKEN if attrs_end is not None else _TOKEN_NO_ATTRS).search(text, offset)
        if m is None:
            if not stack:
                if offset < len(text):
                    output.append(_freeform(text[offset:]))
            else:
                _close_all(text, stack, output)
            return output

        start, token_length = m.start(), m.end() - m.start()
        leading_html_start = offset if start > offset else None
        name = (m.group("namespace") or "core/") + m.group("name")
        if m.group("attrs") is not None:
            attrs, invalid = _decode_attrs(m.group("attrs"))
        else:
            attrs, invalid = {}, False

        if m.group("void"):  # `/-->` wins, even on a closer (`<!-- /wp:x /-->` is a void block)
            block = Block(name, attrs, [], "", [], invalid)
            if not stack:
                if leading_html_start is not None:
                    output.append(_freeform(text[leading_html_start:start]))
                output.append(block)
            else:
                add_inner_block(block, start, token_length)
            offset = start + token_length
        elif not m.group("closer"):
            block = Block(name, attrs, [], "", [], invalid)
            stack.append(_Frame(block, start, token_length, start + token_length, leading_html_start))
            offset = start + token_length
        elif not stack:  # a closer with nothing open: the rest is freeform, delimiters and all
            output.append(_freeform(text[offset:]))
            return output
        elif len(stack) == 1:
            add_block_from_stack(start)
            offset = start + token_length
        else:  # close the innermost block (whatever the closer's name) into its parent
            top = stack.pop()
            html = text[top.prev_offset : start]
            top.block.inner_html += html
            top.block.inner_content.append(html)
            top.prev_offset = start + token_length
            add_inner_block(top.block, top.token_start, top.token_length, start + token_length)
            offset = start + token_length


def _close_all(text: str, stack: list[_Frame], output: list[Block]) -> None:
    """The end came with blocks still open: close each inside its parent."""
    child: _Frame | None = None
    while stack:
        top = stack.pop()
        end = child.token_start if child is not None else len(text)
        html = text[top.prev_offset : end]
        if html:
            top.block.inner_html += html
            top.block.inner_content.append(html)
        if child is not None:
            top.block.inner_blocks.append(child.block)
            top.block.inner_content.append(None)
        child = top
    assert child is not None
    if child.leading_html_start is not None:
        output.append(_freeform(text[child.leading_html_start : child.token_start]))
    output.append(child.block)


# -- legacy names -------------------------------------------------------------------------------------

_EMBED_SLUG_RENAMES = {"speaker": "speaker-deck", "polldaddy": "crowdsignal"}
_EMBEDS_NOT_RESPONSIVE = {"amazon-kindle", "wordpress"}
_RENAMES = {
    "core/cover-image": "core/cover",
    "core/text": "core/paragraph",
    "core/cover-text": "core/paragraph",
    "core/post-comment-author": "core/comment-author-name",
    "core/post-comment-content": "core/comment-content",
    "core/post-comment-date": "core/comment-date",
}


def normalize_name(name: str | None, attrs: dict | None) -> tuple[str | None, dict]:
    """A legacy block name and its attributes in today's form, as the editor converts them when it
    loads a post (Gutenberg `convertLegacyBlockNameAndAttributes`). Returns a new dict.

    core/cover-image → core/cover; core/text, core/cover-text → core/paragraph;
    core/social-link-X → core/social-link {service: X}; core-embed/X → core/embed
    {providerNameSlug: X (speaker → speaker-deck, polldaddy → crowdsignal), responsive: true except
    for amazon-kindle and wordpress}; old comment blocks → core/comment-*, core/comments."""
    attrs = dict(attrs or {})
    if name is None:
        return None, attrs
    name = _RENAMES.get(name, name)
    if name.startswith("core/social-link-"):
        attrs["service"] = name[len("core/social-link-") :]
        name = "core/social-link"
    if name.startswith("core-embed/"):
        provider = name[len("core-embed/") :]
        attrs["providerNameSlug"] = _EMBED_SLUG_RENAMES.get(provider, provider)
        if provider not in _EMBEDS_NOT_RESPONSIVE:
            attrs["responsive"] = True
        name = "core/embed"
    if name == "core/comments-query-loop":
        name = "core/comments"
        class_name = attrs.get("className") or ""
        if not isinstance(class_name, str):
            class_name = ""
        if "wp-block-comments-query-loop" not in class_name:
            attrs["className"] = f"wp-block-comments-query-loop {class_name}"
    elif name == "core/post-comments":
        name = "core/comments"
        attrs["legacy"] = True
    return name, attrs
