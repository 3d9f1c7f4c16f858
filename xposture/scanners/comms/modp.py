"""The MODP Diffie-Hellman primes of RFC 2409 (Oakley group 2) and RFC 3526 (groups 14 and 16), derived.

The RFCs define each prime as ``2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) * pi) + k)``;
computing it from that formula (pi by Machin's series, once, in a few
milliseconds) avoids pasting kilobytes of hex. ``tests`` check the results
against the RFCs' published leading digits and for primality.
"""

from __future__ import annotations

import decimal
from functools import cache

# group id -> (bits, k) from RFC 2409 6.2 and RFC 3526 sections 3 and 5
_GROUPS = {2: (1024, 129093), 14: (2048, 124476), 16: (4096, 240904)}
GENERATOR = 2


def _arctan_inverse(x: int, context: decimal.Context) -> decimal.Decimal:
    """arctan(1/x) by its Taylor series, to the context's precision."""
    total = term = decimal.Decimal(1) / x
    x2, n, sign = x * x, 1, 1
    epsilon = decimal.Decimal(10) ** -(context.prec + 2)
    while term > epsilon:
        term /= x2
        n += 2
        sign = -sign
        total += sign * term / n
    return total


@cache
def _pi(digits: int) -> decimal.Decimal:
    context = decimal.Context(prec=digits + 10)
    with decimal.localcontext(context):
        return 4 * (4 * _arctan_inverse(5, context) - _arctan_inverse(239, context))


@cache
def prime(group: int) -> int:
    """The prime of MODP ``group`` (2, 14 or 16)."""
    bits, k = _GROUPS[group]
    shift = bits - 130
    digits = int(shift * 0.30103) + 30
    with decimal.localcontext(decimal.Context(prec=digits + 10)):
        scaled = int(_pi(digits) * (decimal.Decimal(2) ** shift))
    return int(2**bits - 2 ** (bits - 64) - 1 + 2**64 * (scaled + k))
