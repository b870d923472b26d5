"""The Keras Tuner example's `model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
metrics=["accuracy"])` and `model.fit(..., batch_size=32, shuffle=True)`, in PyTorch with Keras' math.

* the optimizer: `tkl.optimizers.keras_adam` (Keras' defaults, lr 1e-3 and epsilon 1e-7, and Keras'
  placement of epsilon);
* `tkl.losses.sparse_categorical_crossentropy`: Keras' loss on probabilities (clip to [1e-7, 1 - 1e-7]);
* :func:`fit` / :func:`evaluate`: shuffled mini-batches each epoch (last partial batch kept), per-epoch
  `loss`/`accuracy`/`val_loss`/`val_accuracy` like Keras' History, regularization losses added and
  constraints applied as Keras does.
"""

from __future__ import annotations

import contextlib
import math
from typing import Callable

import torch
from tqdm.auto import tqdm

import torchkeras_layers as tkl
from torchkeras_layers.losses import sparse_categorical_crossentropy

from . import interrupt


def _autocast(device: torch.device, amp: bool):
    if not amp:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=amp_dtype(device))


def amp_dtype(device: torch.device) -> torch.dtype:
    """bfloat16 where supported (no loss scaling needed), else float16."""
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        return torch.float16
    return torch.bfloat16


@torch.no_grad()
def evaluate(model, x: torch.Tensor, y: torch.Tensor, *, batch_size: int = 1024,
             amp: bool = False) -> tuple[float, float]:
    """(mean loss, accuracy) over `x`, in inference mode (Keras' `evaluate`; the batch size only
    changes speed, not the result)."""
    model.eval()
    total_loss = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device, dtype=torch.long)
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        with _autocast(x.device, amp):
            probs = model(xb)
        total_loss += sparse_categorical_crossentropy(probs, yb).sum()
        correct += (probs.argmax(dim=-1) == yb).sum()
    n = max(len(x), 1)
    return total_loss.item() / n, correct.item() / n


def fit(model, optimizer, data, *, epochs: int, batch_size: int = 32, generator: torch.Generator | None = None,
        amp: bool = False, on_epoch_end: Callable[[int, dict], None] | None = None,
        progress: bool = True, description: str = "") -> dict[str, list[float]]:
    """Keras' `fit(x_train, y_train, epochs, batch_size, validation_data=(x_val, y_val), shuffle=True)`.

    `on_epoch_end(epoch, logs)` runs after each epoch's validation (Keras callbacks' 0-based `epoch`);
    it may raise (pruning) to stop training. Returns the History dict.
    """
    x, y = data.x_train, data.y_train
    device = x.device
    n = len(x)
    scaler = torch.amp.GradScaler(device.type, enabled=amp and amp_dtype(device) == torch.float16)
    history: dict[str, list[float]] = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    steps = math.ceil(n / batch_size)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(n, generator=generator).to(device)
        total_loss = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        bar = tqdm(range(steps), desc=f"{description}epoch {epoch + 1}/{epochs}", leave=False,
                   disable=None if progress else True, unit="batch")
        for step in bar:
            interrupt.check()  # Ctrl-C stops between two batches
            index = order[step * batch_size:(step + 1) * batch_size]
            xb, yb = x[index], y[index]
            with _autocast(device, amp):
                probs = model(xb)
            per_sample = sparse_categorical_crossentropy(probs, yb)
            loss = per_sample.mean() + tkl.regularization_loss(model)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            with torch.no_grad():
                total_loss += per_sample.detach().sum()
                correct += (probs.detach().argmax(dim=-1) == yb).sum()
        bar.close()
        val_loss, val_accuracy = evaluate(model, data.x_val, data.y_val, amp=amp)
        logs = {"loss": total_loss.item() / n, "accuracy": correct.item() / n,
                "val_loss": val_loss, "val_accuracy": val_accuracy}
        for key, value in logs.items():
            history[key].append(value)
        if on_epoch_end is not None:
            on_epoch_end(epoch, logs)
    return history


def train_model(build: Callable, hp, data, *, epochs: int, batch_size: int, seed: int, device: torch.device,
                amp: bool = False, compile: bool = False, on_epoch_end: Callable[[int, dict], None] | None = None,
                progress: bool = True, description: str = ""):
    """Build `build(hp)` with weights drawn from `seed`, train it like the Keras Tuner example's `fit`, and return
    `(model, history, best_epoch)` where `model` holds the weights of its best `val_accuracy` epoch
    (the first one on ties: the checkpoint Keras Tuner keeps for `get_best_models`)."""
    from .model import built

    torch.manual_seed(seed)
    model = built(build(hp), device)
    optimizer = tkl.optimizers.keras_adam(model.parameters())
    tkl.constrain(optimizer, model)
    runner = torch.compile(model, fullgraph=True) if compile else model
    best = {"epoch": -1, "val_accuracy": -math.inf, "state": None}

    def epoch_end(epoch: int, logs: dict) -> None:
        if logs["val_accuracy"] > best["val_accuracy"]:
            best.update(epoch=epoch, val_accuracy=logs["val_accuracy"],
                        state={k: v.detach().clone() for k, v in model.state_dict().items()})
        if on_epoch_end is not None:
            on_epoch_end(epoch, logs)

    history = fit(runner, optimizer, data, epochs=epochs, batch_size=batch_size,
                  generator=torch.Generator().manual_seed(seed), amp=amp, on_epoch_end=epoch_end,
                  progress=progress, description=description)
    model.load_state_dict(best["state"])
    return model, history, best["epoch"]
