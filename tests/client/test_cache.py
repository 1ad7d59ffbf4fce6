"""The disk cache of last good answers: atomic writes, corrupt entries dropped, unmasked IDs refused."""

from __future__ import annotations

import json
import logging
import os
import threading
import time

import pytest

from sandbox.client.cache import ResponseCache, token_scope

FULL_ID = "522726199001011234"
MASKED_ID = "522726********1234"


@pytest.fixture
def cache(tmp_path):
    return ResponseCache(tmp_path / "cache")


def _body(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def test_round_trip_and_keys_differ_by_params_and_token(cache):
    a = cache.key(token_scope("tok-a"), "/regions/522726", {"year": 2020})
    assert cache.put(a, _body({"code": "522726000000", "name": "独山县"}))
    hit = cache.get(a)
    assert hit.body == {"code": "522726000000", "name": "独山县"}
    assert cache.get(cache.key(token_scope("tok-a"), "/regions/522726", {"year": 2019})) is None
    assert cache.get(cache.key(token_scope("tok-b"), "/regions/522726", {"year": 2020})) is None
    # None parameters are not part of the key (the client drops them too)
    assert cache.key("s", "/p", {"year": None}) == cache.key("s", "/p", {})


def test_the_raw_token_never_reaches_the_disk(cache):
    token = "sbx_very-secret-token-value"
    key = cache.key(token_scope(token), "/regions/522726")
    cache.put(key, _body({"ok": True}))
    for f in cache.directory.iterdir():
        assert token.encode() not in f.read_bytes() and token not in f.name


def test_a_failed_write_leaves_the_old_answer_and_no_temp_file(cache, monkeypatch):
    key = cache.key("s", "/regions/522726")
    cache.put(key, _body({"v": 1}))

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    assert not cache.put(key, _body({"v": 2}))
    monkeypatch.undo()
    assert cache.get(key).body == {"v": 1}
    assert [p.name for p in cache.directory.iterdir()] == [cache.entries()[0].name]


def test_concurrent_writers_never_leave_a_torn_entry(cache):
    key = cache.key("s", "/regions/522726/children.geojson")
    bodies = [_body({"writer": i, "pad": "x" * 200_000}) for i in range(4)]
    seen: list[int] = []
    errors: list[BaseException] = []

    def write(b):
        for _ in range(15):
            cache.put(key, b)

    def read():
        for _ in range(60):
            try:
                hit = cache.get(key)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                return
            if hit is not None:
                seen.append(hit.body["writer"])

    threads = [threading.Thread(target=write, args=(b,)) for b in bodies] + [threading.Thread(target=read)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert cache.get(key).body["writer"] in range(4)
    assert set(seen) <= set(range(4))
    assert not [p for p in cache.directory.iterdir() if p.name.startswith(".tmp-")]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "binary", "empty", "other_key"])
def test_a_corrupt_entry_is_discarded_with_a_log_line(cache, caplog, damage):
    key = cache.key("s", "/regions/522726")
    cache.put(key, _body({"code": "522726000000", "pad": list(range(100))}))
    f = cache.entries()[0]
    raw = f.read_bytes()
    if damage == "truncate":
        f.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        f.write_bytes(b"{not json at all\n]]]")
    elif damage == "binary":
        f.write_bytes(bytes(range(256)) * 4)
    elif damage == "empty":
        f.write_bytes(b"")
    else:  # a valid entry of another request under this name
        head, _, body = raw.partition(b"\n")
        meta = json.loads(head)
        meta["key"] = "s|/regions/522701?"
        f.write_bytes(json.dumps(meta).encode() + b"\n" + body)
    with caplog.at_level(logging.WARNING, logger="sandbox.client.cache"):
        assert cache.get(key) is None
    assert "discarded corrupt cache entry" in caplog.text
    assert not f.exists()
    assert cache.put(key, _body({"code": "522726000000"}))  # and the next good answer is kept again
    assert cache.get(key).body == {"code": "522726000000"}


def test_refuses_to_cache_an_unmasked_id_number_and_logs_only_that(cache, caplog):
    key = cache.key("s", "/households", {"region": "522726"})
    leaked = {"items": [{"head_name": "王*明", "id_number": FULL_ID}]}
    with caplog.at_level(logging.DEBUG):
        assert not cache.put(key, _body(leaked), what="GET /households")
    assert cache.get(key) is None and cache.entries() == []
    assert "refused to cache GET /households" in caplog.text
    assert FULL_ID not in caplog.text and "王" not in caplog.text
    masked = {"items": [{"head_name": "王*明", "id_number": MASKED_ID}]}
    assert cache.put(key, _body(masked))
    assert cache.get(key).body == masked


