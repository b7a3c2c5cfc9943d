"""The inbound spool: every text is on local disk before it is handled.

The webhook appends each inbound text to this process's spool file (one JSON line,
fsynced) before it touches the database. When the text is stored in the database the
process empties its file; when the database is unreachable the entry stays, and
`replay()` later feeds every waiting entry, oldest first, through the normal inbound
path (`handle_inbound`, idempotent by MessageSid), then removes what it replayed.

Files: `SPOOL_DIR/inbound-<pid>-<random>.jsonl`, one per process (no phone number in a
name), each at most SPOOL_MAX_BYTES. Locks are flock(2): a file's own lock guards each
append and cut; `.replay.lock` lets one replayer run at a time. A replayer may unlink an
emptied file; its writer notices (st_nlink == 0) and opens a new one.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.logs import log_event

PATTERN = "inbound-*.jsonl"
REPLAY_LOCK = ".replay.lock"


class SpoolFull(OSError):
    """This process's spool file is at SPOOL_MAX_BYTES: nothing more can be stored."""


@dataclass(frozen=True)
class Entry:
    """One inbound text as received; `reply` is what we answered without the database."""

    sid: str
    phone: str
    body: str
    at: str  # ISO naive UTC, when it arrived
    reply: str | None = None
    answered: bool = False  # True: answered from memory (degraded), reply as sent


@contextmanager
def _flocked(fd: int, flags: int = fcntl.LOCK_EX) -> Iterator[None]:
    fcntl.flock(fd, flags)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    """This process's spool file, plus what it knows about its own entries."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._pid = -1
        self._fd: int | None = None
        self._path: Path | None = None
        self._in_flight = 0
        self.backlog = False  # some entry of ours may not be in the database

    # -- this process's file ------------------------------------------------------------
    def _open(self) -> int:
        """The fd of our file, opened after a fork or after a replayer unlinked it."""
        if self._pid != os.getpid():  # a forked child gets its own file and state
            self._pid, self._fd, self._in_flight, self.backlog = os.getpid(), None, 0, False
        if self._fd is not None and os.fstat(self._fd).st_nlink == 0:
            os.close(self._fd)
            self._fd = None
        if self._fd is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._path = self.directory / f"inbound-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
            self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            _fsync_dir(self.directory)
        return self._fd

    @contextmanager
    def _own_locked(self) -> Iterator[int]:
        """Our file, locked and still linked (a replayer may have just removed it)."""
        while True:
            fd = self._open()
            with _flocked(fd):
                if os.fstat(fd).st_nlink:
                    yield fd
                    return

    def _write(self, record: dict, sync: bool) -> None:
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._own_locked() as fd:
            if os.fstat(fd).st_size + len(line) > self.max_bytes:
                raise SpoolFull(f"spool file is full ({self.max_bytes} bytes)")
            os.write(fd, line)
            if sync:
                os.fdatasync(fd)

    def append(self, sid: str, phone: str, body: str, at: str) -> None:
        """Store the text durably (raises OSError when it cannot be: answer 503)."""
        with self._lock:
            self._write({"sid": sid, "from": phone, "body": body, "at": at}, sync=True)
            self._in_flight += 1

    def note_reply(self, sid: str, reply: str | None) -> None:
        """What we answered from memory: stored with the text when it is replayed."""
        with self._lock:
            self._write({"reply_to": sid, "reply": reply}, sync=False)

    def settle(self, stored: bool) -> None:
        """One of our texts was handled: `stored` in the database, or left for replay.

        When every entry of ours is in the database, the file is emptied (no fsync: were
        the truncation lost, a replay would find every MessageSid already stored).
        """
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            if not stored:
                self.backlog = True
            if self._in_flight or self.backlog or self._pid != os.getpid():
                return
            with _replay_lock(self.directory, wait=False) as held:
                if not held:  # a replay is running: it will cut our file; check later
                    self.backlog = True
                    return
                with self._own_locked() as fd:
                    os.ftruncate(fd, 0)

    def dead_letter(self, entry: Entry) -> None:
        """An entry the inbound path could not handle: kept aside in failed.jsonl."""
        line = json.dumps(entry.__dict__, ensure_ascii=False) + "\n"
        fd = os.open(self.directory / "failed.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def own_path(self) -> Path | None:
        return self._path if self._pid == os.getpid() else None

    def recheck(self) -> None:
        """After a replay: a backlog remains only if our file still holds something."""
        with self._lock:
            fd = self._fd if self._pid == os.getpid() else None
            self.backlog = fd is not None and os.fstat(fd).st_size > 0

    def waiting(self) -> int:
        """How many texts wait in every spool file of this directory (all processes)."""
        return sum(len(entries) for _, _, entries in _read_all(self.directory))

    def writable(self) -> bool:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError:
            return False
        return os.access(self.directory, os.W_OK)


@contextmanager
def _replay_lock(directory: Path, wait: bool = True) -> Iterator[bool]:
    """One replayer at a time (web workers, the clock and the CLI share the directory)."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / REPLAY_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing drops the lock


