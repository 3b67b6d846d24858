"""The run store keeps on disk what a run knows about every item (issue 9: memory that does not grow
with the site). Its tables must behave as the dicts and lists they replace, in any order of use."""

from __future__ import annotations

import copy
import gc
import os
import pickle
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.store import RunStore, StoreError, tuple_state
from migrate.wxr.model import Item, ItemTerm, Source
from migrate.zola.redirects import FILE, PATH, QUERY, Redirect, redirect_files


class Owner:
    """What a store goes with (a plan, a site context)."""


keys = st.one_of(
    st.integers(-5, 5),
    st.text(max_size=3),
    st.tuples(st.text(max_size=2), st.integers(0, 3)),
    st.builds(Source, st.sampled_from(["a.xml", "b.xml"]), st.integers(1, 3)),
)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("set"), keys, st.integers()),
        st.tuples(st.just("del"), keys, st.none()),
        st.tuples(st.just("setdefault"), keys, st.integers()),
        st.tuples(st.just("keep_first"), keys, st.integers()),
        st.tuples(st.just("flush"), keys, st.none()),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(ops)
def test_a_table_is_a_dict_in_insertion_order(steps):
    owner = Owner()
    table = RunStore(owner).table()
    model: dict = {}
    for op, key, value in steps:
        if op == "set":
            table[key] = model[key] = value
        elif op == "setdefault":
            assert table.setdefault(key, value) == model.setdefault(key, value)
        elif op == "keep_first":
            table.keep_first(key, value)
            model.setdefault(key, value)
        elif op == "flush":
            table.flush()  # what waits in the buffer goes to SQLite (a full buffer does the same)
        elif key in model:
            del table[key], model[key]
        else:
            with pytest.raises(KeyError):
                del table[key]
        assert (key in table) == (key in model)
        if key in model:
            assert table[key] == model[key]
    assert list(table.items()) == list(model.items())
    assert list(table.values()) == list(model.values())
    assert len(table) == len(model) and list(table) == list(model)
    if all(isinstance(k, str) for k in model):  # the order of sorted() (SQLite sorts UTF-8 by code point)
        assert list(table.sorted_items()) == sorted(model.items())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(), max_size=30))
def test_string_keys_come_sorted_as_python_sorts_them(words):
    table = RunStore(Owner()).table()
    for w in words:
        table[w] = len(w)
    assert [k for k, _ in table.sorted_items()] == sorted(set(words))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-(2**63), 2**63 - 1) | st.integers(-5, 5), max_size=30))
def test_int_keys_come_sorted_by_value(numbers):
    """Attachment ids: read in id order from disk (their reprs would sort 10 before 9)."""
    table = RunStore(Owner()).table()
    for n in numbers:
        table[n] = str(n)
    assert list(table.sorted_items()) == sorted((n, str(n)) for n in set(numbers))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(keys, st.integers()), max_size=40), st.integers(1, 5))
def test_groups_are_a_dict_of_lists(pairs, batch):
    """A key's values in the order they were added, across the batches SQLite is written in."""
    import migrate.store as store

    saved, store._BATCH = store._BATCH, batch
    try:
        groups = RunStore(Owner()).groups()
        model: dict = {}
        for key, value in pairs:
            groups.add(key, value)
            model.setdefault(key, []).append(value)
        for key, _ in pairs:
            assert groups[key] == model[key]
        assert groups["never filed"] == []
    finally:
        store._BATCH = saved


def test_equal_keys_made_apart_find_one_entry():
    """Keys are found by value: a Source read back from the store, or built again, is the same key."""
    table = RunStore(Owner()).table()
    label = "site.xml"
    table[Source(label, 3, 1)] = "placed"
    table[(label, label)] = "pair"  # a pickle would write the second as a reference to the first
    assert table[Source("site" + ".xml", 3, 1)] == "placed"
    assert table[("site.xml", "".join(["site", ".xml"]))] == "pair"
    assert len(table) == 2


def test_keys_must_be_values_with_a_stable_repr():
    with pytest.raises(TypeError, match="run store key"):
        RunStore(Owner()).table()[object()] = 1


@dataclass
class Box:
    n: int


def test_values_read_are_copies_stored_again_to_change():
    table = RunStore(Owner()).table()
    for n in range(5000):  # past a batch: some in SQLite, some still buffered
        table[n] = Box(n)
    box = table[7]
    box.n = -1
    assert table[7].n == 7
    table[7] = box
    assert table[7].n == -1


def test_rows_are_a_list_that_grows():
    rows = RunStore(Owner()).rows()
    assert not rows and len(rows) == 0
    for n in range(5000):
        assert rows.append(("item", n)) == n
    assert rows and len(rows) == 5000
    assert rows[0] == ("item", 0) and rows[4999] == ("item", 4999)
    rows[10] = ("changed", 10)
    assert list(rows)[10] == ("changed", 10)
    with pytest.raises(IndexError):
        rows[5000]
    assert rows[-1] == ("item", 4999) and rows[4997:] == [("item", 4997), ("item", 4998), ("item", 4999)]
    assert rows[8:12:2] == [("item", 8), ("changed", 10)] and rows[6000:] == []
    assert rows == [("item", n) if n != 10 else ("changed", 10) for n in range(5000)] and rows != []
    assert RunStore(Owner()).rows() == []
    seen = 0
    for _ in rows:  # what is added during a walk comes after it
        seen += 1
        if seen == 1:
            rows.append(("late", 0))
    assert seen == 5000 and len(rows) == 5001


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_forked_worker_reads_what_was_stored_before_the_fork(tmp_path):
    owner = Owner()
    store = RunStore(owner)
    table, rows = store.table(), store.rows()
    for n in range(3000):
        table[("k", n)] = n * 2
        rows.append(n)
    store.flush()
    out = tmp_path / "child"
    pid = os.fork()
    if pid == 0:
        try:
            out.write_text(f"{table[('k', 2999)]} {sum(rows)} {len(table)}")
            table[("k", 0)] = 1
            table.flush()
        except RuntimeError as err:  # only the run writes
            with out.open("a") as fh:
                fh.write(f" {err}")
        finally:
            del owner, store, table, rows
            gc.collect()  # the child's copy of the owner goes: the parent's store stays
            os._exit(0)
    os.waitpid(pid, 0)
    assert out.read_text() == f"5998 {sum(range(3000))} 3000 only the process that made a run store writes to it"
    assert table[("k", 0)] == 0 and os.path.exists(store.path)


