"""The canary sizing rules of flask-lib's _canary.tpl, written independently in Python.

Exact rationals throughout, so a disagreement with the chart's integer arithmetic shows up
as a test failure rather than a rounding difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import ceil, floor


@dataclass(frozen=True)
class Plan:
    stable: int | None  # None: the HPA owns the stable Deployment
    canary: int
    effective: Fraction  # percent of traffic the canary really gets


def round_half_up(x: Fraction) -> int:
    return floor(x + Fraction(1, 2))


def plan(
    *,
    replica_count: int,
    weight: int,
    traffic: str,
    hpa: bool,
    min_replicas: int = 2,
    max_replicas: int = 10,
    canary_replicas: int = 0,
) -> Plan:
    base = min_replicas if hpa else replica_count
    if traffic != "replicas":
        canary = canary_replicas or max(1, ceil(Fraction(base * weight, 100)))
        return Plan(None if hpa else replica_count, canary, Fraction(weight))
    if not hpa:
        canary = round_half_up(Fraction(replica_count * weight, 100))
        share = Fraction(100 * canary, replica_count) if replica_count else Fraction(0)
        return Plan(replica_count - canary, canary, share)
    if weight == 100:
        canary = max_replicas
    else:
        canary = min(max_replicas, round_half_up(Fraction(base * weight, 100 - weight)))
    return Plan(None, canary, Fraction(100 * canary, base + canary))


def percent_text(x: Fraction) -> str:
    """How the chart writes a percentage: at most two decimals, half up, no trailing zeros."""
    hundredths = round_half_up(x * 100)
    whole, frac = divmod(hundredths, 100)
    return str(whole) if frac == 0 else f"{whole}.{frac:02d}".rstrip("0")
