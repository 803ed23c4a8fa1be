"""Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, last one a check.

Characters come from 0-9 and the capitals without I, O, S, V, Z. Positions 3-8 are an
administrative division code (digits). The check character is
C18 = 31 - (Σ Ci·Wi mod 31), with 31 written as 0.
"""

from __future__ import annotations

import random
import re

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

# Organization code (GB 11714) inside positions 9-17: 8 characters and its own check.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    if not isinstance(code, str) or not _PATTERN.match(code):
        return False
    return check_character(code[:17]) == code[17]


def _org_check(first8: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def generate(rng: random.Random, division: str = "320585") -> str:
    """A valid code for an enterprise legal person (91…) in the given division (demo data)."""
    org8 = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    first17 = "91" + division + org8 + _org_check(org8)
    if not _PATTERN.match(first17 + "0"):
        return generate(rng, division)
    return first17 + check_character(first17)
