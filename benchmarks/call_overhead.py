"""What a small layer's call costs beyond its kernel: a loop of calls of ours against the torch module that
runs the same kernel (CPU).

``python -m benchmarks.call_overhead [--calls 1000] [--rounds 7] [--threads 1]``

Each row is one layer on a tiny input, where the kernel takes about a microsecond and the rest is the
call: ours (`Layer.__call__`: the first-call build, input checks, the dtype policy's cast, then
`nn.Module.__call__` and `forward`) against `nn.Linear`, `nn.Conv2d` (channels_last), `nn.BatchNorm2d`
(channels_last, inference) and `nn.ReLU`, holding the same weights. The outputs are compared within the
float32 forward tolerance before timing; each round times `--calls` calls in a loop, with and without
autograd recording; medians of interleaved rounds, in µs per call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def _pairs():
    """(label, ours, theirs, input): the same computation, the same weights."""
    import torch
    from torch import nn

    import torchkeras_layers as tkl

    torch.manual_seed(0)
    x2 = torch.randn(8, 16)
    x4 = torch.randn(8, 4, 4, 16)
    nchw = x4.permute(0, 3, 1, 2)  # the channels_last view torch's modules take

    dense, linear = tkl.Dense(16), nn.Linear(16, 16)
    dense(x2)
    kernel, bias = (torch.from_numpy(w) for w in dense.get_weights())  # Keras' (in, out) layout
    with torch.no_grad():
        linear.weight.copy_(kernel.T)
        linear.bias.copy_(bias)

    conv, torch_conv = tkl.Conv2D(16, 3, padding="same"), nn.Conv2d(16, 16, 3, padding=1)
    conv(x4)
    torch_conv = torch_conv.to(memory_format=torch.channels_last)
    kernel, bias = (torch.from_numpy(w) for w in conv.get_weights())  # Keras' (kh, kw, in, out) layout
    with torch.no_grad():
        torch_conv.weight.copy_(kernel.permute(3, 2, 0, 1))
        torch_conv.bias.copy_(bias)

    bn, torch_bn = tkl.BatchNormalization(), nn.BatchNorm2d(16, eps=1e-3)
    bn(x4)
    with torch.no_grad():
        for ours, theirs in ((bn.gamma, torch_bn.weight), (bn.beta, torch_bn.bias),
                             (bn.moving_mean, torch_bn.running_mean), (bn.moving_variance, torch_bn.running_var)):
            ours.copy_(torch.rand_like(ours) + 0.5)
            theirs.copy_(ours)
    bn.eval(), torch_bn.eval()

    relu = tkl.ReLU()
    return [
        ("Dense(16), (8, 16)", dense, linear, x2, x2),
        ("Conv2D(16, 3, 'same'), (8, 4, 4, 16)", conv, torch_conv, x4, nchw),
        ("BatchNormalization, inference, (8, 4, 4, 16)", bn, torch_bn, x4, nchw),
        ("ReLU, (8, 16)", relu, nn.ReLU(), x2, x2),
    ]


def _loop_time(module, x, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        module(x)
    return (time.perf_counter() - started) / calls * 1e6


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.call_overhead", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000, help="calls per timed loop (default 1000)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1, help="default 1: the call, not the kernel, is measured")
    args = parser.parse_args(argv)
    import torch

    from torchkeras_layers._tolerances import FORWARD, compare_arrays

    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); load average "
          f"{[round(v, 2) for v in os.getloadavg()]}; {args.calls} calls per loop, median of {args.rounds} rounds")
    print("\n| layer, input | torch module | ours µs/call (no_grad) | torch | ours / torch "
          "| ours µs/call (autograd) | torch | ours / torch |")
    print("|---|---|---|---|---|---|---|---|")
    for label, ours, theirs, x, x_theirs in _pairs():
        with torch.no_grad():
            got, expected = ours(x), theirs(x_theirs)
            if expected.dim() == 4:
                expected = expected.permute(0, 2, 3, 1)
            _, ratio = compare_arrays(got.numpy(), expected.numpy(), **FORWARD["float32"])
        if not ratio <= 1.0:
            print(f"{label}: ours and {type(theirs).__name__} disagree ({ratio:.3g}x the float32 tolerance)")
            return 1
        times = {(who, grad): [] for who in ("ours", "torch") for grad in (False, True)}
        for _ in range(args.rounds):  # interleaved: load changes hit both alike
            for who, grad in times:
                with torch.set_grad_enabled(grad):
                    module, inputs = (ours, x) if who == "ours" else (theirs, x_theirs)
                    _loop_time(module, inputs, max(1, args.calls // 10))  # warm
                    times[who, grad].append(_loop_time(module, inputs, args.calls))
        us = {key: statistics.median(values) for key, values in times.items()}
        print(f"| {label} | {type(theirs).__name__} | {us['ours', False]:.2f} | {us['torch', False]:.2f} | "
              f"{us['ours', False] / us['torch', False]:.2f} | {us['ours', True]:.2f} | {us['torch', True]:.2f} | "
              f"{us['ours', True] / us['torch', True]:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
