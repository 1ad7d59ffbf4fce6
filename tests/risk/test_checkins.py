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
