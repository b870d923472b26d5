"""Conv1D, Conv2D, Conv3D against Keras: odd/even kernels, strides 1-3 with input sizes that make TF
'same' asymmetric (and stride-dependent), causal padding, dilation, groups, both data formats, LoRA,
regularizers/constraints, forward + gradients (inputs, kernel, bias)."""

from __future__ import annotations

import numpy as np

from .. import numpy_refs_pooling as refs
from ..registry import BadInput, LayerSpec, Sample


def _randomize_lora_b(layer):
    """Keras starts lora_kernel_b at zeros, which would hide the LoRA term; give it values (they reach
    our module in the keras->ours direction, and make the delta non-zero there)."""
    rng = np.random.default_rng(7)
    layer.lora_kernel_b.assign(0.3 * rng.standard_normal(tuple(layer.lora_kernel_b.shape)).astype(layer.lora_kernel_b.dtype))


def _channels_first(sample: Sample) -> list[Sample]:
    """TensorFlow's CPU Conv1D/Conv2D kernels refuse NCHW in float64 ("only supports NHWC"), so a
    channels_first sample runs against Keras in float32 and against the numpy reference in float64."""
    twin = Sample(sample.config, sample.inputs, reference=refs.conv, dtypes=("float64",), id=f"{sample.id}-numpy")
    sample.dtypes = ("float32",)
    return [sample, twin]