def _parse(data: bytes) -> list[Entry]:
    """Entries in file order; a torn last line (a crash mid-write) is skipped."""
    entries: dict[str, Entry] = {}
    for line in data.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            log_event("spool.bad_line", size=len(line))
            continue
        if "reply_to" in rec and rec["reply_to"] in entries:
            old = entries[rec["reply_to"]]
            entries[old.sid] = Entry(old.sid, old.phone, old.body, old.at, rec["reply"], True)
        elif "sid" in rec and rec["sid"] not in entries:
            entries[rec["sid"]] = Entry(rec["sid"], rec["from"], rec["body"], rec["at"])
    return list(entries.values())


def _read_all(directory: Path) -> list[tuple[Path, int, list[Entry]]]:
    """(file, bytes read, entries) for every spool file, each read under its lock."""
    out = []
    for path in sorted(directory.glob(PATTERN)) if directory.is_dir() else []:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            with _flocked(fd, fcntl.LOCK_SH):
                data = os.read(fd, os.fstat(fd).st_size) if os.fstat(fd).st_nlink else b""
        finally:
            os.close(fd)
        entries = _parse(data)
        if entries or data:
            out.append((path, len(data), entries))
    return out


def waiting_by_file(directory: Path) -> list[tuple[Path, int, str | None]]:
    """(file, texts waiting, oldest arrival) for every spool file (`flask spool status`)."""
    return [
        (path, len(entries), min((e.at for e in entries), default=None))
        for path, _, entries in _read_all(directory)
    ]


def _cut(path: Path, done: int, own: Path | None) -> None:
    """Remove the first `done` bytes (what was replayed); keep what arrived since."""
    fd = os.open(path, os.O_RDWR)
    try:
        with _flocked(fd):
            rest = os.pread(fd, os.fstat(fd).st_size, done)
            os.ftruncate(fd, 0)
            if rest:
                os.pwrite(fd, rest, 0)
                os.fdatasync(fd)
            elif path != own and os.fstat(fd).st_nlink:
                path.unlink()  # its writer, if alive, notices and opens a new file
    finally:
        os.close(fd)


def replay(spool: Spool, handle: Callable[[Entry], None]) -> int:
    """Feed every waiting entry, oldest first, to `handle`; remove what was replayed.

    `handle` must be idempotent by MessageSid. If it raises (the database is still
    down), nothing is removed and the error propagates: the next replay starts over.
    """
    with _replay_lock(spool.directory):
        files = _read_all(spool.directory)
        entries = sorted(
            ((e.at, i, n, e) for i, (_, _, es) in enumerate(files) for n, e in enumerate(es)),
            key=lambda t: t[:3],
        )
        for *_, entry in entries:
            handle(entry)
        own = spool.own_path()
        for path, done, _ in files:
            _cut(path, done, own)
        spool.recheck()
    if entries:
        log_event("spool.replayed", count=len(entries))
    return len(entries)
