"""The inbound spool: every text is written to local disk before it is handled.

The webhook appends each inbound text to this process's spool file (one JSON line)
before it touches the database, flushed to disk at once unless the database's own commit
will flush the text (PostgreSQL, synchronous_commit on): then only a text the database
did not take is flushed, by settle(), before it is answered. When the text is stored in
the database the process empties its file; when the database is unreachable the entry
stays, and `replay()` later feeds every waiting entry, oldest first, through the normal
inbound path (`handle_inbound`, idempotent by MessageSid), then removes what it replayed.

Files: `SPOOL_DIR/inbound-<pid>-<random>.jsonl`, one per process (no phone number in a
name), each at most SPOOL_MAX_BYTES. Locks are flock(2): a file's own lock guards each
append and cut; `.replay.lock` lets one replayer run at a time. A replayer may unlink an
emptied file; its writer notices (st_nlink == 0) and opens a new one.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.logs import log_event

PATTERN = "inbound-*.jsonl"
GROW_BYTES = 256 * 1024
Ticket = tuple[int, int]  # (inode of the spool file, offset of the entry)
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
    """This process's spool file, plus what it knows about its own entries.

    The file is zero-filled ahead of the writes (GROW_BYTES at a time) and each entry is
    written in place followed by a NUL, the logical end: the fdatasync of a text then
    flushes one data block, not the file's size and blocks as an append would. A stored
    text is marked done by turning its first byte into `#`; when nothing of ours waits,
    a NUL at offset 0 empties the file. Neither needs an fsync: if lost, a replay finds
    those MessageSids stored already.
    """

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._pid = -1
        self._fd: int | None = None
        self._path: Path | None = None
        self._end = self._allocated = self._in_flight = 0
        self.backlog = False  # some entry of ours may not be in the database
        self.refused: str | None = None  # why the last text could not be kept (None: it was)

    # -- this process's file ------------------------------------------------------------
    def _open(self) -> int:
        """The fd of our file, opened after a fork or after a replayer unlinked it."""
        if self._pid != os.getpid():  # a forked child gets its own file and state
            self._pid, self._fd, self._in_flight, self.backlog = os.getpid(), None, 0, False
        if self._fd is not None and os.fstat(self._fd).st_nlink == 0:
            os.close(self._fd)
            self._fd = None
            self.backlog |= self._moved()
        if self._fd is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._path = self.directory / f"inbound-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            self._end = self._allocated = 0
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

    def _write(self, record: dict, sync: bool) -> Ticket:
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._own_locked() as fd:
            need = self._end + len(line) + 1
            if need > self.max_bytes:
                raise SpoolFull(f"spool file is full ({self.max_bytes} bytes)")
            if need > self._allocated:
                size = min(self.max_bytes, max(need, self._allocated + GROW_BYTES))
                _pwrite_all(fd, bytes(size - self._allocated), self._allocated)
                os.fsync(fd)
                self._allocated = size
            offset = self._end
            _pwrite_all(fd, line + b"\0", offset)
            self._end += len(line)
            if sync:
                os.fdatasync(fd)
            return os.fstat(fd).st_ino, offset

    def append(self, sid: str, phone: str, body: str, at: str, sync: bool = True) -> Ticket:
        """Store the text; where it is, for settle(). OSError: answer 503.

        `sync` False writes without flushing to disk: for a caller whose database commit
        flushes the text itself (PostgreSQL). If that commit does not happen, settle()
        flushes the entry before anything is answered."""
        with self._lock:
            try:
                ticket = self._write({"sid": sid, "from": phone, "body": body, "at": at}, sync)
            except OSError as exc:
                self.refused = str(exc) or type(exc).__name__  # /healthz says so
                raise
            self.refused = None
            self._in_flight += 1
            return ticket

    def note_reply(self, sid: str, reply: str | None) -> None:
        """What we answered from memory: stored with the text when it is replayed."""
        with self._lock:
            self._write({"reply_to": sid, "reply": reply}, sync=False)

    def settle(self, ticket: Ticket, stored: bool) -> None:
        """The text `ticket` locates was handled: `stored` in the database, or left for
        replay (then flushed to disk now, if append() did not; OSError: answer 503)."""
        inode, offset = ticket
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            fd = self._fd if self._pid == os.getpid() else None
            if not stored:
                self.backlog = True
                if fd is not None:
                    os.fdatasync(fd)
                return
            if fd is None:
                return
            with _flocked(fd):
                if os.fstat(fd).st_ino != inode:  # written to a file a replay since took
                    self.backlog = True
                elif not os.fstat(fd).st_nlink:  # replayed: all gone, or the rest moved
                    self.backlog |= self._moved()
                elif self._in_flight or self.backlog:
                    os.pwrite(fd, b"#", offset)  # done; the others still wait
                else:
                    os.pwrite(fd, b"\0", 0)  # all of ours are stored: empty
                    self._end = 0

    def dead_letter(self, entry: Entry) -> None:
        """An entry the inbound path could not handle: kept aside in failed.jsonl."""
        line = json.dumps(entry.__dict__, ensure_ascii=False) + "\n"
        fd = os.open(self.directory / "failed.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def _moved(self) -> bool:
        """A replay left some of our file's entries in a file under our old name."""
        return self._path is not None and self._path.exists()

    def recheck(self) -> None:
        """After a replay: a backlog remains only if our file still holds something."""
        with self._lock:
            fd = self._fd if self._pid == os.getpid() else None
            linked = fd is not None and os.fstat(fd).st_nlink > 0
            self.backlog = linked and os.pread(fd, 1, 0) not in (b"", b"\0")

    def waiting(self) -> int:
        """How many texts wait in every spool file of this directory (all processes)."""
        return sum(len(entries) for _, _, entries in _read_all(self.directory))

    def room(self) -> int:
        """Bytes this process can still spool: its file's limit, or the disk's free space."""
        try:
            free = shutil.disk_usage(self.directory).free
        except OSError:
            return 0
        return max(0, min(self.max_bytes - self._end, free + self._allocated - self._end))

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
    """Waiting entries in file order (done ones start with `#`); a torn line (a crash
    mid-write) is skipped."""
    entries: dict[str, Entry] = {}
    for line in data.splitlines():
        if not line or line.startswith(b"#"):
            continue
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


