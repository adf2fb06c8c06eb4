"""Annex 3 undertakings (承诺事项) the ledger can check before a claim is filed.

Undertaking 2 — 本项目未享受过市级财政专项资金补助 — cannot be signed truthfully when the platform
already holds an approved claim paid from the municipal purse (市级财政), or received city–district
agreement support (市区财政资金协议支持) on or before the application date. Filing still proceeds: the
form's printed undertakings never change; the filer is warned (细则 第五章 就高不重复; 附件3 承诺事项2).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from calculators.rulesets.model import RuleBook
from ledger.history import Loaded
from ledger.models import Claim, Platform, PlatformEvent

# approved by the party group (党组会审定) or further on; a reversed or recovered claim gave nothing
RECEIVED = ("approved", "in_notice", "objected", "issued", "paid")


def undertaking_warnings(session: Session, platform: Platform, book: RuleBook, on: date,
                         loaded: Loaded | None = None) -> tuple[str, ...]:
    """Warnings on the undertakings of a new claim of ``platform`` filed on ``on``; from the claims and
    events the rules were computed on (``loaded``, no statement) when given, else read."""
    rows, agreements = _received(session, platform, on) if loaded is None else _received_in(loaded, platform, on)
    municipal = [r for r in rows if r.rule_set in book.rule_sets
                 and book.rule_sets[r.rule_set].purse == "municipal"]
    if not municipal and not agreements:
        return ()
    listed = "、".join([*(f"{r.number}（{_title(book, r.rule_set, r.program)}）" for r in municipal),
                       *(f"市区财政资金协议支持（{a.document_number or '无文号'}，{a.date}）" for a in agreements)])
    return (f"附件3承诺事项2“本项目未享受过市级财政专项资金补助”无法如实签署：本平台已获市级财政资金 {listed}；"
            "请在申报材料中如实说明（细则 第五章：市级财政资金补助政策就高不重复）",)


def _received(session: Session, platform: Platform, on: date) -> tuple[Sequence[Any], Sequence[Any]]:
    """The platform's claims that received money (``RECEIVED``) and its agreement support up to ``on``, read."""
    rows = session.execute(
        select(Claim.number, Claim.program, Claim.rule_set, Claim.state).where(
            Claim.platform_id == platform.id, Claim.state.in_(RECEIVED)).order_by(Claim.application_date, Claim.id)
    ).all()
    agreements = session.execute(
        select(PlatformEvent.document_number, PlatformEvent.date).where(
            PlatformEvent.platform_id == platform.id, PlatformEvent.kind == "agreement-support",
            PlatformEvent.date <= on).order_by(PlatformEvent.date, PlatformEvent.id)).all()
    return rows, agreements


def _received_in(loaded: Loaded, platform: Platform, on: date) -> tuple[Sequence[Any], Sequence[Any]]:
    """As :func:`_received`, from the rows the rules were computed on (same filters, same order)."""
    return ([c for c in loaded.claims if c.platform_id == platform.id and c.state in RECEIVED],
            [e for e in loaded.events if e.platform_id == platform.id and e.kind == "agreement-support"
             and e.date <= on])


def _title(book: RuleBook, rule_set: str, program: str) -> str:
    info = book.rule_sets[rule_set].programs.get(program)
    return info.title if info is not None else program
