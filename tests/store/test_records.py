"""Clearing a county's records (a demo rebuild, --replace-demo) with phones enrolled and public pages out."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox.store import models as m
from sandbox.store.db import make_engine
from sandbox.store.demo.builder import build_demo
from sandbox.store.field import create_invite, redeem_invite
from sandbox.store.migrate import upgrade
from sandbox.store.tokens import hash_token


def test_a_demo_rebuild_with_a_phone_enrolled_clears_it_and_its_token(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    upgrade(engine)
    build_demo(engine, progress=False)
    with Session(engine) as s:
        cadre = s.execute(select(m.Cadre.id).limit(1)).scalar_one()
        plain, _ = create_invite(s, cadre_id=cadre)
        device_token, _ = redeem_invite(s, plain)
        s.commit()
        assert s.execute(select(m.ApiToken).where(m.ApiToken.token_hash == hash_token(device_token))).first()
        assert s.execute(select(func.count()).select_from(m.PublicSlug)).scalar() > 0
    build_demo(engine, progress=False)  # used to fail: a foreign key from the phone to its cadre
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(m.FieldDevice)).scalar() == 0
        assert s.execute(select(func.count()).select_from(m.FieldInvite)).scalar() == 0
        # the phone's token went with it: a rebuilt county's cadre N is somebody else
        assert s.execute(select(m.ApiToken).where(m.ApiToken.token_hash == hash_token(device_token))).first() is None
        assert s.execute(select(func.count()).select_from(m.PublicSlug)).scalar() > 0  # made anew
    engine.dispose()
