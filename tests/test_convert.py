"""The first body conversion: its contract (portable, stable, tidy) on examples and on any input."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from migrate.convert import autop, portable, to_markdown


def test_wpautop_paragraphs_and_line_breaks():
    assert autop("One\ntwo\n\nThree") == "<p>One<br />\ntwo</p>\n\n<p>Three</p>"
    assert autop("<pre>a\n\nb</pre>") == "<pre>a\n\nb</pre>"


def test_classic_content_keeps_paragraphs_and_markup():
    md = to_markdown('First <strong>bold</strong> line\nsecond line\n\nA <a href="https://x.org/">link</a>.')
    assert md == "First **bold** line  \nsecond line\n\nA [link](https://x.org/).\n"


def test_more_marker_alone_on_its_line():
    md = to_markdown("<p>Intro</p><!--more Read on--><p>Rest</p>")
    assert md == "Intro\n\n<!-- more -->\n\nRest\n"


def test_code_with_template_syntax_becomes_html_code():
    md = to_markdown('<pre><code>{% if a %}\n{{ b }}\n{% endif %}</code></pre><p>Use <code>{{ x }}</code> or {{ y }}.</p>')
    assert "<pre><code>&#123;% if a %}\n&#123;{ b }}\n&#123;% endif %}\n</code></pre>" in md
    assert "<code>&#123;{ x }}</code>" in md and "&#123;{ y }}" in md


def test_portable_leaves_other_braces_alone():
    assert portable("a { b } {c} `{ x }`") == "a { b } {c} `{ x }`"
    assert portable("{{{") == "&#123;&#123;{"


html_text = st.lists(st.sampled_from(list("ab {}%<>/&;#`*_[]()!\n") + ["<p>", "</p>", "<pre>", "</pre>", "<code>",
                     "</code>", "{{", "{%", "<!--more-->", "<ul><li>", "</li></ul>", "&#123;", "```"]), max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(html_text)
def test_any_html_converts_portably_and_stably(content):
    md = to_markdown(content)
    assert "{{" not in md and "{%" not in md
    assert md == "" or (md.endswith("\n") and not md.endswith("\n\n"))
    assert "\r" not in md
    assert to_markdown(content) == md
