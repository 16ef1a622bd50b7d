"""Two first uses of a case racing to create its redaction key (issue 15, point 9)."""

from __future__ import annotations

import threading
from pathlib import Path

from kit.redaction.keys import KEY_FILE, case_key


def test_the_loser_of_the_race_reads_the_winners_key(tmp_path: Path) -> None:
    winner, loser = bytes(range(32)), bytes(range(32, 64))

    def generate() -> bytes:  # the other use writes its key while this one makes its own
        (tmp_path / KEY_FILE).write_text(winner.hex() + "\n")
        return loser

    assert case_key(tmp_path, generate=generate) == winner  # was FileExistsError
    assert case_key(tmp_path) == winner
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]  # no temporary file left


def test_many_racing_first_uses_agree_on_one_key(tmp_path: Path) -> None:
    start = threading.Barrier(8)
    keys: list[bytes] = []
    errors: list[BaseException] = []

    def first_use(n: int) -> None:
        start.wait()
        try:
            keys.append(case_key(tmp_path, generate=lambda: bytes([n]) * 32))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first_use, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(keys)) == 1 and len(keys) == 8
    assert (tmp_path / KEY_FILE).read_text().strip() == keys[0].hex()
