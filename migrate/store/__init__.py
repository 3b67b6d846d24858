"""The run store: what a run knows about every item, kept on disk (a temporary SQLite file) rather
than in memory, so that a run's memory does not grow with the site.

A `Table` is a mapping in insertion order and `Rows` a list that only grows. Both keep their values
pickled and give back copies: a value changed after it was read must be stored again. Writes wait
in a small buffer and go to SQLite in batches (one transaction per batch: a write of its own costs
20 times more). A process forked from the run reads what was stored before the fork through a
connection of its own (SQLite's may not cross a fork); only the process that made the store writes.
"""

from __future__ import annotations

import dataclasses
import operator
import os
import pickle
import sqlite3
import tempfile
import weakref
from collections.abc import ItemsView, Iterable, Iterator, Mapping, MutableMapping, ValuesView
from typing import Any, Generic, TypeVar, overload

from migrate.store.scratch import scratch_file

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

_BATCH = 2048  # writes held before they go to SQLite together


class StoreError(RuntimeError):
    """The store cannot be made or written (the temporary folder is full or not writable). Not an
    OSError: a caller that reads files of its own must not take it for one of theirs."""

    def __init__(self, folder: str, said: str):
        self.folder, self.said = folder, said
        super().__init__(
            f"{folder}: cannot set aside the planned files in the system's temporary folder: {said}; nothing was "
            "written to the site: free some space there (or set TMPDIR to another folder) and run again"
        )

    def while_writing(self) -> str:
        """The message once the site's files are being written: some are."""
        return (
            f"{self.folder}: cannot read the planned files set aside in the system's temporary folder: {self.said}; "
            "the site's manifest records the files written so far: free some space there and run again to finish"
        )