def _content(fd: int) -> bytes:
    """A spool file's text: up to the NUL that marks its logical end."""
    return os.pread(fd, os.fstat(fd).st_size, 0).split(b"\0", 1)[0]


def _read_all(directory: Path) -> list[tuple[Path, bytes, list[Entry]]]:
    """(file, its text, waiting entries) for every spool file, each read under its lock."""
    out = []
    for path in sorted(directory.glob(PATTERN)) if directory.is_dir() else []:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            with _flocked(fd, fcntl.LOCK_SH):
                data = _content(fd) if os.fstat(fd).st_nlink else b""
        finally:
            os.close(fd)
        out.append((path, data, _parse(data)))
    return out


def waiting_by_file(directory: Path) -> list[tuple[Path, int, str | None]]:
    """(file, texts waiting, oldest arrival) for every spool file (`flask spool status`)."""
    return [
        (path, len(entries), min((e.at for e in entries), default=None))
        for path, _, entries in _read_all(directory)
        if entries
    ]


def _same_lines(a: bytes, b: bytes) -> bool:
    """Equal but for done marks (a line's first byte)."""
    la, lb = a.split(b"\n"), b.split(b"\n")
    return len(la) == len(lb) and all(x[1:] == y[1:] for x, y in zip(la, lb, strict=True))


def _cut(path: Path, replayed: bytes) -> None:
    """Remove what was replayed from a file; keep what arrived since (in a new file
    renamed over it, so its writer's offsets never move: the writer opens a new one)."""
    fd = os.open(path, os.O_RDWR)
    try:
        with _flocked(fd):
            if not os.fstat(fd).st_nlink:
                return
            current = _content(fd)
            head = current[: len(replayed)]
            # Its writer emptied and reused the file meanwhile: all of it is new.
            rest = current[len(replayed) :] if _same_lines(head, replayed) else current
            if not _parse(rest):
                path.unlink()
                return
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(rest)
            with tmp.open("rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, path)
            _fsync_dir(path.parent)
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
        for path, data, _ in files:
            _cut(path, data)
        spool.recheck()
    if entries:
        log_event("spool.replayed", count=len(entries))
    return len(entries)


def _pwrite_all(fd: int, data: bytes, offset: int) -> None:
    """pwrite that never stops short: a nearly full disk may take part of a write, and a
    STOP half written is a STOP lost. A write that makes no progress raises (503)."""
    view = memoryview(data)
    while view:
        done = os.pwrite(fd, view, offset)
        if done <= 0:
            raise OSError(errno.ENOSPC, "short write to the spool")
        view, offset = view[done:], offset + done
