"""A small bar chart of the last hours as PNG bytes: numpy and zlib only, no plotting library."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np

BAR = (214, 69, 65)  # the last bars (the incident) stand out in red
OLD = (140, 140, 140)
BACKGROUND = (255, 255, 255)


def chart_png(
    values: Sequence[float], width: int = 360, height: int = 100, highlight: int = 2
) -> bytes:
    """Bars for `values` (oldest first); the last `highlight` bars in red."""
    img = np.full((height, width, 3), BACKGROUND, dtype=np.uint8)
    n = max(len(values), 1)
    top = max(max(values, default=0.0), 1.0)
    slot = width / n
    for i, v in enumerate(values):
        bar_h = round((height - 4) * v / top)
        x0, x1 = int(i * slot) + 1, max(int((i + 1) * slot) - 1, int(i * slot) + 2)
        img[height - bar_h :, x0:x1] = BAR if i >= n - highlight else OLD
    img[height - 1, :] = (60, 60, 60)  # baseline axis
    return _png(img)


def _png(img: np.ndarray) -> bytes:
    height, width, _ = img.shape
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(height))  # filter type 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
