"""The statistical surrogate (a Gaussian process on the encoded space) and the acquisition.

Everything works on *utilities* (larger is better), so minimization studies are handled by
the caller negating scores once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.stats import norm
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
from threadpoolctl import ThreadpoolController

from assistant.space import CategoricalParam, SearchSpace


def encode(space: SearchSpace, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Encode configurations as rows of numbers in [0, 1]: numeric parameters on their
    (log) unit scale, categoricals one-hot."""
    rows = []
    for config in configs:
        row: list[float] = []
        for param, unit in zip(space, space.to_unit(config), strict=True):
            if isinstance(param, CategoricalParam):
                row.extend(1.0 if c == config[param.name] else 0.0 for c in param.choices)
            else:
                row.append(unit)
        rows.append(row)
    return np.array(rows, dtype=float)


_controller: ThreadpoolController | None = None


def _single_threaded() -> Any:
    """A context in which BLAS runs on one thread. Many small matrices: threads only add
    contention (9x slower on 2 busy cores). The controller is built once: building it scans
    the loaded libraries, which costs milliseconds."""
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1)


class GPSurrogate:
    """A Gaussian process regressor over encoded configurations.

    Fitted on at most ``max_points`` observations (the best half and the most recent half of
    that budget), so its cost stays bounded at any history size. Kernel hyperparameters
    start from ``warm_start`` (the previous step's fit) with a short optimizer budget: the
    fit then costs a few milliseconds instead of a second, and moves little from step to step.
    With ``optimize=False`` the warm-start kernel is used as it is (one Cholesky factor).
    """

    def __init__(
        self,
        space: SearchSpace,
        seed: int,
        max_points: int = 100,
        warm_start: Any = None,
        max_iter: int = 25,
        optimize: bool = True,
    ) -> None:
        self.space = space
        self.seed = seed
        self.max_points = max_points
        self.warm_start = warm_start
        self.max_iter = max_iter
        self.optimize = optimize
        self._model: GaussianProcessRegressor | None = None
        self._y_mean = 0.0
        self._y_std = 1.0

    def fit(self, configs: Sequence[Mapping[str, Any]], utilities: Sequence[float]) -> GPSurrogate:
        """Fit on (configuration, utility) pairs; needs at least two distinct utilities."""
        with _single_threaded():
            return self._fit(configs, utilities)

    def _fit(self, configs: Sequence[Mapping[str, Any]], utilities: Sequence[float]) -> GPSurrogate:
        y = np.asarray(utilities, dtype=float)
        keep = _bounded_subset(y, self.max_points)
        x = encode(self.space, [configs[i] for i in keep])
        y = y[keep]
        self._y_mean = float(np.mean(y))
        self._y_std = float(np.std(y)) or 1.0
        kernel = self.warm_start
        fresh = kernel is None or kernel.n_dims != x.shape[1] + 2
        if fresh:
            kernel = ConstantKernel(1.0, (1e-2, 1e2)) * Matern(
                length_scale=np.full(x.shape[1], 0.3), length_scale_bounds=(1e-2, 1e2), nu=2.5
            ) + WhiteKernel(1e-2, (1e-6, 1.0))
        targets = (y - self._y_mean) / self._y_std
        if not (self.optimize or fresh):
            self._model = GaussianProcessRegressor(
                kernel=kernel, optimizer=None, normalize_y=False
            ).fit(x, targets)
            return self
        # We maximize the marginal likelihood ourselves: sklearn's built-in optimizer warns
        # (from worker threads too) whenever a hyperparameter rests on a bound, which is fine.
        base = GaussianProcessRegressor(kernel=kernel, optimizer=None, normalize_y=False)
        base.fit(x, targets)

        def negative_lml(theta: np.ndarray) -> tuple[float, np.ndarray]:
            lml, grad = base.log_marginal_likelihood(theta, eval_gradient=True, clone_kernel=False)
            return -lml, -grad

        result = minimize(
            negative_lml,
            base.kernel_.theta,
            method="L-BFGS-B",
            jac=True,
            bounds=base.kernel_.bounds,
            options={"maxiter": self.max_iter},
        )
        self._model = GaussianProcessRegressor(
            kernel=base.kernel_.clone_with_theta(result.x), optimizer=None, normalize_y=False
        ).fit(x, targets)
        return self

    @property
    def kernel(self) -> Any:
        """The fitted kernel (hyperparameters included), to warm-start the next fit."""
        return self._model.kernel_ if self._model is not None else None

    @property
    def fitted(self) -> bool:
        return self._model is not None

    def predict(self, configs: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
        """Predicted utility mean and standard deviation for each configuration."""
        if self._model is None:
            raise RuntimeError("GPSurrogate.predict called before fit")
        x = encode(self.space, configs)
        with _single_threaded():
            mean, std = self._model.predict(x, return_std=True)
        return mean * self._y_std + self._y_mean, np.maximum(std, 1e-9) * self._y_std


def _bounded_subset(y: np.ndarray, limit: int) -> list[int]:
    if len(y) <= limit:
        return list(range(len(y)))
    best = np.argsort(-y, kind="stable")[: limit // 2].tolist()
    chosen = set(best)
    recent = [i for i in range(len(y) - 1, -1, -1) if i not in chosen][: limit - len(best)]
    return sorted(chosen | set(recent))


def expected_improvement(
    mean: np.ndarray, std: np.ndarray, best: float, xi: float = 0.0
) -> np.ndarray:
    """Expected improvement over ``best`` for maximization."""
    std = np.maximum(std, 1e-12)
    z = (mean - best - xi) / std
    return (mean - best - xi) * norm.cdf(z) + std * norm.pdf(z)
