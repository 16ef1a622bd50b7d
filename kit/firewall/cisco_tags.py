"""The Cisco message tag of each line, in one compiled pass: ``%ASA-6-302014:``,
``%FTD-session-6-302016:``, ``%FWSM-6-302013 ``: where it ends, the message number, the product.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .bytescan import digit_count, is_digit, literal, match, number

_DASH, _COLON, _SPACE = 45, 58, 32
_ASA, _PIX, _FWSM, _FTD = literal("ASA-"), literal("PIX-"), literal("FWSM-"), literal("FTD-")


@njit(nogil=True, cache=True)
def _letter(byte: int) -> bool:
    return (65 <= byte <= 90) or (97 <= byte <= 122)


@njit(nogil=True, cache=True)
def find_tags(data: np.ndarray, cut: np.ndarray, end: np.ndarray, candidate: np.ndarray,
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per line: (position after the tag, message number or -1 without a tag, product code).

    The tag is ``%(?:ASA|PIX|FWSM|FTD)-(?:[A-Za-z]+-)?\\d-\\d{6}:? ?`` at the line's first
    ``%`` (``cut``); only ``candidate`` lines are looked at. Product codes follow
    ``cisco.PRODUCT_NAMES`` (ASA, PIX, FWSM, FTD)."""
    n = len(cut)
    after = np.zeros(n, np.int64)
    message = np.full(n, -1, np.int64)
    product = np.zeros(n, np.int8)
    for i in range(n):
        if not candidate[i]:
            continue
        stop = end[i]
        at = cut[i] + 1  # past the "%"
        code = 0
        p = match(data, at, stop, _ASA)
        if p < 0:
            code, p = 1, match(data, at, stop, _PIX)
        if p < 0:
            code, p = 2, match(data, at, stop, _FWSM)
        if p < 0:
            code, p = 3, match(data, at, stop, _FTD)
        if p < 0:
            continue
        if p < stop and _letter(data[p]):  # a class token: "%ASA-session-6-..."
            q = p
            while q < stop and _letter(data[q]):
                q += 1
            if q < stop and data[q] == _DASH:
                p = q + 1
        if p + 8 > stop or not is_digit(data[p]) or data[p + 1] != _DASH:
            continue
        if digit_count(data, p + 2, p + 8) != 6:
            continue
        message[i] = np.int64(number(data, p + 2, 6))
        p += 8
        if p < stop and data[p] == _COLON:
            p += 1
        if p < stop and data[p] == _SPACE:
            p += 1
        after[i] = p
        product[i] = code
    return after, message, product
