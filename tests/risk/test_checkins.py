"""The check-in rules on the demo: each finds its planted case and not its look-alike; photo marks are read as ingest
reads them (EXIF time before stripping, a perceptual hash that survives re-encoding)."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox.store.demo.risk import demo_photo
from sandbox.store.risk.photo_marks import exif_taken_at, hash_distance, photo_hash
from tests.risk.planted import assert_finds_planted_not_alike


@pytest.mark.parametrize("rule_id", ["checkins.reused_photo", "checkins.too_fast", "checkins.one_spot",
                                     "checkins.exif_time"])
def test_a_checkin_rule_finds_its_planted_case_and_not_its_look_alike(demo_engine, rule_id):
    assert_finds_planted_not_alike(demo_engine, rule_id)


def test_a_reused_photo_keeps_a_near_hash_and_another_scene_does_not():
    first = photo_hash(demo_photo(7, None))
    again = photo_hash(demo_photo(7, None, quality=50, size=(120, 90)))
    other = photo_hash(demo_photo(8, None))
    assert hash_distance(first, again) <= 4 < hash_distance(first, other)


def test_the_exif_time_is_read_and_broken_bytes_give_none():
    taken = dt.datetime(2017, 6, 3, 9, 15, 0)
    assert exif_taken_at(demo_photo(1, taken)) == taken
    assert exif_taken_at(demo_photo(1, None)) is None
    assert exif_taken_at(b"not a photo") is None and photo_hash(b"not a photo") is None


def test_ingest_keeps_the_exif_time_and_hash_but_stores_no_exif():
    from sandbox.server.checkins.photos import photo_from_bytes

    taken = dt.datetime(2017, 6, 3, 9, 15, 0)
    data = demo_photo(3, taken)
    photo = photo_from_bytes(0, data)
    assert photo.taken_at == taken and photo.phash == photo_hash(data)
    assert exif_taken_at(photo.data) is None  # what is stored carries no EXIF


def test_the_checkin_arrays_are_every_checkin_read_past_the_orm_in_chunks(demo_engine, monkeypatch):
    """too_fast and one_spot read millions of check-ins at province scale: through Core (the ORM's per-row
    wrapping was ≈ 40 % of their time), in chunks, and the arrays are the table's rows exactly."""
    import numpy as np
    from sqlalchemy import event, select
    from sqlalchemy.orm import Session

    from sandbox.store.models import Checkin
    from sandbox.store.risk import checkins

    monkeypatch.setattr(checkins, "_CHUNK", 997)  # many chunks and a ragged last one
    with Session(demo_engine) as session:
        orm_reads = []
        event.listen(session, "do_orm_execute", lambda state: orm_reads.append(state.statement))
        a = checkins._arrays(session)
        assert orm_reads == []
        rows = session.connection().execute(select(Checkin.id, Checkin.cadre_id, Checkin.household_id, Checkin.at,
                                                   Checkin.lon, Checkin.lat).order_by(Checkin.id)).all()
    assert len(rows) > 997 * 3
    order = np.argsort(a["id"])
    assert a["id"][order].tolist() == [r.id for r in rows]
    assert a["cadre"][order].tolist() == [r.cadre_id for r in rows]
    assert a["household"][order].tolist() == [r.household_id for r in rows]
    assert a["at"][order].tolist() == [int(np.datetime64(r.at, "s").astype("int64")) for r in rows]
    assert a["lon"][order].tolist() == [r.lon for r in rows] and a["lat"][order].tolist() == [r.lat for r in rows]