def test_a_store_never_written_to_makes_no_file():
    """A site context made by hand (a renderer's) has a store it may never use: no file, and nothing
    left to clean up when the context goes."""
    store = RunStore(Owner())
    table, rows = store.table(), store.rows()
    assert len(table) == 0 and list(table.items()) == [] and 1 not in table and table.get(1) is None
    assert len(rows) == 0 and list(rows) == []
    assert store.path == ""


def test_the_store_goes_with_its_owner():
    owner = Owner()
    store = RunStore(owner)
    store.table()[1] = "x"
    path = store.path
    del owner
    gc.collect()
    assert not any(os.path.exists(path + end) for end in ("", "-wal", "-shm"))


def test_a_store_in_a_given_folder_leaves_it_to_its_maker(tmp_path):
    owner = Owner()
    store = RunStore(owner, str(tmp_path))
    rows = store.rows()
    rows.append(1)
    store.flush()
    store.close()
    assert Path(store.path).parent == tmp_path and Path(store.path).exists()


def test_a_folder_where_no_store_can_be_made_is_one_line_that_names_it(tmp_path):
    missing = tmp_path / "gone"
    store = RunStore(Owner(), str(missing))  # made at its first write
    rows = store.rows()
    rows.append(1)
    with pytest.raises(StoreError) as caught:
        rows.flush()
    message = str(caught.value)
    assert str(missing) in message and "\n" not in message and "nothing was written to the site" in message


paths = st.sampled_from(["/", "/a/", "/A/", "/a/b/", "/é/", "/e\u0301/", "/x.html", "/x.html/y/", "/p/1/", "/b/"])
redirects = st.lists(
    st.one_of(
        st.builds(Redirect, st.sampled_from([PATH, FILE]), paths, paths),
        st.builds(Redirect, st.just(QUERY), st.sampled_from(["p=1", "p=2", "page_id=3", "attachment_id=x"]), paths),
    ),
    max_size=12,
)


@settings(max_examples=100, deadline=None)
@given(redirects, st.lists(paths, max_size=5))
def test_redirect_files_are_the_same_from_the_store_as_from_dicts(moves, generated):
    """The redirect maps and pages keep their tables in the run store: the same files, byte for byte."""

    def files(table):
        return [(f, b"".join(pieces)) for f, pieces in redirect_files(moves, iter(generated), "/", table)]

    assert files(RunStore(Owner()).table) == files(dict)


def test_a_store_whose_owner_is_gone_before_its_first_write_leaves_no_file():
    store = RunStore(Owner())  # the owner is gone at once
    rows = store.rows()
    rows.append(1)
    rows.flush()
    path = store.path
    assert os.path.exists(path)
    del rows, store
    gc.collect()
    assert not any(os.path.exists(path + end) for end in ("", "-wal", "-shm"))


@tuple_state
@dataclass(frozen=True, slots=True)
class One:
    a: int


@tuple_state
@dataclass(slots=True)
class Two:
    a: int
    b: list[str] = field(default_factory=list)


def test_tuple_state_pickles_and_copies_slots_dataclasses_as_they_were():
    item = Item(Source("a.xml", 3), id=7, title="T", terms=[ItemTerm("category", "news", "News")], meta=[("k", "v")])
    for value in (One(1), Two(2, ["x"]), item, Source("b.xml", 1, 2, 3)):
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            assert pickle.loads(pickle.dumps(value, protocol)) == value
        assert copy.copy(value) == value and copy.deepcopy(value) == value
    assert replace(item, title="U").title == "U"
    assert pickle.dumps(item) == pickle.dumps(pickle.loads(pickle.dumps(item)))  # the same on a re-read
    with pytest.raises(TypeError):  # a field __init__ does not take could not be given back
        tuple_state(dataclass(slots=True)(type("Three", (), {"__annotations__": {"a": "int"}, "a": field(init=False)})))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(st.integers(-3, 70_000), st.integers(2**24 - 2, 2**24 + 2), st.integers(-(2**70), 2**70))),
    st.lists(st.one_of(st.integers(-3, 70_000), st.integers(2**24 - 2, 2**24 + 2), st.integers(-(2**70), 2**70))),
)
def test_an_id_set_is_a_set_of_ints(added, asked):
    """Small ids (bits), huge and negative ones (the table) and what is not an int, as a set says."""
    owner = Owner()
    ids = RunStore(owner).ids()
    for n in added:
        ids.add(n)
    for n in [*asked, *added]:
        assert (n in ids) == (n in set(added)), n
    assert "1" not in ids and None not in ids and 1.5 not in ids
