"""Routes for a channel-last Conv2D + bias + ReLU with few input channels on CPU, timed and checked against Keras.

``python -m benchmarks.conv_routes [--threads 2] [--batch 32] [--kernels 3,5,7] [--seconds 1]``

The CIFAR CNN's first layer (batch 32, 32x32x3 -> 64 filters, 'valid') is where torch loses to
TensorFlow: its convolution kernels are poor at C_in = 3. Each route computes
``relu(conv2d(x_nhwc, kernel) + bias)`` from NHWC input to NHWC output (what ``Conv2D(activation="relu")``
returns) and is compared with ``keras.layers.Conv2D`` on TensorFlow within the float32 forward tolerance
of ``torchkeras_layers/_tolerances.py`` before it is timed (median of per-call times, interleaved rounds).
A route that this torch build cannot run is listed with its error.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def routes(kernel_np: np.ndarray, bias_np: np.ndarray, x_nhwc):
    """name -> (description, a zero-argument callable returning the NHWC output); built lazily, per shape."""
    import torch
    import torch.nn.functional as F

    kh, kw, cin, cout = kernel_np.shape
    kernel = torch.from_numpy(kernel_np)
    bias = torch.from_numpy(bias_np)
    w_oihw = kernel.permute(3, 2, 0, 1).contiguous()
    w_cl = w_oihw.contiguous(memory_format=torch.channels_last)
    x_view = x_nhwc.permute(0, 3, 1, 2)  # NHWC memory = an NCHW channels_last view, no copy
    found = {}

    def add(name, description):
        def register(build):
            try:
                found[name] = (description, build())
            except Exception as err:  # noqa: BLE001 -- reported as a row: this build cannot run the route
                found[name] = (description, err)
            return build
        return register

    @add("nchw", "F.conv2d on an NCHW copy of the input, output permuted back (contiguous NHWC)")
    def _():
        return lambda: F.relu(F.conv2d(x_nhwc.permute(0, 3, 1, 2).contiguous(), w_oihw, bias)).permute(0, 2, 3, 1)

    @add("channels_last", "F.conv2d on the channels_last view with channels_last weights (today's layer)")
    def _():
        return lambda: F.relu(F.conv2d(x_view, w_cl, bias)).permute(0, 2, 3, 1)

    @add("mkldnn_pointwise", "torch.ops.mkldnn._convolution_pointwise(..., 'relu'): oneDNN conv + bias + ReLU "
         "fused, weight prepacked once (mkldnn_reorder_conv2d_weight; inference only: no autograd)")
    def _():
        packed = torch._C._nn.mkldnn_reorder_conv2d_weight(w_cl.to_mkldnn(), [0, 0], [1, 1], [1, 1], 1,
                                                           list(x_view.shape))  # an opaque oneDNN tensor

        def run():
            return torch.ops.mkldnn._convolution_pointwise(x_view, packed, bias, [0, 0], [1, 1], [1, 1], 1, "relu",
                                                           [], "").permute(0, 2, 3, 1)
        return run

    @add("mkldnn_pointwise_unpacked", "torch.ops.mkldnn._convolution_pointwise(..., 'relu') with the plain "
         "channels_last weight (no prepacking)")
    def _():
        return lambda: torch.ops.mkldnn._convolution_pointwise(x_view, w_cl, bias, [0, 0], [1, 1], [1, 1], 1, "relu",
                                                               [], "").permute(0, 2, 3, 1)

    @add("im2col_addmm", "im2col from NHWC (Tensor.unfold view -> one (N*Ho*Wo, kh*kw*C) copy) + addmm + relu_: "
         "the GEMM's output is NHWC")
    def _():
        w_mat = kernel.reshape(kh * kw * cin, cout)  # Keras' (kh, kw, C, O) layout is already the GEMM's

        def run():
            n, h, w, _ = x_nhwc.shape
            ho, wo = h - kh + 1, w - kw + 1
            patches = x_nhwc.unfold(1, kh, 1).unfold(2, kw, 1)  # (N, Ho, Wo, C, kh, kw), a view
            cols = patches.permute(0, 1, 2, 4, 5, 3).reshape(n * ho * wo, kh * kw * cin)
            return torch.addmm(bias, cols, w_mat).relu_().view(n, ho, wo, cout)
        return run

    @add("F.unfold_mm", "F.unfold (NCHW im2col) + matmul, output permuted to NHWC")
    def _():
        w_mat = w_oihw.reshape(cout, -1)

        def run():
            n, _, h, w = x_view.shape
            cols = F.unfold(x_view, (kh, kw))  # (N, C*kh*kw, L)
            out = torch.matmul(w_mat, cols).add_(bias[:, None]).relu_()
            return out.view(n, cout, h - kh + 1, w - kw + 1).permute(0, 2, 3, 1)
        return run

    @add("jit_freeze", "torch.jit.trace + torch.jit.freeze + optimize_for_inference (oneDNN prepacked conv)")
    def _():
        module = _ConvRelu(w_cl, bias).eval()
        with torch.no_grad():
            frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(module, (x_nhwc,))))
        return lambda: frozen(x_nhwc)

    @add("inductor_freezing", "torch.compile (inductor) with torch._inductor.config.freezing=True, no_grad")
    def _():
        import torch._inductor.config as inductor_config

        inductor_config.freezing = True
        compiled = torch.compile(_ConvRelu(w_cl, bias).eval())
        with torch.no_grad():
            compiled(x_nhwc)  # compile outside the timing
        return lambda: compiled(x_nhwc)

    @add("inductor", "torch.compile (inductor), no freezing, no_grad")
    def _():
        import torch._inductor.config as inductor_config

        inductor_config.freezing = False
        compiled = torch.compile(_ConvRelu(w_cl, bias).eval(), dynamic=False)
        with torch.no_grad():
            compiled(x_nhwc)
        return lambda: compiled(x_nhwc)

    return found


def _conv_relu_module():
    import torch
    import torch.nn.functional as F

    class ConvRelu(torch.nn.Module):
        def __init__(self, weight, bias):
            super().__init__()
            self.weight = torch.nn.Parameter(weight.clone(memory_format=torch.channels_last), requires_grad=False)
            self.bias = torch.nn.Parameter(bias.clone(), requires_grad=False)

        def forward(self, x_nhwc):
            return F.relu(F.conv2d(x_nhwc.permute(0, 3, 1, 2), self.weight, self.bias)).permute(0, 2, 3, 1)

    return ConvRelu


def _ConvRelu(weight, bias):  # noqa: N802 -- a class factory: torch is imported lazily
    return _conv_relu_module()(weight, bias)


def keras_reference(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray):
    """Keras' Conv2D(activation='relu') on TensorFlow: its output, and its call inside tf.function."""
    import keras
    import tensorflow as tf

    layer = keras.layers.Conv2D(kernel.shape[-1], kernel.shape[:2], activation="relu")
    layer.build(x.shape)
    layer.set_weights([kernel, bias])
    tx = tf.constant(x)
    call = tf.function(lambda t: layer(t))
    return np.asarray(call(tx)), lambda: call(tx)