@pytest.mark.parametrize("text", [
    '{"lon": 107.53123456789012345678}',  # a long float is no ID
    '{"x": 0.30000000000000004, "code": "522726101201"}',
    '{"amount": 1234567890123456789012}',  # more than 18 digits
    '{"id": "522726********1234"}',
])
def test_numbers_that_are_not_id_numbers_are_cached(cache, text):
    assert cache.put(cache.key("s", "/funds/flows"), text.encode())


def test_leftover_temp_files_of_a_crash_are_removed(tmp_path):
    d = tmp_path / "cache"
    d.mkdir()
    left = d / ".tmp-abc.part"
    left.write_bytes(b"half")
    os.utime(left, (0, 0))
    ResponseCache(d)
    assert not left.exists()


def test_an_unwritable_cache_folder_means_no_cache_said_once_not_a_crash(tmp_path, caplog):
    from sandbox.client.cache import open_cache

    blocker = tmp_path / "a-file"
    blocker.write_text("x")  # (root ignores permission bits: a file where a folder should be fails for all)
    with caplog.at_level(logging.WARNING, "sandbox.client.cache"):
        assert open_cache(blocker / "cache") is None
    assert len(caplog.records) == 1 and "running without an offline cache" in caplog.records[0].getMessage()
    assert isinstance(open_cache(tmp_path / "ok"), ResponseCache)


def test_the_cache_folder_follows_its_setting_then_the_data_dir_then_xdg(tmp_path, monkeypatch):
    from sandbox.client.cache import default_cache_dir

    monkeypatch.setenv("SANDBOX_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("SANDBOX_DATA_DIR", str(tmp_path / "d"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("SANDBOX_CACHE_DIR")
    assert default_cache_dir() == tmp_path / "d" / "cache" / "api"
    monkeypatch.delenv("SANDBOX_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x" / "poverty-sandbox" / "api"


def test_a_full_disk_is_logged_once_not_at_every_write(cache, monkeypatch, caplog):
    import tempfile

    def full(*a, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", full)
    with caplog.at_level(logging.WARNING, "sandbox.client.cache"):
        for i in range(50):
            assert not cache.put(f"k{i}", b"{}")
    assert len([r for r in caplog.records if "cannot write" in r.getMessage()]) <= 1


def test_written_behind_an_answer_is_handed_back_before_its_disk_write_and_read_from_memory_meanwhile(tmp_path,
                                                                                                   monkeypatch):
    cache = ResponseCache(tmp_path / "cache", write_behind=True)
    disk = threading.Event()
    real_write = ResponseCache._write

    def slow_write(self, *args):
        assert disk.wait(10)  # the disk is busy (an fsync behind others)
        return real_write(self, *args)

    monkeypatch.setattr(ResponseCache, "_write", slow_write)
    key = cache.key("s", "/households", {"region": "522726101201", "page": 1})
    assert cache.put(key, _body({"items": [{"id_number": MASKED_ID}]}))  # returned with the disk still busy
    assert cache.get(key).body == {"items": [{"id_number": MASKED_ID}]} and cache.entries() == []
    assert not cache.put(cache.key("s", "/households", {"page": 2}), _body({"id_number": FULL_ID}))  # refused now
    disk.set()
    cache.flush()
    other = ResponseCache(cache.directory)  # another process's view: on disk now, and only the masked answer
    assert other.get(key).body == {"items": [{"id_number": MASKED_ID}]} and len(other.entries()) == 1
    assert FULL_ID.encode() not in b"".join(f.read_bytes() for f in other.entries())


def test_written_behind_the_newest_answer_of_a_key_wins_and_the_writer_thread_writes_it(tmp_path):
    cache = ResponseCache(tmp_path / "cache", write_behind=True)
    key = cache.key("s", "/regions/522726")
    for v in range(5):
        cache.put(key, _body({"v": v}))
    deadline = time.monotonic() + 10
    while cache._pending and time.monotonic() < deadline:  # the cache's own thread writes it
        time.sleep(0.01)
    assert ResponseCache(cache.directory).get(key).body == {"v": 4} and len(cache.entries()) == 1
