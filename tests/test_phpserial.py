"""Unit tests for the lenient PHP unserialize() reader (migrate.phpserial)."""

from __future__ import annotations

import math

import pytest

from migrate.wxr.phpserial import PhpSerialError, loads


def s(value: str) -> str:
    """PHP serialization of a string, with its correct byte length."""
    return f's:{len(value.encode("utf-8"))}:"{value}";'


# -- scalars ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("b:0;", False),
        ("b:1;", True),
        ("i:0;", 0),
        ("i:42;", 42),
        ("i:-42;", -42),
        ("d:3.5;", 3.5),
        ("d:-0.25;", -0.25),
        ("d:1.0E+25;", 1e25),
        ("d:1.5E-7;", 1.5e-7),
        ("N;", None),
        ('s:0:"";', ""),
        ('s:5:"hello";', "hello"),
        ('s:8:"a";b"c;d";', 'a";b"c;d'),  # delimiters inside a string of the right length
    ],
)
def test_scalars(text, expected):
    value = loads(text)
    assert value == expected
    assert type(value) is type(expected)


def test_special_floats():
    assert loads("d:INF;") == math.inf
    assert loads("d:-INF;") == -math.inf
    assert math.isnan(loads("d:NAN;"))


def test_bytes_input():
    assert loads(b'a:1:{s:1:"k";s:3:"\xe2\x82\xac";}') == {"k": "\u20ac"}


# -- strings: byte lengths -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["h\u00e9llo", "\u65e5\u672c\u8a9e", "\u20ac", "\U0001f600 ok", "\u041f\u0440\u0438\u0432\u0435\u0442"],
    ids=["latin", "cjk", "euro", "emoji", "cyrillic"],
)
def test_multibyte_strings_use_byte_lengths(value):
    text = s(value)
    assert text != f's:{len(value)}:"{value}";'  # the byte length differs from the character count
    assert loads(text) == value
    # and the position after it is right: the next element is read correctly
    assert loads(f"a:2:{{i:0;{text}i:1;{s('next')}}}") == {0: value, 1: "next"}


@pytest.mark.parametrize(
    "declared, value",
    [
        (24, "https://new.example/a.jpg"),  # domain replaced by a longer one, length not recounted
        (25, "http://ex.io/a.jpg"),  # replaced by a shorter one
        (5, "h\u00e9llo"),  # length counted in characters, not bytes
    ],
    ids=["longer", "shorter", "chars-not-bytes"],
)
def test_wrong_declared_length_is_still_parsed(declared, value):
    assert len(value.encode("utf-8")) != declared
    text = f'a:3:{{s:4:"file";s:{declared}:"{value}";s:5:"width";i:300;{s("after")}i:7;}}'
    assert loads(text) == {"file": value, "width": 300, "after": 7}


def test_wrong_declared_length_landing_on_a_later_string_end():
    # "http://ex.io/a.jpg" is 18 bytes; 30 = 18 + len('";s:5:"width'), so byte 30 is the '";' after "width"
    text = 'a:2:{s:4:"file";s:30:"http://ex.io/a.jpg";s:5:"width";i:300;}'
    assert loads(text) == {"file": "http://ex.io/a.jpg", "width": 300}


# -- arrays and objects ----------------------------------------------------------------------------


def test_list_array():
    assert loads('a:3:{i:0;s:1:"a";i:1;s:1:"b";i:2;i:3;}') == {0: "a", 1: "b", 2: 3}


def test_empty_array():
    assert loads("a:0:{}") == {}


def test_mixed_keys():
    assert loads('a:3:{s:1:"x";i:1;i:5;b:0;s:1:"7";N;}') == {"x": 1, 5: False, "7": None}


def test_nested_attachment_metadata():
    text = (
        "a:6:{"
        + s("width")
        + "i:2560;"
        + s("height")
        + "i:1707;"
        + s("file")
        + s("2020/05/photo-scaled.jpg")
        + s("sizes")
        + "a:2:{"
        + s("medium")
        + "a:4:{"
        + s("file")
        + s("photo-300x200.jpg")
        + s("width")
        + "i:300;"
        + s("height")
        + "i:200;"
        + s("mime-type")
        + s("image/jpeg")
        + "}"
        + s("thumbnail")
        + "a:4:{"
        + s("file")
        + s("photo-150x150.jpg")
        + s("width")
        + "i:150;"
        + s("height")
        + "i:150;"
        + s("mime-type")
        + s("image/jpeg")
        + "}"
        + "}"
        + s("image_meta")
        + "a:2:{"
        + s("caption")
        + s("Caf\u00e9 \u201cbar\u201d")
        + s("keywords")
        + "a:0:{}}"
        + s("original_image")
        + s("photo.jpg")
        + "}"
    )
    meta = loads(text)
    assert meta["width"] == 2560 and meta["height"] == 1707
    assert meta["file"] == "2020/05/photo-scaled.jpg"
    assert list(meta["sizes"]) == ["medium", "thumbnail"]
    assert meta["sizes"]["medium"] == {
        "file": "photo-300x200.jpg",
        "width": 300,
        "height": 200,
        "mime-type": "image/jpeg",
    }
    assert meta["sizes"]["thumbnail"]["width"] == 150
    assert meta["image_meta"] == {"caption": "Caf\u00e9 \u201cbar\u201d", "keywords": {}}
    assert meta["original_image"] == "photo.jpg"


def test_object_is_read_as_dict():
    assert loads('O:8:"stdClass":1:{s:1:"a";i:1;}') == {"a": 1}


def test_nested_objects_and_arrays():
    text = 'a:2:{i:0;O:8:"stdClass":2:{s:1:"a";N;s:1:"b";a:1:{i:0;d:0.5;}}i:1;O:3:"Foo":0:{}}'
    assert loads(text) == {0: {"a": None, "b": {0: 0.5}}, 1: {}}


# -- garbage ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "x:1;",
        "a:2:{i:0;",  # ends inside an array
        "a:1:{i:0;i:1;",  # missing closing brace
        "a:3:{i:0;i:1;}",  # fewer elements than declared
        's:3:"ab',  # unterminated string
        "i:1",  # missing ';'
        "b:",
        'O:3:"Foo',
        "{}",
    ],
)
def test_garbage_raises_php_serial_error(text):
    with pytest.raises(PhpSerialError):
        loads(text)


@pytest.mark.parametrize("text", ["i:abc;", "i:;", "d:abc;", 's:x:"a";', "a:x:{}", 'O:8:"stdClass":x:{}'])
def test_malformed_numbers_raise_php_serial_error(text):
    with pytest.raises(PhpSerialError):
        loads(text)


@pytest.mark.parametrize("text", ["a:1:{a:0:{}i:1;}", 'a:1:{O:8:"stdClass":0:{}i:1;}'])
def test_container_as_key_raises_php_serial_error(text):
    with pytest.raises(PhpSerialError):
        loads(text)


def test_deep_nesting_raises_php_serial_error():
    with pytest.raises(PhpSerialError):
        loads("a:1:{i:0;" * 5000)