def _keras_bias_bug(config, input_shape) -> bool:
    """Keras 3.15 bug (TF backend): `ops.add(outputs, bias)` becomes `tf.nn.bias_add(..., "NHWC")`
    whenever the output's *last* axis has length `filters`, so a channels_first convolution whose last
    output axis equals `filters` adds the bias along that spatial axis (forward and bias gradient
    wrong). Such configurations are compared with the numpy reference instead."""
    if config.get("data_format") != "channels_first" or not config.get("use_bias", True):
        return False
    n, k, s, d = input_shape[-1], config["kernel_size"][-1], config["strides"][-1], config["dilation_rate"][-1]
    if config["padding"] == "same":
        out = -(-n // s)
    else:
        out = (n - (k - 1) * d - 1) // s + 1
    return out == config["filters"]


def _conv_rank_error(name, rank):
    return rf"{name} \(.*expected an input of rank {rank} \(batch, spatial..., channels\)"


def _groups_error(name):
    return rf"{name} \(.*argument `groups` \(2\) must evenly divide the number of input channels; .* with 3 channels"


def _too_small_error(name, kernel, dilation):
    return rf"{name} \(.*too small for `kernel_size`={kernel} with `dilation_rate`={dilation} and padding='valid'"


def _shape(batch, spatial, channels, data_format):
    return (batch, *spatial, channels) if data_format == "channels_last" else (batch, channels, *spatial)


def _conv_sampler(rank):
    def sample(rng) -> Sample:
        kernel = tuple(int(k) for k in rng.integers(1, 5, size=rank))
        if rng.random() < 0.6:
            strides = tuple(int(s) for s in rng.integers(1, 4, size=rank))
            dilation = (1,) * rank
        else:
            strides = (1,) * rank
            dilation = tuple(int(d) for d in rng.integers(1, 4, size=rank))
        paddings = ["valid", "same"] + (["causal"] if rank == 1 else [])
        padding = str(rng.choice(paddings))
        groups = int(rng.choice([1, 1, 2, 3]))
        in_channels = groups * int(rng.integers(1, 4))
        filters = groups * int(rng.integers(1, 4))
        data_format = str(rng.choice(["channels_last", "channels_first"]))
        max_extra = {1: 9, 2: 5, 3: 2}[rank]
        spatial = tuple((k - 1) * d + 1 + int(rng.integers(0, max_extra + 1)) for k, d in zip(kernel, dilation))
        config = {
            "filters": filters, "kernel_size": kernel, "strides": strides, "padding": padding,
            "data_format": data_format, "dilation_rate": dilation, "groups": groups,
            "activation": str(rng.choice(["linear", "relu", "tanh"])), "use_bias": bool(rng.integers(2)),
            "bias_initializer": "random_normal",
        }
        shape = _shape(int(rng.integers(1, 4)), spatial, in_channels, data_format)
        if _keras_bias_bug(config, shape):
            return Sample(config, shape, reference=refs.conv, dtypes=("float64",))
        return Sample(config, shape)

    return sample


CONV2D = LayerSpec(
    name="Conv2D",
    samples=[
        Sample({"filters": 4, "kernel_size": 3}, (2, 7, 7, 3), id="valid-3x3"),
        Sample({"filters": 4, "kernel_size": 2, "padding": "same"}, (2, 6, 5, 3), id="same-even-kernel(0,1)"),
        Sample({"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same", "bias_initializer": "random_normal"},
               (2, 7, 8, 2), id="same-k4-s2-n7(1,2)-n8(1,1)"),
        Sample({"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (1, 8, 9, 2), id="same-k3-s2-n8(0,1)-n9(1,1)"),
        Sample({"filters": 4, "kernel_size": 3, "lora_rank": 2, "lora_alpha": 3}, (2, 6, 6, 3),
               keras_setup=_randomize_lora_b, id="lora-alpha"),
        Sample({"filters": 2, "kernel_size": (2, 4), "dilation_rate": (2, 1), "padding": "same"}, (2, 7, 7, 3),
               id="same-dilated-(1,1)(1,2)"),
        Sample({"filters": 5, "kernel_size": (3, 2), "strides": 3, "padding": "same", "activation": "relu"},
               (2, 10, 11, 2), id="same-stride3"),
        Sample({"filters": 6, "kernel_size": 3, "groups": 2, "padding": "same", "dilation_rate": 2}, (2, 8, 8, 4),
               id="groups2-dilated-same"),
        Sample({"filters": 4, "kernel_size": 3, "groups": 4, "strides": 2}, (2, 9, 9, 4), id="depthwise-groups"),
        *_channels_first(Sample({"filters": 4, "kernel_size": (3, 2), "strides": (2, 1), "padding": "same",
                                 "data_format": "channels_first", "bias_initializer": "random_normal"},
                                (2, 3, 7, 6), id="channels-first-same")),
        Sample({"filters": 3, "kernel_size": 1, "use_bias": False, "activation": "tanh"}, (3, 4, 5, 6), id="1x1-nobias"),
        # 1x1 convolutions run as a GEMM up to POINTWISE_GEMM_MAX_ROWS (1024) positions, on oneDNN above.
        Sample({"filters": 5, "kernel_size": 1, "bias_initializer": "random_normal", "activation": "relu"},
               (2, 16, 32, 7), id="1x1-gemm-1024-positions"),
        Sample({"filters": 5, "kernel_size": 1, "bias_initializer": "random_normal", "activation": "relu"},
               (2, 17, 32, 7), id="1x1-onednn-1088-positions"),
        Sample({"filters": 3, "kernel_size": 3, "padding": "SAME", "kernel_regularizer": "l2", "bias_regularizer": "l1",
                "activity_regularizer": "l1l2"}, (2, 5, 5, 2), id="regularized-uppercase-padding"),
        Sample({"filters": 3, "kernel_size": 2, "kernel_constraint": "max_norm", "bias_constraint": "non_neg"},
               (2, 5, 5, 2), id="constrained"),
        Sample({"filters": 4, "kernel_size": 3, "kernel_initializer": "he_normal", "groups": 2, "lora_rank": 1},
               (2, 6, 6, 4), keras_setup=_randomize_lora_b, id="lora-groups"),
    ],
    sampler=_conv_sampler(2),
    bad_configs=[
        ({"filters": 0, "kernel_size": 3}, "filters=0"),
        ({"filters": -1, "kernel_size": 3}, "negative-filters"),
        ({"filters": 2, "kernel_size": 0}, "kernel_size=0"),
        ({"filters": 2, "kernel_size": (3, 3, 3)}, "kernel_size-wrong-length"),
        ({"filters": 2, "kernel_size": 3, "strides": 0}, "strides=0"),
        ({"filters": 2, "kernel_size": 3, "padding": "causal"}, "causal-2d"),
        ({"filters": 2, "kernel_size": 3, "padding": "full"}, "unknown-padding"),
        ({"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, "strides-and-dilation"),
        ({"filters": 2, "kernel_size": 3, "groups": 0}, "groups=0"),
        ({"filters": 5, "kernel_size": 3, "groups": 2}, "filters-not-divisible-by-groups"),
        ({"filters": 2, "kernel_size": 3, "data_format": "nhwc"}, "bad-data-format"),
        ({"filters": 2, "kernel_size": 3, "activation": "nope"}, "unknown-activation"),
        ({"filters": 2, "kernel_size": 3, "not_an_argument": 1}, "unknown-kwarg"),
    ],
    bad_inputs=[
        BadInput({"filters": 2, "kernel_size": 3}, None, (2, 7, 3), match=_conv_rank_error("Conv2D", 4), id="rank-3"),
        BadInput({"filters": 2, "kernel_size": 3}, None, (2, 2, 3, 5, 3), match=_conv_rank_error("Conv2D", 4), id="rank-5"),
        BadInput({"filters": 2, "kernel_size": 3, "groups": 2}, None, (2, 6, 6, 3), match=_groups_error("Conv2D"),
                 id="groups-not-dividing-channels"),
        BadInput({"filters": 2, "kernel_size": 3}, (2, 6, 6, 3), (2, 6, 6, 4),
                 match=r"layer Conv2D \(.*expected axis -1 of input shape to have value 3, found 4", id="channels-change-after-build"),
        BadInput({"filters": 2, "kernel_size": 3}, None, (2, 2, 6, 3), match=_too_small_error("Conv2D", r"\(3, 3\)", r"\(1, 1\)"),
                 id="input-smaller-than-kernel"),
        BadInput({"filters": 2, "kernel_size": 3, "dilation_rate": 3}, None, (2, 6, 6, 3),
                 match=_too_small_error("Conv2D", r"\(3, 3\)", r"\(3, 3\)"), id="input-smaller-than-dilated-kernel"),
    ],
)

CONV1D = LayerSpec(
    name="Conv1D",
    samples=[
        Sample({"filters": 4, "kernel_size": 3}, (2, 9, 3), id="valid"),
        Sample({"filters": 4, "kernel_size": 1, "padding": "causal", "bias_initializer": "random_normal"}, (2, 9, 3),
               id="1x1-gemm"),
        Sample({"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same"}, (2, 7, 2), id="same-k4-s2-n7(1,2)"),
        Sample({"filters": 3, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, (2, 9, 2), id="causal-dilated"),
        Sample({"filters": 3, "kernel_size": 3, "padding": "causal", "strides": 2}, (2, 9, 2), id="causal-stride2"),
        Sample({"filters": 4, "kernel_size": 2, "lora_rank": 2}, (2, 6, 3), keras_setup=_randomize_lora_b, id="lora"),
        Sample({"filters": 6, "kernel_size": 3, "groups": 3, "padding": "same", "strides": 3}, (2, 10, 6), id="groups3-same-s3"),
        *_channels_first(Sample({"filters": 4, "kernel_size": 2, "padding": "causal", "data_format": "channels_first"},
                                (2, 3, 8), id="channels-first-causal")),
        *_channels_first(Sample({"filters": 4, "kernel_size": 5, "padding": "same", "data_format": "channels_first",
                                 "activation": "relu"}, (2, 3, 6), id="channels-first-same-even")),
        Sample({"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2, "groups": 2,
                "bias_initializer": "random_normal"}, (2, 7, 4), reference=refs.conv, id="causal-groups-vs-numpy"),
        # The Keras bias bug (_keras_bias_bug): output (2, 3, 3) has its last axis == filters.
        Sample({"filters": 3, "kernel_size": 2, "strides": 2, "padding": "same", "data_format": "channels_first",
                "bias_initializer": "random_normal"}, (2, 4, 6), reference=refs.conv, id="channels-first-keras-bias-bug-vs-numpy"),
    ],
    sampler=_conv_sampler(1),
    bad_configs=[
        ({"filters": 2, "kernel_size": 0}, "kernel_size=0"),
        ({"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, "strides-and-dilation"),
        ({"filters": 3, "kernel_size": 2, "groups": 2}, "filters-not-divisible-by-groups"),
    ],
    bad_inputs=[
        BadInput({"filters": 2, "kernel_size": 3}, None, (2, 7, 7, 3), match=_conv_rank_error("Conv1D", 3), id="rank-4"),
        BadInput({"filters": 2, "kernel_size": 3, "groups": 2}, None, (2, 7, 3), match=_groups_error("Conv1D"),
                 id="groups-not-dividing-channels"),
        BadInput({"filters": 2, "kernel_size": 4}, None, (2, 3, 3), match=_too_small_error("Conv1D", r"\(4,\)", r"\(1,\)"),
                 id="input-smaller-than-kernel"),
    ],
)

CONV3D = LayerSpec(
    name="Conv3D",
    samples=[
        Sample({"filters": 3, "kernel_size": 2}, (2, 4, 5, 3, 2), id="valid"),
        Sample({"filters": 3, "kernel_size": 1, "padding": "same", "bias_initializer": "random_normal"},
               (2, 4, 5, 3, 2), id="1x1-gemm"),
        Sample({"filters": 3, "kernel_size": (2, 3, 4), "strides": 2, "padding": "same"}, (1, 5, 6, 7, 2), id="same-asymmetric-s2"),
        Sample({"filters": 4, "kernel_size": 3, "groups": 2, "padding": "same", "dilation_rate": (1, 2, 1)}, (1, 5, 5, 5, 4),
               id="groups-dilated"),
        Sample({"filters": 2, "kernel_size": 2, "padding": "same", "data_format": "channels_first",
                "bias_initializer": "random_normal"}, (2, 3, 4, 5, 3), id="channels-first-same"),
        # The Keras bias bug (_keras_bias_bug): output (2, 2, 3, 4, 2) has its last axis == filters.
        Sample({"filters": 2, "kernel_size": 2, "data_format": "channels_first", "bias_initializer": "random_normal"},
               (2, 3, 4, 5, 3), reference=refs.conv, id="channels-first-keras-bias-bug-vs-numpy"),
    ],
    sampler=_conv_sampler(3),
    bad_configs=[
        ({"filters": 2, "kernel_size": (3, 3)}, "kernel_size-wrong-length"),
        ({"filters": 2, "kernel_size": 3, "padding": "causal"}, "causal-3d"),
    ],
    bad_inputs=[
        BadInput({"filters": 2, "kernel_size": 2}, None, (2, 4, 4, 3), match=_conv_rank_error("Conv3D", 5), id="rank-4"),
    ],
)

SPECS = [CONV1D, CONV2D, CONV3D]
