"""What changes while inductor traces a CPU training graph, and why.

Inductor's min-cut partitioner saves, for the backward, the tensors that take the fewest bytes. For a
rectifier whose output is not kept anyway (a ReLU before a max pooling, a ReLU6 before a depthwise
convolution's ...), that is its bool mask ``x <= 0``, 1 byte per element against the output's 4, and
torch 2.13's CPU inductor writes bools element by element: ``torch.compile(lambda x: x > 0)`` on
32x28x28x64 takes 8.6 ms where ``relu`` takes 0.37 (`VecMask<float>::store(bool*)` converts through a
generic path). The CIFAR CNN's compiled training step spent two thirds of its time there.

So, while inductor traces a CPU graph that records gradients (`traced_for_cpu_training`), the
rectifiers here compute their gradient mask from their output *and the incoming gradient*
(`zero_from`): the mask then cannot be computed in the forward graph, and the partitioner saves the
float output instead. The gradient is torch's, bit for bit (the same selects on the same values).
Dropout's mask is drawn as a float (`dropout`), for the same reason.
Eager mode, CUDA, inference graphs (so that inductor's freezing still fuses convolution + ReLU) and
`torch.export` (ONNX keeps `Relu`) run torch's own op.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["TRAINING_COMPILE_OPTIONS", "traced_for_cpu", "traced_for_cpu_training", "zero_from", "relu", "relu6",
           "leaky_relu", "dropout"]

# `torch.compile(..., options=TRAINING_COMPILE_OPTIONS)` for training graphs of channels-last models.
# Inductor's layout optimization gives every 4-D tensor upstream of a convolution torch's channels_last
# stride order, reading dim 1 as the channels: an (N, H, W, C) activation between two layers is laid out
# (N, W, C, H), gathered by the fused kernels and copied (or passed strided) to the convolutions. Our
# convolutions already get channels_last memory (the (N, C, H, W) views of channels-last tensors), so it
# has nothing to gain; in training it cost MobileNetV2 a quarter of its step (docs/benchmarks.md,
# "Compiled training: inductor's layout optimization"). Inference graphs with `freezing` keep it.
TRAINING_COMPILE_OPTIONS = {"layout_optimization": False}


def traced_for_cpu(x: torch.Tensor) -> bool:
    """Whether torch.compile traces `x`, a CPU float tensor, for a backend (not for `torch.export`)."""
    return (torch.compiler.is_compiling() and not torch.compiler.is_exporting() and x.device.type == "cpu"
            and x.is_floating_point())


def traced_for_cpu_training(x: torch.Tensor) -> bool:
    """`traced_for_cpu`, in a graph that records `x`'s gradient."""
    return traced_for_cpu(x) and x.requires_grad and torch.is_grad_enabled()


def zero_from(grad: torch.Tensor) -> torch.Tensor:
    """Zeros computed from the gradient's bits (exact for any value, NaN and inf included). Added to a
    saved float tensor, they make the masks computed from it depend on the gradient, so that the
    partitioner cannot move them into the forward graph and save them as bools (`window_max`'s offsets:
    a MaxPooling2D(2) training step on 32x28x28x64 took 7.4 ms with bool masks, 0.7 with this)."""
    bits = {1: torch.int8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[grad.element_size()]
    return grad.view(bits) & 0


class _FromOutput(torch.autograd.Function):
    """A rectifier whose backward reads its (saved) output and the gradient; subclasses give both."""

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.arguments = inputs[1:]


class _Relu(_FromOutput):
    @staticmethod
    def forward(x):
        return F.relu(x)

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return torch.where(y + zero_from(grad) <= 0, 0, grad)  # torch's threshold_backward(grad, y, 0)


class _Relu6(_FromOutput):
    @staticmethod
    def forward(x):
        return F.relu6(x)

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        y = y + zero_from(grad)
        # torch's hardtanh_backward(grad, x, 0, 6) on the output (0 < y < 6 iff 0 < x < 6), as its
        # vectorised CPU kernel (and tf.nn.relu6's gradient) computes it: no gradient to a NaN.
        return torch.where((y > 0) & (y < 6), grad, 0)


class _LeakyRelu(_FromOutput):
    @staticmethod
    def forward(x, negative_slope):
        return F.leaky_relu(x, negative_slope)

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        (negative_slope,) = ctx.arguments
        # torch's leaky_relu_backward(grad, x, slope): y > 0 iff x > 0 for a positive slope.
        return torch.where(y + zero_from(grad) > 0, grad, grad * negative_slope), None


class _ScaleByMask(torch.autograd.Function):
    """``x * keep`` for a float dropout mask `keep` (saved, the input is not)."""

    @staticmethod
    def forward(x, keep):
        return x * keep

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[1])

    @staticmethod
    def backward(ctx, grad):
        (keep,) = ctx.saved_tensors
        return grad * (keep + zero_from(grad)), None


def relu(x: torch.Tensor) -> torch.Tensor:
    return _Relu.apply(x) if traced_for_cpu_training(x) else F.relu(x)


def relu6(x: torch.Tensor) -> torch.Tensor:
    return _Relu6.apply(x) if traced_for_cpu_training(x) else F.relu6(x)


def leaky_relu(x: torch.Tensor, negative_slope: float) -> torch.Tensor:
    if negative_slope > 0 and traced_for_cpu_training(x):
        return _LeakyRelu.apply(x, negative_slope)
    return F.leaky_relu(x, negative_slope)


def dropout(x: torch.Tensor, rate: float, noise_shape: tuple) -> torch.Tensor:
    """Inverted dropout for a compiled CPU training graph (`traced_for_cpu_training`), with a mask of
    `noise_shape` (broadcast against `x`). The mask is made without a comparison, ``floor(u + 1 - rate)``
    for ``u ~ U[0, 1)`` (1 with probability ``1 - rate``), so that no bool exists to be saved: a random
    draw cannot be recomputed in the backward, and the partitioner keeps a float. (`F.dropout` compiles
    to ``rand > rate``, saved as bools.) The draws are inductor's, as any compiled dropout's."""
    keep = torch.floor(torch.rand(noise_shape, dtype=torch.float32, device=x.device) + (1.0 - rate))
    return _ScaleByMask.apply(x, (keep * (1.0 / (1.0 - rate))).to(x.dtype))
