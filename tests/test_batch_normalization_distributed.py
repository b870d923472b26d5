"""`synchronized=True` over torch.distributed: four CPU processes (gloo) that each see an uneven part of
the batch (1, 2, 3 and 4 samples) must produce what batch norm over the full batch produces: outputs,
input gradients, gamma/beta gradients (summed over ranks) and the moving statistics after several steps.

The full-batch expectation is computed here with torch's `F.batch_norm` / `torch.var_mean` (and the
Keras masked-moments formula for the masked case), not with our layer.
"""

import os
import subprocess
import sys
import tempfile

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from torchkeras_layers._tolerances import FORWARD, GRADIENT, STATE
from torchkeras_layers.layers import BatchNormalization

SPLITS = (1, 2, 3, 4)  # samples per rank: uneven, so mean-of-means would be wrong
WORLD_SIZE = len(SPLITS)
STEPS = 3
MOMENTUM = 0.8
EPS = 1e-3
SHAPE = (sum(SPLITS), 3, 4, 5)  # NHWC


def _data(masked: bool):
    gen = torch.Generator().manual_seed(0)
    inputs = [torch.randn(SHAPE, generator=gen) * 2 + 0.5 for _ in range(STEPS)]
    cotangents = [torch.randn(SHAPE, generator=gen) for _ in range(STEPS)]
    masks = [torch.rand(SHAPE[:-1], generator=gen) < 0.7 for _ in range(STEPS)] if masked else [None] * STEPS
    channels = SHAPE[-1]
    weights = {"gamma": torch.rand(channels, generator=gen) + 0.5, "beta": torch.randn(channels, generator=gen),
               "moving_mean": torch.randn(channels, generator=gen),
               "moving_variance": torch.rand(channels, generator=gen) + 0.5}
    return inputs, cotangents, masks, weights


def _rank_main(rank, init_method, out_dir):
    dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=WORLD_SIZE)
    for masked in (False, True):  # one spawn for both cases: process start-up dominates the run time
        _run_steps(rank, masked, out_dir)
    # Torch's teardown, after a barrier: no rank destroys its gloo context while a peer's last
    # collective may still use it (see docs/notes/normalization.md, "Distributed teardown").
    dist.barrier()
    dist.destroy_process_group()


def _run_steps(rank, masked, out_dir):
    inputs, cotangents, masks, weights = _data(masked)
    layer = BatchNormalization(momentum=MOMENTUM, epsilon=EPS, synchronized=True)
    layer.build((None,) + SHAPE[1:])
    layer.set_weights([weights[k].numpy() for k in ("gamma", "beta", "moving_mean", "moving_variance")])
    results = []
    for x, cot, mask in zip(inputs, cotangents, masks):
        local = x.split(SPLITS)[rank].clone().requires_grad_()
        call = {"training": True} if mask is None else {"training": True, "mask": mask.split(SPLITS)[rank]}
        out = layer(local, **call)
        layer.zero_grad()
        out.backward(cot.split(SPLITS)[rank])
        results.append({"out": out.detach(), "dx": local.grad, "dgamma": layer.gamma.grad.clone(),
                        "dbeta": layer.beta.grad.clone()})
    torch.save({"steps": results, "state": {k: v.clone() for k, v in layer.state_dict().items()}},
               os.path.join(out_dir, f"rank{rank}-masked{masked}.pt"))


def _expected(masked: bool):
    """Full-batch Keras semantics, computed with torch primitives."""
    inputs, cotangents, masks, weights = _data(masked)
    moving_mean, moving_var = weights["moving_mean"].clone(), weights["moving_variance"].clone()
    steps = []
    for x, cot, mask in zip(inputs, cotangents, masks):
        x = x.clone().requires_grad_()
        gamma = weights["gamma"].clone().requires_grad_()
        beta = weights["beta"].clone().requires_grad_()
        if mask is None:
            out = F.batch_norm(x.permute(0, 3, 1, 2), None, None, gamma, beta, True, 0.0, EPS).permute(0, 2, 3, 1)
            var, mean = torch.var_mean(x.detach(), dim=(0, 1, 2), correction=0)
        else:  # Keras 3: mean = sum(m*x)/(sum(m)+1e-7), var likewise; masked positions still normalised
            m = mask[..., None].expand(x.shape).to(x.dtype)
            count = m.sum((0, 1, 2)) + 1e-7
            mean_t = (m * x).sum((0, 1, 2)) / count
            var_t = (m * (x - mean_t) ** 2).sum((0, 1, 2)) / count
            out = (x - mean_t) / torch.sqrt(var_t + EPS) * gamma + beta
            mean, var = mean_t.detach(), var_t.detach()
        out.backward(cot)
        steps.append({"out": out.detach(), "dx": x.grad, "dgamma": gamma.grad, "dbeta": beta.grad})
        moving_mean = moving_mean * MOMENTUM + mean * (1 - MOMENTUM)
        moving_var = moving_var * MOMENTUM + var * (1 - MOMENTUM)
    return steps, moving_mean, moving_var


def _spawn_ranks(out_dir: str) -> None:
    mp.spawn(_rank_main, args=("file://" + os.path.join(out_dir, "store"), out_dir), nprocs=WORLD_SIZE, join=True)


@pytest.fixture(scope="module")
def rank_results():
    if not dist.is_available():
        pytest.skip("torch.distributed is not available in this build")
    with tempfile.TemporaryDirectory() as tmp:
        # The ranks are spawned from a fresh interpreter (this file run as a script), not from the
        # pytest worker with whatever state earlier tests left in it.
        subprocess.run([sys.executable, __file__, tmp], check=True, timeout=200)
        return {masked: [torch.load(os.path.join(tmp, f"rank{r}-masked{masked}.pt")) for r in range(WORLD_SIZE)]
                for masked in (False, True)}


@pytest.mark.timeout(240)
@pytest.mark.parametrize("masked", [False, True])
def test_uneven_rank_batches_equal_the_full_batch(rank_results, masked):
    ranks = rank_results[masked]
    expected_steps, moving_mean, moving_var = _expected(masked)
    for step, expected in enumerate(expected_steps):
        got = [rank["steps"][step] for rank in ranks]
        torch.testing.assert_close(torch.cat([g["out"] for g in got]), expected["out"], **FORWARD["float32"])
        torch.testing.assert_close(torch.cat([g["dx"] for g in got]), expected["dx"], **GRADIENT["float32"])
        # Each rank holds its local contribution to dgamma/dbeta; DDP would sum (average) them.
        torch.testing.assert_close(sum(g["dgamma"] for g in got), expected["dgamma"], **GRADIENT["float32"])
        torch.testing.assert_close(sum(g["dbeta"] for g in got), expected["dbeta"], **GRADIENT["float32"])
    for rank in ranks:  # every rank ends with the same, full-batch moving statistics
        torch.testing.assert_close(rank["state"]["moving_mean"], moving_mean, **STATE["float32"])
        torch.testing.assert_close(rank["state"]["moving_variance"], moving_var, **STATE["float32"])


def test_synchronized_without_process_group_is_plain_batch_norm():
    x = torch.randn(SHAPE)
    plain, synced = BatchNormalization(), BatchNormalization(synchronized=True)
    torch.testing.assert_close(synced(x, training=True), plain(x, training=True), rtol=0, atol=0)
    torch.testing.assert_close(synced.moving_variance, plain.moving_variance, rtol=0, atol=0)


if __name__ == "__main__":
    _spawn_ranks(sys.argv[1])
