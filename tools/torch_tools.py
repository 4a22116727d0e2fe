"""PyTorch model families: an MLP for tabular data and a small CNN for images.

Both train with AdamW on a seeded shuffle and, during tuning, hold out ``1 / n_folds`` of
the rows (stratified for classification) as a validation split that is scored after every
epoch; ``report(epoch, score)`` lets Optuna's pruners stop bad trials early. The returned
score is the last epoch's. Training uses CUDA when ``torch.cuda.is_available()`` (with
automatic mixed precision, a gradient scaler, pinned host memory and cuDNN autotuning) and
the CPU otherwise. ``torch`` is imported inside the functions, so importing this module
does not need it.

Example:
    >>> from sklearn.datasets import load_breast_cancer
    >>> from assistant.tools import Dataset
    >>> data = Dataset.from_arrays(*load_breast_cancer(return_X_y=True))
    >>> tool = TorchMLPTool()
    >>> config = {**tool.default_config("classification"), "epochs": 5}
    >>> tool.evaluate(data, config, seed=0, metric="roc_auc") > 0.9
    True
"""

from __future__ import annotations

import logging
import math
from abc import abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from assistant.errors import ToolError
from assistant.space import CategoricalParam, FloatParam, IntParam, SearchSpace

from .base import ReportFn, Tool
from .data import Dataset, Task, holdout_indices
from .metrics import Metric, resolve_metric

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

_PREDICT_BATCH = 4096


@dataclass
class TorchModel:
    """A trained network with the statistics used to standardize its inputs and target."""

    module: Any
    x_mean: np.ndarray
    x_std: np.ndarray
    y_mean: float = 0.0
    y_std: float = 1.0


