"""Where a 1x1 Conv2D on channel-last input is faster as a GEMM than as oneDNN's convolution (CPU).

``python -m benchmarks.pointwise_routes [--threads 2] [--sizes 2,4,8,11,12,16,32] [--channels 64:256,256:64,128:128]``

Each row is a batch of 8 at HxH positions, C -> F channels, no bias. Two routes from NHWC input to NHWC
output, the functions the layer calls: ``conv`` (``ops.convolution.conv``, ``F.conv2d`` on the channels_last
view, above ``ops.convolution.POINTWISE_GEMM_MAX_ROWS`` positions) and ``gemm``
(``ops.convolution.pointwise_conv_channels_last``, ``F.linear`` over the (positions, channels) buffer, up to
them). Each route's output is compared with ``keras.layers.Conv2D`` on TensorFlow within the float32 forward
tolerance before it is timed, forward (no grad) and forward + backward (gradients of input and kernel), as
medians of interleaved rounds.
"""

from __future__ import annotations

import argparse
import os
import statistics

import numpy as np

from .conv_routes import _median_time

BATCH = 8


def _route_times(x: np.ndarray, kernel: np.ndarray, reference: np.ndarray, seconds: float, rounds: int):
    """{(route, mode): median ms} for one shape; None (after saying why) when a route disagrees with Keras."""
    import torch

    from torchkeras_layers._tolerances import FORWARD, compare_arrays
    from torchkeras_layers.ops.convolution import conv, pointwise_conv_channels_last
    from torchkeras_layers.ops.layout import from_channels_first, to_channels_first

    xt = torch.from_numpy(x).requires_grad_()
    weight = torch.from_numpy(kernel).permute(3, 2, 0, 1).contiguous(memory_format=torch.channels_last)
    weight.requires_grad_()
    no_padding = ((0, 0), (0, 0))
    # The two functions the layer runs, on the views it passes them.
    routes = {"conv": lambda: from_channels_first(conv(to_channels_first(xt, "channels_last"), weight, None, (1, 1),
                                                       no_padding, (1, 1)), "channels_last", 2),
              "gemm": lambda: pointwise_conv_channels_last(xt, weight, None)}
    for name, run in routes.items():
        with torch.no_grad():
            _, ratio = compare_arrays(run().numpy(), reference, **FORWARD["float32"])
        if not ratio <= 1.0:
            print(f"{name} MISMATCH vs Keras at {x.shape}: {ratio:.3g}x the float32 tolerance")
            return None

    def forward(run):
        def call():
            with torch.no_grad():
                run()
        return call

    def train(run):
        def call():
            xt.grad = weight.grad = None
            run().sum().backward()
        return call

    times = {(name, mode): [] for name in routes for mode in ("forward", "train")}
    for _ in range(rounds):  # interleaved rounds: load changes hit every route alike
        for name, mode in times:
            times[name, mode].append(_median_time((forward if mode == "forward" else train)(routes[name]), seconds))
    return {key: statistics.median(values) * 1e3 for key, values in times.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pointwise_routes",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--sizes", default="2,4,8,11,12,16,32", help="spatial sizes H (positions 8*H*H)")
    parser.add_argument("--channels", default="64:256,256:64,128:128", help="C:F pairs")
    parser.add_argument("--seconds", type=float, default=0.2, help="timed seconds per route per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras  # the reference only: TensorFlow is not timed here, so its threads are left as they are
    import torch

    import torchkeras_layers as tkl
    from torchkeras_layers.ops.convolution import POINTWISE_GEMM_MAX_ROWS

    torch.set_num_threads(args.threads)
    tkl.runtime.retain_freed_memory()  # as the model benchmarks and the tuning workers: no page faults per call
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; load average "
          f"{[round(v, 2) for v in os.getloadavg()]}; the layer's GEMM route up to {POINTWISE_GEMM_MAX_ROWS} positions")
    print("\n| positions | C -> F | forward conv ms | gemm / conv | fwd+bwd conv ms | gemm / conv |")
    print("|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for pair in args.channels.split(","):
        cin, cout = (int(v) for v in pair.split(":"))
        for size in (int(v) for v in args.sizes.split(",")):
            x = rng.standard_normal((BATCH, size, size, cin)).astype(np.float32)
            kernel = (rng.uniform(-1, 1, (1, 1, cin, cout)) / np.sqrt(cin)).astype(np.float32)
            keras_layer = keras.layers.Conv2D(cout, 1, use_bias=False)
            keras_layer.build(x.shape)
            keras_layer.set_weights([kernel])
            reference = np.asarray(keras_layer(x))
            ms = _route_times(x, kernel, reference, args.seconds, args.rounds)
            if ms is None:
                return 1
            print(f"| {BATCH * size * size} | {cin} -> {cout} | {ms['conv', 'forward']:.3f} | "
                  f"{ms['gemm', 'forward'] / ms['conv', 'forward']:.2f} | {ms['conv', 'train']:.3f} | "
                  f"{ms['gemm', 'train'] / ms['conv', 'train']:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
