"""A deterministic synthetic population of platform histories for the rules benchmark.

Every platform is an enterprise-led platform in one of the nine Jiaxing jurisdictions, recognised
provincial (省级) between 2026-01-11 (the day the 细则 comes into force) and the end of April 2026;
about 30% are upgraded to national (国家级) later, some of them on the very day of one of their claims
(the "held on the claim date" boundary). Each has an audited equipment investment (设备投入) for most
years 2023..2031 (a year may have no record, or a zero), with random fen, sized so that a good share of
platforms reach the provincial and some the national cap, and files one equipment-subsidy claim
(设备补助) a year from its first claim year (2026, 2027 or 2028) to 2031, skipping a year now and then
(the next claim then covers the unclaimed years its rule set's reading of ``equipment.later_claims``
reaches — by default ``window``, 解读 R-8: those of its own three-year window). A 2026 claim may be filed before the
platform's recognition: it is ineligible and does not consume its window.

Only the equipment subsidy is claimed, by enterprise-led platforms outside the cultivation pool, so no
other program (award, higher-of offset, institution exclusion) changes what a claim pays, and the
OpenFisca peer (:mod:`bench.openfisca_equipment`) computes the same thing from the same arrays.

The population is held as numpy columns (a few tens of MB for 100,000 platforms); a platform's
scenario is built on demand with :meth:`Population.scenario_data` and validated with
:func:`calculators.scenario.from_data`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np

from calculators.money import fen_to_yuan
from calculators.rulesets.bundled import rulebook

PROGRAM = "equipment-subsidy"
INVESTMENT_YEARS = tuple(range(2023, 2032))  # audited investment, 9 calendar years
CLAIM_YEARS = tuple(range(2026, 2032))  # one claim a year at most, 6 application years
NO_RECORD = -1  # investments: no audited amount for that year
NEVER = np.datetime64("NaT", "D")


def jurisdiction_codes() -> tuple[str, ...]:
    """The nine Jiaxing jurisdictions of the bundled rule book, in file order."""
    return tuple(rulebook().jurisdictions)


@dataclass(frozen=True)
class Population:
    """``n`` platform histories as columns.

    Attributes:
        seed: the seed it was generated from.
        jurisdiction: index into :attr:`codes` per platform.
        codes: the jurisdiction codes.
        provincial: date recognised provincial (datetime64[D]).
        national: date upgraded to national, ``NaT`` when never.
        investment: audited investment in fen, shape (n, 9) for 2023..2031; ``NO_RECORD`` when none.
        claim_date: application date, shape (n, 6) for 2026..2031; ``NaT`` when no claim that year.
    """

    seed: int
    codes: tuple[str, ...]
    jurisdiction: np.ndarray
    provincial: np.ndarray
    national: np.ndarray
    investment: np.ndarray
    claim_date: np.ndarray

    @property
    def n(self) -> int:
        return int(self.jurisdiction.shape[0])

    @property
    def filed(self) -> np.ndarray:
        """(n, 6) bool: a claim is filed in that application year."""
        return ~np.isnat(self.claim_date)

    @property
    def claims(self) -> int:
        """Claims evaluated = platform-years."""
        return int(self.filed.sum())

    def claim_index(self) -> tuple[np.ndarray, np.ndarray]:
        """(platform, year column) of every claim, in platform then year order: the flat claim order."""
        rows, cols = np.nonzero(self.filed)
        return rows, cols

    def platform_id(self, i: int) -> str:
        return f"P{i:06d}"

    def rows(self, start: int, stop: int) -> Population:
        """Platforms ``start`` .. ``stop - 1`` as a population of their own."""
        return replace(self, jurisdiction=self.jurisdiction[start:stop], provincial=self.provincial[start:stop],
                       national=self.national[start:stop], investment=self.investment[start:stop],
                       claim_date=self.claim_date[start:stop])

    def digest(self) -> str:
        """A fingerprint of the whole population (phases in other processes check they built the same)."""
        h = hashlib.sha256()
        for a in (self.jurisdiction, self.provincial, self.national, self.investment, self.claim_date):
            h.update(np.ascontiguousarray(a).view(np.uint8).tobytes())
        return h.hexdigest()[:16]

    def scenario_data(self, i: int, *, what_if: dict[str, str] | None = None) -> dict[str, Any]:
        """Platform ``i`` as scenario data (docs/scenarios.md), for :func:`calculators.scenario.from_data`."""
        pid = self.platform_id(i)
        recognitions: list[dict[str, Any]] = [
            {"id": "R1", "level": "provincial", "date": _as_date(self.provincial[i]),
             "document_number": f"浙经信〔2026〕{i % 97 + 1}号"},
        ]
        if not np.isnat(self.national[i]):
            recognitions.append({"id": "R2", "level": "national", "date": _as_date(self.national[i]),
                                 "document_number": f"工信部〔{self.national[i].astype(object).year}〕{i % 89 + 1}号"})
        investments = [
            {"year": y, "amount": fen_to_yuan(int(fen))}
            for y, fen in zip(INVESTMENT_YEARS, self.investment[i].tolist(), strict=True) if fen != NO_RECORD
        ]
        claims = [
            {"id": f"{pid}-{y}", "program": PROGRAM, "application_date": d}
            for y, d in zip(CLAIM_YEARS, self.claim_date[i].tolist(), strict=True) if d is not None
        ]
        data: dict[str, Any] = {
            "name": f"bench {pid}",
            "platform": {"id": pid, "name": f"嘉兴中试平台{pid}", "jurisdiction": self.codes[self.jurisdiction[i]],
                         "leader_type": "enterprise"},
            "recognitions": recognitions,
            "investments": investments,
            "claims": claims,
        }
        if what_if:
            data["what_if"] = dict(what_if)
        return data

    def summary(self) -> dict[str, int]:
        filed = self.filed
        return {
            "platforms": self.n,
            "platform_years": int(filed.sum()),
            "upgraded_to_national": int((~np.isnat(self.national)).sum()),
            "upgrade_on_a_claim_date": int((self.claim_date == self.national[:, None]).any(axis=1).sum()),
            "claims_before_recognition": int((filed & (self.claim_date < self.provincial[:, None])).sum()),
            "years_without_record": int((self.investment == NO_RECORD).sum()),
            "gaps_in_claim_years": int(_gaps(filed)),
        }


def _as_date(d: np.datetime64) -> date:
    out = d.astype(object)
    assert isinstance(out, date)
    return out


def _gaps(filed: np.ndarray) -> int:
    """Claims whose previous application year had no claim although an earlier one had."""
    seen = np.logical_or.accumulate(filed, axis=1)
    return int((filed[:, 1:] & ~filed[:, :-1] & seen[:, :-1]).sum())


def generate(n: int, seed: int = 20260111) -> Population:
    """``n`` platform histories, the same for the same ``n`` and ``seed`` (numpy PCG64)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = np.random.default_rng(seed)
    codes = jurisdiction_codes()
    jurisdiction = rng.integers(0, len(codes), n).astype(np.int8)

    in_force = np.datetime64("2026-01-11", "D")
    provincial = in_force + rng.integers(0, 110, n)  # 2026-01-11 .. 2026-04-30

    # claims: first year 2026/27/28, then each following year with probability 0.85, up to 2031;
    # filed between 1 March and 30 June
    first = rng.choice(np.array([2026, 2027, 2028]), p=[0.5, 0.3, 0.2], size=n)
    follow = rng.random((n, len(CLAIM_YEARS))) < 0.85
    offset = rng.integers(0, 122, (n, len(CLAIM_YEARS)))
    claim_date = np.full((n, len(CLAIM_YEARS)), NEVER)
    for k, y in enumerate(CLAIM_YEARS):
        filed = (first == y) | ((y > first) & follow[:, k])
        claim_date[filed, k] = np.datetime64(f"{y}-03-01", "D") + offset[filed, k]

    # upgrades: ~30% to national between 2026-06-01 and 2031-12-31; of those ~15% on one of their
    # claim dates from 2027 on (held on the claim date counts)
    start, end = np.datetime64("2026-06-01", "D"), np.datetime64("2031-12-31", "D")
    upgraded = rng.random(n) < 0.30
    national = np.full(n, NEVER)
    national[upgraded] = start + rng.integers(0, int((end - start).astype(int)) + 1, int(upgraded.sum()))
    on_claim = upgraded & (rng.random(n) < 0.15)
    pick = rng.random(n)
    later = claim_date[:, 1:]  # 2027..2031
    for i in np.nonzero(on_claim)[0]:
        dates = later[i][~np.isnat(later[i])]
        if dates.size:
            national[i] = dates[int(pick[i] * dates.size)]

    # investments: a platform scale log-uniform 100,000 .. 20,000,000 yuan a year, times 0.2..1.8 a
    # year, with random fen; 8% of years without a record, 4% with a zero
    scale = 10 ** rng.uniform(5.0, 7.3, n)
    factor = rng.uniform(0.2, 1.8, (n, len(INVESTMENT_YEARS)))
    investment = np.floor(scale[:, None] * factor * 100).astype(np.int64)
    investment[rng.random(investment.shape) < 0.04] = 0
    investment[rng.random(investment.shape) < 0.08] = NO_RECORD

    return Population(seed, codes, jurisdiction, provincial, national, investment, claim_date)
