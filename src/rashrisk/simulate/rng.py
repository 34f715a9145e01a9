"""Named random streams: each part of the simulation draws from its own generator.

``stream(seed, "tdm")`` depends only on the seed and the name, so adding draws to one part of the
simulator never changes the numbers drawn by another part.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """A generator for ``name`` under ``seed`` (deterministic across runs and platforms)."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, int(seed) >> 32, zlib.crc32(name.encode())])


def choice(rng: np.random.Generator, values, probabilities, size: int) -> np.ndarray:
    """Vectorised categorical draw (``values[k]`` with probability ``probabilities[k]``)."""
    cum = np.cumsum(np.asarray(probabilities, dtype=float))
    cum[-1] = 1.0
    idx = np.searchsorted(cum, rng.random(size), side="right")
    return np.asarray(values)[idx]


def truncated_normal(rng: np.random.Generator, mean, sd, low: float, high: float, size: int) -> np.ndarray:
    """Normal draws clipped into [low, high] by redrawing out-of-range values (then clipping the rest)."""
    mean = np.broadcast_to(np.asarray(mean, dtype=float), (size,))
    sd = np.broadcast_to(np.asarray(sd, dtype=float), (size,))
    x = mean + sd * rng.standard_normal(size)
    for _ in range(5):
        bad = (x < low) | (x > high)
        if not bad.any():
            break
        x[bad] = mean[bad] + sd[bad] * rng.standard_normal(int(bad.sum()))
    return np.clip(x, low, high)
