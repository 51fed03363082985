"""Integer money arithmetic: rounding half up, and splitting an amount over weights.

Everything is in integer minor units, so a split never loses or invents a cent: the parts
of `allocate` always add up to the amount exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

BASIS_POINTS = 10_000


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves up (both >= 0)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError(
            f"round_half_up needs numerator >= 0 and denominator > 0, got {numerator}/{denominator}"
        )
    return (2 * numerator + denominator) // (2 * denominator)


def tax_exclusive(amount: int, rate: int) -> int:
    """The tax to add on top of `amount` at `rate` basis points."""
    return round_half_up(amount * rate, BASIS_POINTS)


def tax_inclusive(amount: int, rate: int) -> int:
    """The tax already inside `amount` at `rate` basis points (extracted, not added)."""
    return round_half_up(amount * rate, BASIS_POINTS + rate)


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """`amount` split in proportion to `weights` by the largest remainder method.

    Each part is its exact share rounded down, and the units left over go one each to
    the parts with the largest remainders, ties to the earlier position: the result is
    deterministic, sums to `amount` exactly, and each part is within 1 of its exact
    share. All-zero weights split equally (a parcel of free items still carries its
    shipping); no weights can only carry an amount of 0.
    """
    if amount < 0:
        raise ValueError(f"cannot allocate a negative amount ({amount})")
    if any(weight < 0 for weight in weights):
        raise ValueError(f"weights must not be negative ({list(weights)})")
    if not weights:
        if amount:
            raise ValueError(f"cannot allocate {amount} over no weights")
        return []
    total = sum(weights)
    if total == 0:
        weights = [1] * len(weights)
        total = len(weights)
    parts = [amount * weight // total for weight in weights]
    remainders = [amount * weight % total for weight in weights]
    left_over = amount - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda index: (-remainders[index], index))
    for index in by_remainder[:left_over]:
        parts[index] += 1
    return parts