class TorchTool(Tool):
    """Shared training loop; subclasses build the network and shape its input."""

    # Chosen, not a library's: PyTorch has no defaults for these; AdamW's own are kept.
    _defaults: ClassVar[Mapping[str, Any]] = {}

    def default_config(self, task: Task) -> dict[str, Any]:
        self._check_task(task)
        return dict(self._defaults)

    @abstractmethod
    def _network(self, data: Dataset, config: Mapping[str, Any], n_outputs: int) -> Any:
        """A fresh ``torch.nn.Module`` for ``data``'s inputs."""

    @abstractmethod
    def _input_stats(self, X: np.ndarray, data: Dataset) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation used to standardize the inputs."""

    def _shape_inputs(self, X: np.ndarray, data: Dataset) -> np.ndarray:
        return X

    # -- the contract ----------------------------------------------------------------------
    def warm_up(self) -> None:
        import torch  # noqa: F401  (a worker imports it before its first trial)

    def evaluate(
        self,
        data: Dataset,
        config: Mapping[str, Any],
        seed: int,
        report: ReportFn | None = None,
        *,
        metric: str | Metric | None = None,
        n_folds: int = 5,
    ) -> float:
        """Train on ``1 - 1/n_folds`` of ``data`` and score the rest after every epoch
        (reported after every epoch but the last, whose score is the result)."""
        self._check_task(data.task)
        resolved = resolve_metric(metric, data.task)
        train_rows, valid_rows = holdout_indices(data, 1.0 / n_folds, seed)
        train, valid = data.subset(train_rows), data.subset(valid_rows)
        scores: list[float] = []

        def after_epoch(epoch: int, model: TorchModel) -> None:
            score = resolved(valid.y, self.predict(model, valid))
            scores.append(score)
            logger.debug("%s epoch %d: %s=%.6g", self.name, epoch, resolved.name, score)
            if report is not None and epoch < int(config["epochs"]) - 1:
                report(epoch, score)

        self._train(train, config, seed, after_epoch)
        return scores[-1]

    def fit(
        self, data: Dataset, config: Mapping[str, Any], seed: int, *, metric: Metric | None = None
    ) -> TorchModel:
        self._check_task(data.task)
        return self._train(data, config, seed, None)

    def predict(self, model: TorchModel, data: Dataset) -> np.ndarray:
        import torch

        module = model.module
        device = next(module.parameters()).device
        X = self._inputs(np.asarray(data.X), data, model.x_mean, model.x_std)
        outputs = []
        module.eval()
        with torch.no_grad(), _autocast(device):
            for start in range(0, len(X), _PREDICT_BATCH):
                batch = torch.from_numpy(X[start : start + _PREDICT_BATCH]).to(device)
                outputs.append(module(batch).float().cpu())
        out = torch.cat(outputs) if outputs else torch.empty((0, max(data.n_classes, 1)))
        if data.task == "classification":
            return torch.softmax(out, dim=1).numpy().astype(np.float64)
        return out[:, 0].numpy().astype(np.float64) * model.y_std + model.y_mean

    # -- training --------------------------------------------------------------------------
    def _inputs(
        self, X: np.ndarray, data: Dataset, mean: np.ndarray, std: np.ndarray
    ) -> np.ndarray:
        standardized = np.nan_to_num((X - mean) / std, nan=0.0)
        return np.ascontiguousarray(self._shape_inputs(standardized, data), dtype=np.float32)

    def _train(
        self,
        data: Dataset,
        config: Mapping[str, Any],
        seed: int,
        after_epoch: Callable[[int, TorchModel], None] | None,
    ) -> TorchModel:
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        on_cuda = device.type == "cuda"
        if on_cuda:
            torch.backends.cudnn.benchmark = True
        torch.manual_seed(seed)

        X_raw = np.asarray(data.X, dtype=np.float64)
        x_mean, x_std = self._input_stats(X_raw, data)
        X = torch.from_numpy(self._inputs(X_raw, data, x_mean, x_std))
        model = TorchModel(module=None, x_mean=x_mean, x_std=x_std)
        if data.task == "classification":
            y = torch.from_numpy(np.asarray(data.y, dtype=np.int64))
            n_outputs = data.n_classes
            loss_fn: torch.nn.Module = torch.nn.CrossEntropyLoss()
        else:
            y_raw = np.asarray(data.y, dtype=np.float64)
            model.y_mean = float(y_raw.mean())
            model.y_std = float(y_raw.std()) or 1.0
            y = torch.from_numpy(((y_raw - model.y_mean) / model.y_std).astype(np.float32))
            n_outputs = 1
            loss_fn = torch.nn.MSELoss()

        module = self._network(data, config, n_outputs).to(device)
        model.module = module
        optimizer = torch.optim.AdamW(
            module.parameters(), lr=config["learning_rate"], weight_decay=config["weight_decay"]
        )
        scaler = torch.amp.GradScaler("cuda", enabled=on_cuda)
        loader = DataLoader(
            TensorDataset(X, y),
            batch_size=min(int(config["batch_size"]), len(X)),
            shuffle=True,
            pin_memory=on_cuda,
            generator=torch.Generator().manual_seed(seed),
        )
        logger.debug("%s: training on %s for %d epochs", self.name, device, config["epochs"])
        for epoch in range(int(config["epochs"])):
            module.train()
            for xb, yb in loader:
                xb = xb.to(device, non_blocking=on_cuda)
                yb = yb.to(device, non_blocking=on_cuda)
                optimizer.zero_grad(set_to_none=True)
                with _autocast(device):
                    out = module(xb)
                    loss = loss_fn(out if n_outputs > 1 else out[:, 0], yb)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            # Checked once per epoch (one device sync). On CUDA the gradient scaler skips
            # steps with overflowing fp16 gradients, so only a real divergence lands here.
            finite = torch.stack([p.isfinite().all() for p in module.parameters()]).all()
            if not bool(finite):
                raise ToolError(f"training diverged: weights not finite after epoch {epoch}")
            if after_epoch is not None:
                after_epoch(epoch, model)
        return model


def _autocast(device: torch.device) -> Any:
    import torch

    return torch.autocast(
        device_type=device.type, dtype=torch.float16, enabled=device.type == "cuda"
    )


def _optimizer_params() -> list[FloatParam | IntParam | CategoricalParam]:
    return [
        FloatParam(name="learning_rate", low=1e-4, high=3e-2, log=True),
        FloatParam(name="weight_decay", low=1e-6, high=1e-1, log=True),
        IntParam(name="batch_size", low=16, high=256, log=True),
    ]


class TorchMLPTool(TorchTool):
    name = "torch_mlp"
    family = "multilayer perceptron (PyTorch)"
    description = (
        "Fully connected ReLU network in PyTorch, trained with AdamW on standardized "
        "features (and target, for regression); runs on a GPU when there is one. "
        "learning_rate (log scale) matters most, then weight_decay (AdamW's decoupled L2, "
        "raise on small data) and dropout. hidden_units and n_layers set capacity. epochs "
        "is the training length; validation is scored every epoch so bad runs are pruned "
        "early."
    )
    _defaults: ClassVar[Mapping[str, Any]] = {
        "hidden_units": 128,
        "n_layers": 2,
        "dropout": 0.1,
        "learning_rate": 1e-3,
        "weight_decay": 1e-2,  # AdamW's default
        "batch_size": 64,
        "epochs": 30,
    }

    def search_space(self, task: Task) -> SearchSpace:
        self._check_task(task)
        return SearchSpace.of(
            IntParam(name="hidden_units", low=16, high=512, log=True),
            IntParam(name="n_layers", low=1, high=4),
            FloatParam(name="dropout", low=0.0, high=0.5),
            *_optimizer_params(),
            IntParam(name="epochs", low=5, high=100, log=True),
        )

    def _input_stats(self, X: np.ndarray, data: Dataset) -> tuple[np.ndarray, np.ndarray]:
        mean = np.nanmean(X, axis=0) if len(X) else np.zeros(X.shape[1])
        std = np.nanstd(X, axis=0) if len(X) else np.ones(X.shape[1])
        return np.nan_to_num(mean), np.where(np.nan_to_num(std) > 0, np.nan_to_num(std), 1.0)

    def _network(self, data: Dataset, config: Mapping[str, Any], n_outputs: int) -> Any:
        from torch import nn

        layers: list[nn.Module] = []
        width = data.n_features
        for _ in range(int(config["n_layers"])):
            layers += [nn.Linear(width, config["hidden_units"]), nn.ReLU()]
            if config["dropout"] > 0:
                layers.append(nn.Dropout(config["dropout"]))
            width = config["hidden_units"]
        layers.append(nn.Linear(width, n_outputs))
        return nn.Sequential(*layers)


class TorchCNNTool(TorchTool):
    name = "torch_cnn"
    family = "convolutional network (PyTorch)"
    description = (
        "Small convolutional network for images (two convolution blocks, pooling, a linear "
        "head), trained with AdamW; runs on a GPU when there is one. Rows are reshaped to "
        "the dataset's image_shape (or to a square single-channel image). channels sets "
        "width and capacity; kernel_size the receptive field; dropout and weight_decay "
        "regularize; learning_rate (log scale) matters most. Validation is scored every "
        "epoch so bad runs are pruned early."
    )
    tasks = frozenset({"classification"})
    _defaults: ClassVar[Mapping[str, Any]] = {
        "channels": 32,
        "kernel_size": 3,
        "dropout": 0.25,
        "learning_rate": 1e-3,
        "weight_decay": 1e-2,  # AdamW's default
        "batch_size": 64,
        "epochs": 15,
    }

    def search_space(self, task: Task) -> SearchSpace:
        self._check_task(task)
        return SearchSpace.of(
            IntParam(name="channels", low=8, high=64, log=True),
            CategoricalParam(name="kernel_size", choices=(3, 5)),
            FloatParam(name="dropout", low=0.0, high=0.5),
            *_optimizer_params(),
            IntParam(name="epochs", low=3, high=60, log=True),
        )

    def _input_stats(self, X: np.ndarray, data: Dataset) -> tuple[np.ndarray, np.ndarray]:
        channels, height, width = image_shape(data)
        per_channel = X.reshape(len(X), channels, height * width)
        mean = np.nanmean(per_channel, axis=(0, 2)) if len(X) else np.zeros(channels)
        std = np.nanstd(per_channel, axis=(0, 2)) if len(X) else np.ones(channels)
        std = np.where(std > 0, std, 1.0)
        return np.repeat(mean, height * width), np.repeat(std, height * width)

    def _shape_inputs(self, X: np.ndarray, data: Dataset) -> np.ndarray:
        return X.reshape(len(X), *image_shape(data))

    def _network(self, data: Dataset, config: Mapping[str, Any], n_outputs: int) -> Any:
        from torch import nn

        in_channels, height, _ = image_shape(data)
        channels = int(config["channels"])
        kernel = int(config["kernel_size"])
        pad = kernel // 2
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, channels, kernel, padding=pad),
            nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, kernel, padding=pad),
            nn.ReLU(),
        ]
        if height >= 4:
            layers.append(nn.MaxPool2d(2))
        layers += [
            nn.AdaptiveAvgPool2d(2),
            nn.Flatten(),
            nn.Dropout(config["dropout"]),
            nn.Linear(2 * channels * 4, n_outputs),
        ]
        return nn.Sequential(*layers)


def image_shape(data: Dataset) -> tuple[int, int, int]:
    """``data.image_shape``, or a single-channel square when the feature count is one.

    >>> import numpy as np
    >>> image_shape(Dataset.from_arrays(np.zeros((2, 64)), [0, 1]))
    (1, 8, 8)
    """
    if data.image_shape is not None:
        return data.image_shape
    side = math.isqrt(data.n_features)
    if side * side != data.n_features:
        raise ToolError(
            f"cannot read {data.n_features} features as an image; build the Dataset with "
            "image_shape=(channels, height, width)"
        )
    return (1, side, side)


TORCH_TOOLS: tuple[type[TorchTool], ...] = (TorchMLPTool, TorchCNNTool)
