"""The spool on its own: files, order across processes, what a replay removes."""

from __future__ import annotations

import contextlib
from pathlib import Path

from bot.sms.spool import Entry, Spool, SpoolFull, replay, waiting_by_file


def _spools(tmp_path: Path, n: int = 2) -> list[Spool]:
    # Two Spool objects in one directory stand for two web processes (one file each).
    return [Spool(tmp_path / "spool", 1 << 20) for _ in range(n)]


def test_file_names_carry_no_phone_number_and_entries_survive_reopening(tmp_path) -> None:
    (one,) = _spools(tmp_path, 1)
    one.append("SM1", "+16145550123", "STOP", "2027-01-01T12:00:00")
    names = [p.name for p in (tmp_path / "spool").iterdir()]
    assert all("6145550123" not in name for name in names)
    assert Spool(tmp_path / "spool", 1 << 20).waiting() == 1  # another process sees it


def test_replay_keeps_arrival_order_across_files_and_removes_what_it_replayed(tmp_path) -> None:
    first, second = _spools(tmp_path)
    first.append("SM1", "+1", "STOP", "2027-01-01T12:00:01")
    second.append("SM2", "+1", "START", "2027-01-01T12:00:02")
    first.append("SM3", "+1", "HELP", "2027-01-01T12:00:03")
    seen: list[str] = []
    assert replay(first, lambda e: seen.append(e.sid)) == 3
    assert seen == ["SM1", "SM2", "SM3"]
    assert first.waiting() == 0 and first.backlog is False


def test_text_arriving_during_a_replay_stays_for_the_next(tmp_path) -> None:
    first, second = _spools(tmp_path)
    first.append("SM1", "+1", "hi", "2027-01-01T12:00:01")

    def handle(entry: Entry) -> None:
        second.append("SM9", "+2", "late", "2027-01-01T12:00:09")
        first.append("SM8", "+2", "later", "2027-01-01T12:00:10")

    replay(first, handle)
    assert [n for _, n, _ in waiting_by_file(tmp_path / "spool")] == [1, 1]
    # The writer whose file a replay replaced opens a new one and goes on.
    first.append("SM10", "+2", "again", "2027-01-01T12:00:11")
    assert first.waiting() == 3


def test_a_failed_replay_removes_nothing(tmp_path) -> None:
    (one,) = _spools(tmp_path, 1)
    one.append("SM1", "+1", "STOP", "2027-01-01T12:00:01")

    def down(entry: Entry) -> None:
        raise ConnectionError("database down")

    with contextlib.suppress(ConnectionError):
        replay(one, down)
    assert one.waiting() == 1


def test_a_torn_last_line_is_skipped_and_the_reply_note_is_kept(tmp_path) -> None:
    (one,) = _spools(tmp_path, 1)
    one.append("SM1", "+1", "STOP", "2027-01-01T12:00:01")
    one.note_reply("SM1", "You are unsubscribed")
    (path,) = (tmp_path / "spool").glob("inbound-*.jsonl")
    with path.open("a") as fh:
        fh.write('{"sid":"SM2","fr')  # a crash mid-write
    seen: list[Entry] = []
    replay(one, seen.append)
    assert [(e.sid, e.answered, e.reply) for e in seen] == [("SM1", True, "You are unsubscribed")]


def test_settled_texts_are_marked_done_and_the_file_emptied(tmp_path) -> None:
    (one,) = _spools(tmp_path, 1)
    one.settle(one.append("SM1", "+1", "hi", "2027-01-01T12:00:01"), stored=True)
    assert one.waiting() == 0
    one.settle(one.append("SM2", "+1", "hi", "2027-01-01T12:00:02"), stored=False)  # db down
    one.settle(one.append("SM3", "+1", "hi", "2027-01-01T12:00:03"), stored=True)
    assert one.waiting() == 1 and one.backlog  # SM2 waits, SM3 is marked done
    seen: list[str] = []
    replay(one, lambda e: seen.append(e.sid))
    assert seen == ["SM2"] and one.waiting() == 0 and not one.backlog
    one.settle(one.append("SM4", "+1", "hi", "2027-01-01T12:00:04"), stored=True)
    assert one.waiting() == 0 and not one.backlog


def test_a_full_spool_file_refuses_more(tmp_path) -> None:
    small = Spool(tmp_path / "spool", 4096)
    small.append("SM1", "+1", "x" * 3000, "2027-01-01T12:00:01")
    try:
        small.append("SM2", "+1", "x" * 3000, "2027-01-01T12:00:02")
    except SpoolFull:
        pass
    else:
        raise AssertionError("a full spool took more")
