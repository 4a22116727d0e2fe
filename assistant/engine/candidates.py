"""Statistical candidate generation: quasi-random points and local moves around the best."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import qmc

from assistant.space import CategoricalParam, SearchSpace


def config_key(space: SearchSpace, config: Mapping[str, Any]) -> tuple[Any, ...]:
    """A hashable identity for a configuration (floats compared to 10 significant digits)."""
    key: list[Any] = []
    for name in space.names:
        value = config.get(name)
        if isinstance(value, float):
            value = float(f"{value:.10g}")
        key.append((type(value).__name__, value))
    return tuple(key)


def quasi_random(space: SearchSpace, n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """``n`` scrambled-Sobol points mapped into the space."""
    if n <= 0:
        return []
    sobol = qmc.Sobol(d=len(space), scramble=True, seed=rng)
    m = int(np.ceil(np.log2(max(n, 2))))
    points = sobol.random_base2(m)[:n]
    return [space.from_unit(p) for p in points]


def local_moves(
    space: SearchSpace,
    centres: Sequence[Mapping[str, Any]],
    n_per_centre: int,
    rng: np.random.Generator,
    scale: float = 0.1,
) -> list[dict[str, Any]]:
    """Gaussian moves in the unit cube around each centre; categoricals change with p=0.2."""
    out: list[dict[str, Any]] = []
    for centre in centres:
        base = np.array(space.to_unit(centre))
        for _ in range(n_per_centre):
            point = base + rng.normal(0.0, scale, size=len(base))
            for i, param in enumerate(space):
                if isinstance(param, CategoricalParam):
                    point[i] = rng.random() if rng.random() < 0.2 else base[i]
            out.append(space.from_unit(np.clip(point, 0.0, 1.0)))
    return out


def unique_new(
    space: SearchSpace,
    configs: Iterable[Mapping[str, Any]],
    seen: set[tuple[Any, ...]],
) -> list[dict[str, Any]]:
    """The configurations whose key is not in ``seen`` (first occurrence kept, order kept).
    ``seen`` is not modified."""
    taken = set(seen)
    out = []
    for config in configs:
        key = config_key(space, config)
        if key not in taken:
            taken.add(key)
            out.append(dict(config))
    return out