class RunStore:
    """One SQLite file, closed when `owner` is gone (or at exit, or at `close`). It is made at the
    first write, in `folder` (whose maker removes it), or else in the system's temporary folder, and
    then removed with the store. A store never written to has no file, and nothing to clean up."""

    def __init__(self, owner: object, folder: str | None = None):
        self.path = ""
        self._owner = weakref.ref(owner)
        self._folder = folder
        self._finalizer: weakref.finalize | None = None
        self._pid = -1
        self._con: sqlite3.Connection | None = None
        # every connection this process opened, and the parent's in a forked one (never closed there:
        # that could end the parent's locks); `close` closes this process's own
        self._cons: dict[int, sqlite3.Connection] = {}
        self._tables = 0
        self._owner_pid = os.getpid()
        self._buffers: list[weakref.ref[_Buffered]] = []

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._con, self._pid = None, -1

    def _file(self) -> str:
        if not self.path:
            try:
                if self._folder is None:  # locked while the run lives: a later run sweeps it if it is killed
                    lock, path = scratch_file("run", ".sqlite")
                else:
                    fd, path = tempfile.mkstemp(prefix="wp2zola-run-", suffix=".sqlite", dir=self._folder)
                    os.close(fd)
                    lock = -1
            except OSError as err:
                raise _error(self._folder or tempfile.gettempdir(), err) from None
            self.path = path
            # gone with its owner; a store whose owner is gone already, with itself (or else at exit)
            owner = self._owner()
            if owner is None:
                owner = self
            remove = path if self._folder is None else ""
            self._finalizer = weakref.finalize(owner, _discard, remove, self._owner_pid, self._cons, lock)
        return self.path

    @property
    def con(self) -> sqlite3.Connection:
        if self._pid != os.getpid():
            try:
                con = sqlite3.connect(self._file(), isolation_level=None, check_same_thread=False)
                # a scratch file, nothing to recover after a crash: no sync. A log (WAL) lets the
                # workers read while the run writes.
                con.execute("PRAGMA journal_mode=WAL")
                con.execute("PRAGMA synchronous=OFF")
                con.execute("PRAGMA busy_timeout=60000")
            except sqlite3.Error as err:
                raise _error(self.path, err) from None
            self._con, self._pid = con, os.getpid()
            self._cons[self._pid] = con
            return con
        assert self._con is not None
        return self._con

    def query(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        try:
            return self.con.execute(sql, params)
        except sqlite3.Error as err:
            raise _error(self.path, err) from None

    def table(self) -> Table[Any, Any]:
        return Table(self, self._name())

    def rows(self) -> Rows[Any]:
        return Rows(self, self._name())

    def groups(self) -> Groups[Any, Any]:
        return Groups(self, self._name())

    def ids(self) -> IdSet:
        return IdSet(self)

    def flush(self) -> None:
        """Every buffered write into SQLite: before a fork, so that the workers read the same."""
        for ref in self._buffers:
            buffered = ref()
            if buffered is not None:
                buffered.flush()

    def _name(self) -> str:
        self._tables += 1
        return f"t{self._tables}"

    def _register(self, buffered: _Buffered) -> None:
        self._buffers.append(weakref.ref(buffered))

    def execute_many(self, sql: str, rows: list[tuple]) -> None:
        """`sql` for each of `rows`, in one transaction (a StoreError when it cannot be written)."""
        if rows:
            self._write(sql, rows)

    def _write(self, sql: str, rows: list[tuple]) -> None:
        if os.getpid() != self._owner_pid:
            raise RuntimeError("only the process that made a run store writes to it")
        con = self.con
        try:
            con.execute("BEGIN")
            con.executemany(sql, rows)
            con.execute("COMMIT")
        except sqlite3.Error as err:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise _error(self.path, err) from None


def _discard(path: str, owner_pid: int, cons: dict[int, sqlite3.Connection], lock: int) -> None:
    if os.getpid() != owner_pid:  # a forked process: the store lives on in its parent
        return
    con = cons.pop(owner_pid, None)
    if con is not None:
        con.close()  # SQLite removes the log of its last connection
    if lock >= 0:  # after the connection: closing a file's descriptor drops this process's SQLite locks on it
        os.close(lock)
    for name in (path, path + "-wal", path + "-shm") if path else ():
        if os.path.lexists(name):
            try:
                os.unlink(name)
            except OSError:
                pass


def _error(where: str, err: Exception) -> StoreError:
    folder = where if os.path.isdir(where) else os.path.dirname(where)
    said = str(err)
    if isinstance(err, sqlite3.Error) and _full(folder):  # SQLite's own words do not tell it
        said = f"no space left on the device ({said})"
    return StoreError(folder, said)


def _full(folder: str) -> bool:
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024


class _Buffered:
    """A table whose writes wait in a buffer, and whose SQL table is made with its first write."""

    _store: RunStore
    _name: str
    _made: bool
    _columns: str

    def flush(self) -> None:
        raise NotImplementedError

    def _make(self) -> None:
        if not self._made:
            self._store.query(f"CREATE TABLE {self._name} ({self._columns})")
            self._made = True


def tuple_state(cls: type[T]) -> type[T]:
    """A slots dataclass pickled as a call of the class with its fields' values. Every value read
    from the store, sent to a worker or copied is unpickled (tens of times an item), and the state
    dataclasses give a slots class is set back a field at a time from Python: this is 3 times quicker
    to read, twice to write, and a third smaller. Every field must be an argument of `__init__`, in
    order (a dataclass's, with no `init=False` field and no `__post_init__`)."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if any(not f.init or f.kw_only for f in fields) or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: tuple_state needs every field an argument of __init__, in order")
    values = operator.attrgetter(*(f.name for f in fields))

    def __reduce__(self: object) -> tuple:
        got = values(self)
        return cls, (got,) if len(fields) == 1 else got

    setattr(cls, "__reduce__", __reduce__)  # noqa: B010 - set on the class dataclass made
    return cls


def _key(key: object) -> str:
    """A key as the table finds it: its repr, which equal ints, strings, tuples of them and frozen
    dataclasses of them share (a pickle need not: it refers back to an object met twice)."""
    if type(key) is str or type(key) is int:  # the most of them, the quickest
        return repr(key)
    if not isinstance(key, (int, str, tuple)) and not getattr(type(key), "__dataclass_params__", None):
        raise TypeError(f"a run store key is an int, str, tuple or frozen dataclass, not {type(key).__name__}")
    return repr(key)


def _order(key: object, k: str) -> str | int:
    """What a key sorts by: a string itself (one that UTF-8 cannot hold sorts by its repr), an int
    itself (one too big for SQLite sorts by its repr, after the others)."""
    if isinstance(key, str):
        try:
            key.encode()
        except UnicodeEncodeError:
            return k
        return key
    if isinstance(key, int) and not isinstance(key, bool) and -(2**63) <= key < 2**63:
        return key
    return k


def _dumps(value: object) -> bytes:
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


class Table(MutableMapping[K, V], _Buffered, Generic[K, V]):
    """A mapping kept in the store, in insertion order (a key stored again keeps its place). Its SQL
    table is made with its first write."""

    # o: the key itself where it is a string or an int (no column type, so each keeps its own: SQLite
    # orders ints by value, UTF-8 as Python orders code points)
    _columns = "k TEXT PRIMARY KEY, key BLOB, value BLOB, o"

    def __init__(self, store: RunStore, name: str):
        self._store, self._name = store, name
        self._pending: dict[str, tuple[K, V]] = {}
        self._firsts: set[str] = set()  # keys pending by `keep_first`: SQLite may hold a value of its own
        self._made = False
        store._register(self)

    def __getitem__(self, key: K) -> V:
        k = _key(key)
        held = self._pending.get(k)
        if held is not None:
            if k not in self._firsts:
                return held[1]
            self.flush()  # the value stored earlier wins, if there is one
        row = self._store.query(f"SELECT value FROM {self._name} WHERE k = ?", (k,)).fetchone() if self._made else None
        if row is None:
            raise KeyError(key)
        return pickle.loads(row[0])

    def __contains__(self, key: object) -> bool:
        k = _key(key)
        if k in self._pending:
            return True
        return self._made and self._store.query(f"SELECT 1 FROM {self._name} WHERE k = ?", (k,)).fetchone() is not None

    def __setitem__(self, key: K, value: V) -> None:
        k = _key(key)
        self._pending[k] = (key, value)  # a key stored again keeps its place, here and in SQLite
        self._firsts.discard(k)
        if len(self._pending) >= _BATCH:
            self.flush()

    def keep_first(self, key: K, value: V) -> None:
        """`setdefault` without its answer, and without a query: the value waits in the buffer, and is
        stored unless the key is there already (SQLite keeps the first)."""
        k = _key(key)
        if k in self._pending:
            return
        self._pending[k] = (key, value)
        self._firsts.add(k)
        if len(self._pending) >= _BATCH:
            self.flush()

    def __delitem__(self, key: K) -> None:
        if key not in self:
            raise KeyError(key)
        self.flush()
        self._store._write(f"DELETE FROM {self._name} WHERE k = ?", [(_key(key),)])

    def __iter__(self) -> Iterator[K]:
        return map(_value, self._select("key"))  # not the values

    def __len__(self) -> int:
        self.flush()
        return self._store.query(f"SELECT count(*) FROM {self._name}").fetchone()[0] if self._made else 0

    def items(self) -> ItemsView[K, V]:
        return _Items(self)

    def values(self) -> ValuesView[V]:
        return _Values(self)

    def sorted_items(self) -> Iterator[tuple[K, V]]:
        """(key, value) in the order of `sorted(keys)`, for string keys or int keys (SQLite sorts, on
        disk when it must: the keys are never all in memory)."""
        return self._rows("o")

    def _rows(self, order: str = "rowid") -> Iterator[tuple[K, V]]:
        """(key, value) in insertion order (or by another column), read as they come (a mapping's own
        views would look each key up again). An iterator of SQLite's, not a generator: one left
        unfinished holds no frame."""
        return map(_pair, self._select("key, value", order))

    def _select(self, columns: str, order: str = "rowid") -> Iterator[tuple]:
        self.flush()
        if not self._made:
            return iter(())
        return self._store.query(f"SELECT {columns} FROM {self._name} ORDER BY {order}")

    def flush(self) -> None:
        if not self._pending:
            return
        self._make()
        firsts = self._firsts
        rows = [
            (k, _dumps(key), _dumps(value), _order(key, k), k in firsts) for k, (key, value) in self._pending.items()
        ]
        self._pending, self._firsts = {}, set()
        self._store._write(
            f"INSERT INTO {self._name} (k, key, value, o) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT (k) DO UPDATE SET value = CASE WHEN ?5 THEN value ELSE excluded.value END",
            rows,
        )


_BITMAP_IDS = 1 << 24  # ids below this have a bit of their own in an IdSet (at most 2 MB)


class IdSet:
    """A set of ints (item ids) that a run asks about once or more an item: a bit each for the ids
    most sites have (below 2**24), answered without a query; the others in a table of the store."""

    def __init__(self, store: RunStore):
        self._bits = bytearray()
        self._others: Table[int, str] = store.table()

    def add(self, n: int) -> None:
        if 0 <= n < _BITMAP_IDS:
            byte = n >> 3
            if byte >= len(self._bits):
                self._bits.extend(bytes(max(byte + 1, 2 * len(self._bits)) - len(self._bits)))
            self._bits[byte] |= 1 << (n & 7)
        else:
            self._others[n] = ""

    def __contains__(self, n: object) -> bool:
        if not isinstance(n, int):
            return False
        if 0 <= n < _BITMAP_IDS:
            byte = n >> 3
            return byte < len(self._bits) and bool(self._bits[byte] & (1 << (n & 7)))
        return n in self._others


def keep_first(mapping: MutableMapping[K, V], key: K, value: V) -> None:
    """`mapping.setdefault(key, value)`, unanswered: for a run store's table, with no query."""
    if isinstance(mapping, Table):
        mapping.keep_first(key, value)
    else:
        mapping.setdefault(key, value)


def sorted_items(mapping: Mapping[str, V]) -> Iterator[tuple[str, V]]:
    """(key, value) by key, of a dict or of a run store's table (which sorts on disk)."""
    if isinstance(mapping, Table):
        return mapping.sorted_items()
    return iter(sorted(mapping.items()))


def _pair(row: tuple[bytes, bytes]) -> tuple[Any, Any]:
    return pickle.loads(row[0]), pickle.loads(row[1])


def _second(pair: tuple[Any, Any]) -> Any:
    return pair[1]


def _value(row: tuple[bytes]) -> Any:
    return pickle.loads(row[0])


class _Items(ItemsView[K, V]):
    _mapping: Table[K, V]

    def __iter__(self) -> Iterator[tuple[K, V]]:
        return self._mapping._rows()


class _Values(ValuesView[V]):
    _mapping: Table[Any, V]

    def __iter__(self) -> Iterator[V]:
        return map(_second, self._mapping._rows())


class Rows(_Buffered, Generic[V]):
    """A list kept in the store that only grows: appended, counted, read (or stored again) by
    position, or read in order. Its SQL table is made with its first write."""

    _columns = "n INTEGER PRIMARY KEY, value BLOB"

    def __init__(self, store: RunStore, name: str):
        self._store, self._name = store, name
        self._pending: list[V] = []
        self._count = 0
        self._made = False
        store._register(self)

    def append(self, value: V) -> int:
        """Adds `value`; returns its position."""
        self._pending.append(value)
        self._count += 1
        if len(self._pending) >= _BATCH:
            self.flush()
        return self._count - 1

    def extend(self, values: Iterable[V]) -> None:
        for value in values:
            self.append(value)

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, n: int) -> V: ...
    @overload
    def __getitem__(self, n: slice) -> list[V]: ...
    def __getitem__(self, n: int | slice) -> V | list[V]:
        """By position (negative from the end), or a slice of them as a list, as a list gives."""
        if isinstance(n, slice):
            return [self[i] for i in range(*n.indices(self._count))]
        if n < 0:
            n += self._count
        if not 0 <= n < self._count:
            raise IndexError(n)
        first_pending = self._count - len(self._pending)
        if n >= first_pending:
            return self._pending[n - first_pending]
        row = self._store.query(f"SELECT value FROM {self._name} WHERE n = ?", (n,)).fetchone()
        return pickle.loads(row[0])

    def __setitem__(self, n: int, value: V) -> None:
        if not 0 <= n < self._count:
            raise IndexError(n)
        self.flush()
        self._store._write(f"UPDATE {self._name} SET value = ? WHERE n = ?", [(_dumps(value), n)])

    def __iter__(self) -> Iterator[V]:
        self.flush()
        if not self._made:
            return iter(())
        # what was there when the walk began (appends during it come after); not a generator (above)
        return map(_value, self._store.query(f"SELECT value FROM {self._name} WHERE n < ? ORDER BY n", (self._count,)))

    def __bool__(self) -> bool:
        return self._count > 0

    def __eq__(self, other: object) -> bool:
        """Equal to a list (or rows) of the same values in the same order, as a list is."""
        if not isinstance(other, (Rows, list)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # changes as it grows, as a list does

    def __repr__(self) -> str:
        return f"<Rows of a run store: {self._count}>"

    def flush(self) -> None:
        if not self._pending:
            return
        self._make()
        start = self._count - len(self._pending)
        rows = [(start + i, _dumps(v)) for i, v in enumerate(self._pending)]
        self._pending = []
        self._store._write(f"INSERT INTO {self._name} (n, value) VALUES (?, ?)", rows)


class Groups(_Buffered, Generic[K, V]):
    """Values filed under keys, many to a key (what a dict of lists would hold): added, and read a
    key's at a time in the order they were added. Its SQL table is made with its first write."""

    _columns = "g TEXT, value BLOB"

    def __init__(self, store: RunStore, name: str):
        self._store, self._name = store, name
        self._pending: list[tuple[str, bytes]] = []
        self._made = False
        store._register(self)

    def add(self, key: K, value: V) -> None:
        self._pending.append((_key(key), _dumps(value)))
        if len(self._pending) >= _BATCH:
            self.flush()

    def __contains__(self, key: object) -> bool:
        """Whether any value is filed under `key`."""
        self.flush()
        return (
            self._made
            and self._store.query(f"SELECT 1 FROM {self._name} WHERE g = ? LIMIT 1", (_key(key),)).fetchone()
            is not None
        )

    def __getitem__(self, key: K) -> list[V]:
        """The values filed under `key` (none: an empty list)."""
        return list(self.walk(key))

    def walk(self, key: K) -> Iterator[V]:
        """The values filed under `key`, read as they come (an iterator of SQLite's, as `Rows`)."""
        self.flush()
        if not self._made:
            return iter(())
        return map(
            _value, self._store.query(f"SELECT value FROM {self._name} WHERE g = ? ORDER BY rowid", (_key(key),))
        )

    def flush(self) -> None:
        if not self._pending:
            return
        if not self._made:
            self._make()
            self._store.query(f"CREATE INDEX {self._name}_g ON {self._name} (g)")
        rows, self._pending = self._pending, []
        self._store._write(f"INSERT INTO {self._name} (g, value) VALUES (?, ?)", rows)


__all__ = ["Groups", "IdSet", "Rows", "RunStore", "StoreError", "Table", "keep_first", "sorted_items"]
