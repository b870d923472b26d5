"""Routes for MaxPooling2D on channel-last input (CPU), checked against Keras and timed against it.

``python -m benchmarks.pool_routes [--threads 2] [--shape 64,32,32,64] [--pool 3] [--strides 2] [--padding same]``

The per-layer table's MaxPooling2D row (3/2 'same', 64x32x32x64) is where torch's kernel loses to
TensorFlow's oneDNN pooling. Routes, from NHWC input to NHWC output:

* ``keras_tf`` -- ``keras.layers.MaxPooling2D`` inside ``tf.function`` (the reference and the target);
* ``eager`` -- our layer, eagerly: torch's kernel (``F.max_pool2d`` on the channels_last view);
* ``inductor_aten`` -- plain torch (``F.pad`` with -inf, ``F.max_pool2d``) under ``torch.compile``: inductor's
  own lowering of torch's pooling;
* ``compiled`` -- our layer under ``torch.compile``: ``ops.window_max`` (maxima of strided views, a
  gather backward), which ``ops.pooling.max_pool`` runs while inductor traces on the CPU.

Each route's output and input gradient (for a fixed random cotangent) are compared with Keras' within
the float32 tolerances of ``torchkeras_layers/_tolerances.py`` before it is timed: forward without
gradients, and forward + backward, as medians of interleaved rounds (compiles happen before timing).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics

import numpy as np

from .conv_routes import _median_time


def _keras(x: np.ndarray, rng: np.random.Generator, pool: int, strides: int, padding: str):
    """A random cotangent; Keras' output and input gradient for it, and its forward / forward+backward
    calls inside tf.function."""
    import keras
    import tensorflow as tf

    layer = keras.layers.MaxPooling2D(pool, strides, padding=padding)
    tx = tf.constant(x)
    forward = tf.function(lambda t: layer(t))
    output = np.asarray(forward(tx))
    cotangent = rng.standard_normal(output.shape).astype(np.float32)
    tc = tf.constant(cotangent)

    @tf.function
    def train(t):
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = layer(t)
        return tape.gradient(y, t, output_gradients=tc)

    return cotangent, output, np.asarray(train(tx)), lambda: forward(tx), lambda: train(tx)


def _torch_routes(x: np.ndarray, cotangent: np.ndarray, pool: int, strides: int, padding: str):
    """name -> (forward call, forward + backward call returning the input gradient), torch routes."""
    import torch
    import torch.nn.functional as F

    import torchkeras_layers as tkl
    from torchkeras_layers.ops.padding import torch_pad_arg, window_paddings

    xt = torch.from_numpy(x).requires_grad_()
    ct = torch.from_numpy(cotangent)
    layer = tkl.MaxPooling2D(pool, strides, padding=padding)
    layer(xt)  # build
    # Plain torch: -inf padding where Keras pads ('same'), then torch's pooling.
    pads = window_paddings(padding, x.shape[1:3], (pool, pool), (strides, strides))

    def plain(t):
        padded = F.pad(t.permute(0, 3, 1, 2), torch_pad_arg(pads), value=-math.inf)
        return F.max_pool2d(padded, pool, strides).permute(0, 2, 3, 1)

    modules = {"eager": layer, "inductor_aten": torch.compile(plain, fullgraph=True),
               "compiled": torch.compile(layer, fullgraph=True)}

    def routes(fn):
        def forward():
            with torch.no_grad():
                return fn(xt)

        def train():
            xt.grad = None
            fn(xt).backward(ct)
            return xt.grad
        return forward, train

    return {name: routes(fn) for name, fn in modules.items()}


def _shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(v) for v in text.split(","))
    except ValueError:
        shape = ()
    if len(shape) != 4 or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"expected N,H,W,C (4 positive integers), got {text!r}")
    return shape


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pool_routes", description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--shape", type=_shape, default=(64, 32, 32, 64), help="N,H,W,C")
    parser.add_argument("--pool", type=int, default=3)
    parser.add_argument("--strides", type=int, default=2)
    parser.add_argument("--padding", choices=("valid", "same"), default="same")
    parser.add_argument("--seconds", type=float, default=0.3, help="timed seconds per route per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    except RuntimeError:  # TensorFlow already ran in this process (a test session): its threads stay, printed below
        pass
    import torch

    import torchkeras_layers as tkl
    from torchkeras_layers._tolerances import FORWARD, GRADIENT, compare_arrays

    torch.set_num_threads(args.threads)
    tkl.runtime.retain_freed_memory()  # as the benchmark workers: no page faults per call
    shape = args.shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    cotangent, expected, expected_grad, *keras_calls = _keras(x, rng, args.pool, args.strides, args.padding)
    calls = {"keras_tf": tuple(keras_calls), **_torch_routes(x, cotangent, args.pool, args.strides, args.padding)}
    for name, (forward, train) in list(calls.items())[1:]:
        _, out_ratio = compare_arrays(forward().numpy(), expected, **FORWARD["float32"])
        train()  # the first call compiles the training graphs
        _, grad_ratio = compare_arrays(train().numpy(), expected_grad, **GRADIENT["float32"])
        if not (out_ratio <= 1.0 and grad_ratio <= 1.0):
            print(f"{name} MISMATCH vs Keras: output {out_ratio:.3g}x, input gradient {grad_ratio:.3g}x the float32 "
                  f"tolerance")
            return 1
    times = {(name, mode): [] for name in calls for mode in (0, 1)}
    for _ in range(args.rounds):  # interleaved rounds: load changes hit every route alike
        for name, mode in times:
            times[name, mode].append(_median_time(calls[name][mode], args.seconds))
    ms = {key: statistics.median(values) * 1e3 for key, values in times.items()}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; tensorflow {tf.__version__}, "
          f"{tf.config.threading.get_intra_op_parallelism_threads() or 'default'} intra-op threads; load average "
          f"{[round(v, 2) for v in os.getloadavg()]}")
    print(f"\nMaxPooling2D({args.pool}, {args.strides}, padding={args.padding!r}) on {'x'.join(map(str, shape))} "
          f"(NHWC), outputs and input gradients equal to Keras' within float32 tolerance\n")
    print("| route | forward ms | / Keras TF | fwd+bwd ms | / Keras TF |")
    print("|---|---|---|---|---|")
    for name in calls:
        print(f"| {name} | {ms[name, 0]:.3f} | {ms[name, 0] / ms['keras_tf', 0]:.2f} | {ms[name, 1]:.3f} | "
              f"{ms[name, 1] / ms['keras_tf', 1]:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