def _median_time(fn, seconds: float) -> float:
    fn()
    times, deadline = [], time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(times) < 5:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.conv_routes", description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--filters", type=int, default=64)
    parser.add_argument("--kernels", default="3,5,7")
    parser.add_argument("--seconds", type=float, default=0.3, help="timed seconds per route per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import torch

    from torchkeras_layers._tolerances import FORWARD, compare_arrays

    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; tensorflow {tf.__version__}; "
          f"load average {[round(v, 2) for v in os.getloadavg()]}")
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (args.batch, args.size, args.size, args.channels)).astype(np.float32)
    for k in [int(v) for v in args.kernels.split(",")]:
        limit = np.sqrt(3.0 / (k * k * args.channels))
        kernel = rng.uniform(-limit, limit, (k, k, args.channels, args.filters)).astype(np.float32)
        bias = rng.uniform(-0.1, 0.1, (args.filters,)).astype(np.float32)
        reference, keras_call = keras_reference(x, kernel, bias)
        x_t = torch.from_numpy(x)
        with torch.no_grad():
            found = routes(kernel, bias, x_t)
        print(f"\nbatch {args.batch}, {args.size}x{args.size}x{args.channels} -> {args.filters}, {k}x{k} 'valid' "
              f"+ ReLU (NHWC in and out)")
        found = {"keras_tf": ("keras.layers.Conv2D(activation='relu') in tf.function (TensorFlow, oneDNN)",
                              keras_call), **found}
        timings = {"keras_tf": []}
        for name, (_, run) in list(found.items())[1:]:
            if isinstance(run, Exception):
                print(f"  {name:26s} unavailable: {type(run).__name__}: {str(run).splitlines()[0][:120]}")
                continue
            with torch.no_grad():
                out = run().numpy()
            _, ratio = compare_arrays(out, reference, **FORWARD["float32"])
            if not ratio <= 1.0:
                print(f"  {name:26s} MISMATCH vs Keras: {ratio:.3g}x the float32 tolerance -- not timed")
                continue
            timings[name] = []
        for _ in range(args.rounds):  # interleaved rounds: load changes hit every route alike
            for name in timings:
                with torch.no_grad():
                    timings[name].append(_median_time(found[name][1], args.seconds))
        keras_ms = statistics.median(timings["keras_tf"]) * 1e3
        for name, values in timings.items():
            ms = statistics.median(values) * 1e3
            print(f"  {name:26s} {ms:7.2f} ms  ({ms / keras_ms:.2f}x Keras TF)  {found[name][0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
