"""DepthwiseConv1D/2D, SeparableConv1D/2D and Conv1D/2D/3DTranspose against Keras: TF 'same' with
strides and even kernels (asymmetric, input-size dependent), strides together with dilation (depthwise
and separable: Keras 3.15 decomposes it), depth multipliers, every `output_padding` case of the
transposed convolutions (TF's window, one cell narrowed off), both data formats, regularizers and
constraints, forward + gradients (inputs and every weight).

Numpy references (numpy_refs_conv) where TensorFlow on CPU cannot run the configuration
(channels_first or dilated transposed convolutions) or Keras has the channels_first bias bug."""

from __future__ import annotations

from .. import numpy_refs_conv as refs
from ..registry import BadInput, LayerSpec, Sample


def _shape(batch, spatial, channels, data_format):
    return (batch, *spatial, channels) if data_format == "channels_last" else (batch, channels, *spatial)


def _tuple(value, rank):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * rank


def _window_output_shape(config, input_shape, out_channels):
    """Output shape of a depthwise/separable convolution, for `refs.keras_bias_bug`."""
    rank = len(input_shape) - 2
    data_format = config.get("data_format") or "channels_last"
    spatial = input_shape[1:-1] if data_format == "channels_last" else input_shape[2:]
    k, s, d = (_tuple(config.get(a, 1), rank) for a in ("kernel_size", "strides", "dilation_rate"))
    out = [refs.conv_output_size(n, *a, config.get("padding", "valid")) for n, *a in zip(spatial, k, s, d)]
    return _shape(input_shape[0], out, out_channels, data_format)


def _depthwise_sample(config, shape, **kwargs) -> Sample:
    """Against Keras, or against numpy where Keras' channels_first bias bug strikes."""
    in_channels = shape[-1] if config.get("data_format", "channels_last") == "channels_last" else shape[1]
    out_channels = config.get("filters", in_channels * config.get("depth_multiplier", 1))
    if refs.keras_bias_bug(config.get("data_format"), config.get("use_bias", True),
                           _window_output_shape(config, shape, out_channels)):
        ref = refs.separable_conv if "filters" in config else refs.depthwise_conv
        return Sample(config, shape, reference=ref, **kwargs)
    return Sample(config, shape, **kwargs)


def _unequal_strides(sample: Sample) -> list[Sample]:
    """TensorFlow's float64 (Eigen) DepthwiseConv2dNative only supports equal row and column strides
    (the suite's float32 reference runs oneDNN, which has no such limit): float32 against Keras,
    float64 against numpy."""
    ref = refs.separable_conv if "filters" in sample.config else refs.depthwise_conv
    twin = Sample(sample.config, sample.inputs, reference=ref, dtypes=("float64",), id=f"{sample.id}-numpy")
    sample.dtypes = ("float32",)
    return [sample, twin]


def _window_sampler(rank, separable):
    def sample(rng):
        kernel = tuple(int(k) for k in rng.integers(1, 5, size=rank))
        strides = tuple(int(s) for s in rng.integers(1, 4, size=rank))
        dilation = tuple(int(d) for d in rng.integers(1, 3, size=rank)) if rng.random() < 0.4 else (1,) * rank
        data_format = str(rng.choice(["channels_last", "channels_first"]))
        max_extra = {1: 8, 2: 4}[rank]
        spatial = tuple((k - 1) * d + 1 + int(rng.integers(0, max_extra + 1)) for k, d in zip(kernel, dilation))
        config = {
            "kernel_size": kernel, "strides": strides, "dilation_rate": dilation,
            "padding": str(rng.choice(["valid", "same"])), "data_format": data_format,
            "depth_multiplier": int(rng.integers(1, 4)), "activation": str(rng.choice(["linear", "relu", "tanh"])),
            "use_bias": bool(rng.integers(2)), "bias_initializer": "random_normal",
        }
        if separable:
            config["filters"] = int(rng.integers(1, 6))
        shape = _shape(int(rng.integers(1, 4)), spatial, int(rng.integers(1, 5)), data_format)
        return _depthwise_sample(config, shape)

    return sample


_WINDOW_BAD_CONFIGS = [
    ({"kernel_size": 0}, "kernel_size=0"),
    ({"kernel_size": 3, "strides": 0}, "strides=0"),
    ({"kernel_size": 3, "dilation_rate": 0}, "dilation_rate=0"),
    ({"kernel_size": 3, "padding": "causal"}, "causal"),
    ({"kernel_size": 3, "padding": "full"}, "unknown-padding"),
    ({"kernel_size": 3, "data_format": "nhwc"}, "bad-data-format"),
    ({"kernel_size": 3, "activation": "nope"}, "unknown-activation"),
    ({"kernel_size": 3, "not_an_argument": 1}, "unknown-kwarg"),
]


def _with(extra, configs):
    return [({**extra, **config}, why) for config, why in configs]


# ----------------------------------------------------------------------------- depthwise
DEPTHWISE_CONV2D = LayerSpec(
    name="DepthwiseConv2D",
    samples=[
        Sample({"kernel_size": 3}, (2, 7, 7, 3), id="valid-3x3"),
        Sample({"kernel_size": 4, "strides": 2, "padding": "same", "depth_multiplier": 2,
                "bias_initializer": "random_normal"}, (2, 7, 8, 2), id="same-k4-s2-n7(1,2)-n8(1,1)-dm2"),
        Sample({"kernel_size": 2, "padding": "same", "depth_multiplier": 3}, (2, 5, 6, 2), id="same-even-kernel-dm3"),
        Sample({"kernel_size": (2, 4), "dilation_rate": (2, 1), "padding": "same", "activation": "relu"},
               (2, 7, 7, 3), id="same-dilated"),
        Sample({"kernel_size": 3, "strides": 2, "dilation_rate": 2, "padding": "same", "depth_multiplier": 2,
                "bias_initializer": "random_normal"}, (2, 9, 10, 3), id="same-strides-and-dilation"),
        Sample({"kernel_size": (3, 2), "strides": (1, 3), "dilation_rate": (2, 1), "depth_multiplier": 2},
               (1, 8, 9, 2), id="valid-strides-and-dilation"),
        *_unequal_strides(Sample({"kernel_size": (3, 2), "strides": (2, 1), "padding": "same",
                                  "data_format": "channels_first", "depth_multiplier": 2,
                                  "bias_initializer": "random_normal"}, (2, 3, 7, 5), id="channels-first-same")),
        # Keras' bias bug: output (2, 4, 3, 4) has its last axis == channels * depth_multiplier.
        Sample({"kernel_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first",
                "depth_multiplier": 2, "bias_initializer": "random_normal"}, (2, 2, 5, 7),
               reference=refs.depthwise_conv, id="channels-first-keras-bias-bug-vs-numpy"),
        Sample({"kernel_size": 1, "use_bias": False, "activation": "tanh", "depthwise_initializer": "he_normal"},
               (3, 4, 5, 6), id="1x1-nobias"),
        Sample({"kernel_size": 3, "padding": "SAME", "depthwise_regularizer": "l2", "bias_regularizer": "l1",
                "activity_regularizer": "l1l2"}, (2, 5, 5, 2), id="regularized-uppercase-padding"),
        Sample({"kernel_size": 2, "depthwise_constraint": "max_norm", "bias_constraint": "non_neg"},
               (2, 5, 5, 2), id="constrained"),
    ],
    sampler=_window_sampler(2, separable=False),
    bad_configs=[
        ({"kernel_size": 3, "depth_multiplier": 0}, "depth_multiplier=0"),
        ({"kernel_size": 3, "depth_multiplier": -2}, "negative-depth_multiplier"),
        ({"kernel_size": (3, 3, 3)}, "kernel_size-wrong-length"),
        *_WINDOW_BAD_CONFIGS,
    ],
    bad_inputs=[
        BadInput({"kernel_size": 3}, None, (2, 7, 3), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-3"),
        BadInput({"kernel_size": 3}, None, (2, 5, 5, 5, 3), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-5"),
        BadInput({"kernel_size": 3}, (2, 6, 6, 3), (2, 6, 6, 4), match=r"expected axis -?\d+ of input shape to have value \d+, found \d+", id="channels-change-after-build"),
        BadInput({"kernel_size": 3}, None, (2, 2, 6, 3), match=r"is too small for `kernel_size`", id="input-smaller-than-kernel"),
        BadInput({"kernel_size": 3, "dilation_rate": 3}, None, (2, 6, 6, 3), match=r"is too small for `kernel_size`", id="input-smaller-than-dilated-kernel"),
    ],
)

DEPTHWISE_CONV1D = LayerSpec(
    name="DepthwiseConv1D",
    samples=[
        Sample({"kernel_size": 3}, (2, 9, 3), id="valid"),
        Sample({"kernel_size": 4, "strides": 2, "padding": "same", "depth_multiplier": 3,
                "bias_initializer": "random_normal"}, (2, 7, 2), id="same-k4-s2-n7(1,2)-dm3"),
        Sample({"kernel_size": 3, "dilation_rate": 2, "padding": "same", "activation": "relu"}, (2, 9, 2),
               id="same-dilated"),
        Sample({"kernel_size": 2, "strides": 3, "dilation_rate": 2, "depth_multiplier": 2}, (2, 11, 3),
               id="valid-strides-and-dilation"),
        Sample({"kernel_size": 5, "padding": "same", "data_format": "channels_first", "depth_multiplier": 2,
                "bias_initializer": "random_normal"}, (2, 3, 8), id="channels-first-same"),
        # Keras' bias bug: output (2, 4, 4) has its last axis == channels * depth_multiplier.
        Sample({"kernel_size": 2, "strides": 2, "padding": "same", "data_format": "channels_first",
                "depth_multiplier": 2, "bias_initializer": "random_normal"}, (2, 2, 8),
               reference=refs.depthwise_conv, id="channels-first-keras-bias-bug-vs-numpy"),
        Sample({"kernel_size": 3, "use_bias": False, "depthwise_regularizer": "l1", "depthwise_constraint": "unit_norm"},
               (2, 6, 4), id="nobias-regularized-constrained"),
    ],
    sampler=_window_sampler(1, separable=False),
    bad_configs=[
        ({"kernel_size": 3, "depth_multiplier": 0}, "depth_multiplier=0"),
        ({"kernel_size": (3, 3)}, "kernel_size-wrong-length"),
        *_WINDOW_BAD_CONFIGS,
    ],
    bad_inputs=[
        BadInput({"kernel_size": 3}, None, (2, 7, 7, 3), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-4"),
        BadInput({"kernel_size": 3}, (2, 6, 3), (2, 6, 2), match=r"expected axis -?\d+ of input shape to have value \d+, found \d+", id="channels-change-after-build"),
        BadInput({"kernel_size": 4}, None, (2, 3, 3), match=r"is too small for `kernel_size`", id="input-smaller-than-kernel"),
    ],
)

# ----------------------------------------------------------------------------- separable
SEPARABLE_CONV2D = LayerSpec(
    name="SeparableConv2D",
    samples=[
        Sample({"filters": 4, "kernel_size": 3}, (2, 7, 7, 3), id="valid-3x3"),
        Sample({"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same", "depth_multiplier": 2,
                "bias_initializer": "random_normal"}, (2, 7, 8, 2), id="same-k4-s2-dm2"),
        Sample({"filters": 5, "kernel_size": 3, "strides": 2, "dilation_rate": 2, "padding": "same",
                "activation": "relu"}, (2, 9, 8, 3), id="same-strides-and-dilation"),
        Sample({"filters": 2, "kernel_size": (2, 3), "dilation_rate": (1, 2), "depth_multiplier": 3},
               (1, 6, 8, 2), id="valid-dilated-dm3"),
        *_unequal_strides(Sample({"filters": 4, "kernel_size": (3, 2), "strides": (2, 1), "padding": "same",
                                  "data_format": "channels_first", "bias_initializer": "random_normal"},
                                 (2, 3, 7, 6), id="channels-first-same")),
        # Keras' bias bug: output (2, 3, 4, 3) has its last axis == filters.
        Sample({"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first",
                "bias_initializer": "random_normal"}, (2, 2, 7, 5), reference=refs.separable_conv,
               id="channels-first-keras-bias-bug-vs-numpy"),
        Sample({"filters": 3, "kernel_size": 1, "use_bias": False, "activation": "tanh",
                "depthwise_initializer": "he_normal", "pointwise_initializer": "lecun_uniform"},
               (3, 4, 5, 6), id="1x1-nobias-initializers"),
        Sample({"filters": 3, "kernel_size": 3, "padding": "same", "depthwise_regularizer": "l2",
                "pointwise_regularizer": "l1", "bias_regularizer": "l1", "activity_regularizer": "l1l2"},
               (2, 5, 5, 2), id="regularized"),
        Sample({"filters": 3, "kernel_size": 2, "depthwise_constraint": "max_norm",
                "pointwise_constraint": "unit_norm", "bias_constraint": "non_neg"}, (2, 5, 5, 2), id="constrained"),
        # The pointwise step runs as a GEMM up to POINTWISE_GEMM_MAX_ROWS (1024) positions (the samples above),
        # on oneDNN above.
        Sample({"filters": 4, "kernel_size": 3, "padding": "same", "bias_initializer": "random_normal"},
               (2, 17, 32, 3), id="pointwise-onednn-1088-positions"),
    ],
    sampler=_window_sampler(2, separable=True),
    bad_configs=[
        ({"filters": 0, "kernel_size": 3}, "filters=0"),
        ({"filters": -1, "kernel_size": 3}, "negative-filters"),
        ({"filters": 2, "kernel_size": 3, "depth_multiplier": 0}, "depth_multiplier=0"),
        ({"filters": 2, "kernel_size": (3, 3, 3)}, "kernel_size-wrong-length"),
        *_with({"filters": 2}, _WINDOW_BAD_CONFIGS),
    ],
    bad_inputs=[
        BadInput({"filters": 2, "kernel_size": 3}, None, (2, 7, 3), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-3"),
        BadInput({"filters": 2, "kernel_size": 3}, None, (2, 5, 5, 5, 3), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-5"),
        BadInput({"filters": 2, "kernel_size": 3}, (2, 6, 6, 3), (2, 6, 6, 4), match=r"expected axis -?\d+ of input shape to have value \d+, found \d+", id="channels-change-after-build"),
        BadInput({"filters": 2, "kernel_size": 3}, None, (2, 2, 6, 3), match=r"is too small for `kernel_size`", id="input-smaller-than-kernel"),
    ],
)

SEPARABLE_CONV1D = LayerSpec(
    name="SeparableConv1D",
    samples=[
        Sample({"filters": 4, "kernel_size": 3}, (2, 9, 3), id="valid"),
        Sample({"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same", "depth_multiplier": 2,
                "bias_initializer": "random_normal"}, (2, 7, 2), id="same-k4-s2-dm2"),
        Sample({"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 3, "padding": "same",
                "activation": "relu"}, (2, 12, 3), id="same-strides-and-dilation"),
        Sample({"filters": 4, "kernel_size": 2, "padding": "same", "data_format": "channels_first",
                "depth_multiplier": 2, "bias_initializer": "random_normal"}, (2, 3, 7), id="channels-first-same"),
        # Keras' bias bug: output (2, 4, 4) has its last axis == filters.
        Sample({"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first",
                "bias_initializer": "random_normal"}, (2, 3, 8), reference=refs.separable_conv,
               id="channels-first-keras-bias-bug-vs-numpy"),
        Sample({"filters": 3, "kernel_size": 3, "use_bias": False, "pointwise_regularizer": "l2",
                "pointwise_constraint": "non_neg"}, (2, 6, 4), id="nobias-regularized-constrained"),
        Sample({"filters": 4, "kernel_size": 3, "padding": "same", "bias_initializer": "random_normal"},
               (2, 520, 3), id="pointwise-onednn-1040-positions"),
    ],
    sampler=_window_sampler(1, separable=True),
    bad_configs=[
        ({"filters": 0, "kernel_size": 3}, "filters=0"),
        ({"filters": 2, "kernel_size": 3, "depth_multiplier": -1}, "negative-depth_multiplier"),
        *_with({"filters": 2}, _WINDOW_BAD_CONFIGS),
    ],
    bad_inputs=[
        BadInput({"filters": 2, "kernel_size": 3}, None, (2, 7, 7, 3), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-4"),
        BadInput({"filters": 2, "kernel_size": 4}, None, (2, 3, 3), match=r"is too small for `kernel_size`", id="input-smaller-than-kernel"),
    ],
)


# ----------------------------------------------------------------------------- transposed
def _transpose_sample(config, shape, **kwargs) -> Sample:
    """TensorFlow's CPU kernels refuse channels_first and dilated transposed convolutions: numpy."""
    dilated = max(_tuple(config.get("dilation_rate", 1), len(shape) - 2)) > 1
    if config.get("data_format") == "channels_first" or dilated:
        return Sample(config, shape, reference=refs.conv_transpose, **kwargs)
    return Sample(config, shape, **kwargs)


def _transpose_sampler(rank):
    def sample(rng):
        kernel = tuple(int(k) for k in rng.integers(1, 6, size=rank))
        padding = str(rng.choice(["valid", "same"]))
        if rng.random() < 0.75:
            strides = tuple(int(s) for s in rng.integers(1, 4, size=rank))
            dilation = (1,) * rank
        else:
            strides = (1,) * rank
            dilation = tuple(int(d) for d in rng.integers(1, 4, size=rank))
        output_padding = None
        if rng.random() < 0.5:
            output_padding = tuple(int(rng.integers(0, s)) for s in strides)
            if padding == "same":  # TF rejects an even span with output_padding 0 (see BadInput below)
                output_padding = tuple(op if ((k - 1) * d + 1) % 2 or op else None
                                       for op, k, d in zip(output_padding, kernel, dilation))
                output_padding = None if None in output_padding else output_padding
        data_format = str(rng.choice(["channels_last", "channels_last", "channels_first"]))
        max_size = {1: 7, 2: 4, 3: 3}[rank]
        spatial = tuple(int(n) for n in rng.integers(1, max_size + 1, size=rank))
        config = {
            "filters": int(rng.integers(1, 5)), "kernel_size": kernel, "strides": strides, "padding": padding,
            "output_padding": output_padding, "data_format": data_format, "dilation_rate": dilation,
            "activation": str(rng.choice(["linear", "relu", "tanh"])), "use_bias": bool(rng.integers(2)),
            "bias_initializer": "random_normal",
        }
        return _transpose_sample(config, _shape(int(rng.integers(1, 4)), spatial, int(rng.integers(1, 4)), data_format))

    return sample


_TRANSPOSE_BAD_CONFIGS = [
    ({"filters": 0, "kernel_size": 3}, "filters=0"),
    ({"filters": -1, "kernel_size": 3}, "negative-filters"),
    ({"filters": 2, "kernel_size": 0}, "kernel_size=0"),
    ({"filters": 2, "kernel_size": 3, "strides": 0}, "strides=0"),
    ({"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, "strides-and-dilation"),
    ({"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 2}, "output_padding>=strides"),
    ({"filters": 2, "kernel_size": 3, "output_padding": 1}, "output_padding-with-stride-1"),
    ({"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": -1}, "negative-output_padding"),
    ({"filters": 2, "kernel_size": 3, "padding": "causal"}, "causal"),
    ({"filters": 2, "kernel_size": 3, "padding": "full"}, "unknown-padding"),
    ({"filters": 2, "kernel_size": 3, "data_format": "nhwc"}, "bad-data-format"),
    ({"filters": 2, "kernel_size": 3, "activation": "nope"}, "unknown-activation"),
    ({"filters": 2, "kernel_size": 3, "not_an_argument": 1}, "unknown-kwarg"),
]

CONV2D_TRANSPOSE = LayerSpec(
    name="Conv2DTranspose",
    samples=[
        Sample({"filters": 4, "kernel_size": 3}, (2, 5, 6, 3), id="valid-3x3"),
        Sample({"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "bias_initializer": "random_normal"},
               (2, 4, 5, 2), id="same-k3-s2-narrowed"),
        Sample({"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same"}, (2, 4, 3, 2), id="same-k4-s2"),
        Sample({"filters": 2, "kernel_size": (2, 5), "strides": 3, "padding": "same", "activation": "relu"},
               (1, 3, 4, 3), id="same-k<s-and-k>s"),
        Sample({"filters": 2, "kernel_size": 2, "strides": 3, "bias_initializer": "random_normal"}, (2, 3, 4, 2),
               id="valid-k<s-gaps"),
        Sample({"filters": 3, "kernel_size": (3, 4), "strides": (2, 3), "padding": "same", "output_padding": (0, 2)},
               (2, 4, 3, 2), id="same-output_padding"),
        Sample({"filters": 3, "kernel_size": 3, "strides": 2, "output_padding": 1, "activation": "tanh"},
               (2, 3, 4, 2), id="valid-output_padding"),
        _transpose_sample({"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same",
                           "data_format": "channels_first", "bias_initializer": "random_normal"}, (2, 2, 4, 5),
                          id="channels-first-same-vs-numpy"),
        _transpose_sample({"filters": 2, "kernel_size": (3, 2), "dilation_rate": (2, 3), "padding": "same",
                           "bias_initializer": "random_normal"}, (2, 5, 6, 3), id="dilated-same-vs-numpy"),
        _transpose_sample({"filters": 2, "kernel_size": 2, "dilation_rate": 2}, (1, 4, 3, 2), id="dilated-valid-vs-numpy"),
        Sample({"filters": 3, "kernel_size": 1, "use_bias": False, "kernel_initializer": "he_normal"},
               (3, 4, 5, 6), id="1x1-nobias"),
        Sample({"filters": 3, "kernel_size": 3, "padding": "SAME", "kernel_regularizer": "l2", "bias_regularizer": "l1",
                "activity_regularizer": "l1l2"}, (2, 5, 5, 2), id="regularized-uppercase-padding"),
        Sample({"filters": 3, "kernel_size": 2, "kernel_constraint": "max_norm", "bias_constraint": "non_neg"},
               (2, 5, 5, 2), id="constrained"),
    ],
    sampler=_transpose_sampler(2),
    bad_configs=[({"filters": 2, "kernel_size": (3, 3, 3)}, "kernel_size-wrong-length"), *_TRANSPOSE_BAD_CONFIGS],
    bad_inputs=[
        BadInput({"filters": 2, "kernel_size": 3}, None, (2, 7, 3), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-3"),
        BadInput({"filters": 2, "kernel_size": 3}, None, (2, 5, 5, 5, 3), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-5"),
        BadInput({"filters": 2, "kernel_size": 3}, (2, 6, 6, 3), (2, 6, 6, 4), match=r"expected axis -?\d+ of input shape to have value \d+, found \d+", id="channels-change-after-build"),
        BadInput({"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same", "output_padding": 0}, None,
                 (1, 5, 5, 3), match=r"`output_padding`=.* even kernel span", id="same-even-kernel-output_padding-0"),
        BadInput({"filters": 2, "kernel_size": (3, 2), "padding": "same", "output_padding": 0}, None,
                 (1, 5, 5, 3), match=r"`output_padding`=.* even kernel span", id="same-even-kernel-stride-1-output_padding-0"),
    ],
)

CONV1D_TRANSPOSE = LayerSpec(
    name="Conv1DTranspose",
    samples=[
        Sample({"filters": 4, "kernel_size": 3}, (2, 6, 3), id="valid"),
        Sample({"filters": 3, "kernel_size": 4, "strides": 3, "padding": "same", "bias_initializer": "random_normal"},
               (2, 5, 2), id="same-k4-s3"),
        Sample({"filters": 3, "kernel_size": 5, "strides": 2, "padding": "same"}, (2, 4, 2), id="same-k5-s2-narrowed"),
        Sample({"filters": 2, "kernel_size": 3, "strides": 3, "padding": "same", "output_padding": 2,
                "activation": "relu"}, (2, 4, 3), id="same-output_padding"),
        Sample({"filters": 2, "kernel_size": 2, "strides": 3, "output_padding": 1}, (2, 4, 3), id="valid-output_padding-gaps"),
        _transpose_sample({"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same",
                           "data_format": "channels_first", "bias_initializer": "random_normal"}, (2, 2, 5),
                          id="channels-first-same-vs-numpy"),
        _transpose_sample({"filters": 2, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (2, 6, 3),
                          id="dilated-same-vs-numpy"),
        Sample({"filters": 2, "kernel_size": 3, "use_bias": False, "kernel_regularizer": "l1",
                "kernel_constraint": "unit_norm"}, (2, 5, 3), id="nobias-regularized-constrained"),
    ],
    sampler=_transpose_sampler(1),
    bad_configs=[({"filters": 2, "kernel_size": (3, 3)}, "kernel_size-wrong-length"), *_TRANSPOSE_BAD_CONFIGS],
    bad_inputs=[
        BadInput({"filters": 2, "kernel_size": 3}, None, (2, 7, 7, 3), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-4"),
        BadInput({"filters": 2, "kernel_size": 3}, (2, 6, 3), (2, 6, 2), match=r"expected axis -?\d+ of input shape to have value \d+, found \d+", id="channels-change-after-build"),
        BadInput({"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same", "output_padding": 0}, None,
                 (1, 5, 3), match=r"`output_padding`=.* even kernel span", id="same-even-kernel-output_padding-0"),
    ],
)

CONV3D_TRANSPOSE = LayerSpec(
    name="Conv3DTranspose",
    samples=[
        Sample({"filters": 3, "kernel_size": 2}, (2, 3, 4, 3, 2), id="valid"),
        Sample({"filters": 2, "kernel_size": (2, 3, 4), "strides": 2, "padding": "same",
                "bias_initializer": "random_normal"}, (1, 3, 4, 3, 2), id="same-asymmetric-s2"),
        Sample({"filters": 2, "kernel_size": 3, "strides": (1, 2, 3), "padding": "same", "output_padding": (0, 1, 2)},
               (1, 3, 3, 2, 2), id="same-output_padding"),
        _transpose_sample({"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same",
                           "data_format": "channels_first", "bias_initializer": "random_normal"}, (2, 3, 2, 3, 2),
                          id="channels-first-same-vs-numpy"),
    ],
    sampler=_transpose_sampler(3),
    bad_configs=[({"filters": 2, "kernel_size": (3, 3)}, "kernel_size-wrong-length"),
                 ({"filters": 2, "kernel_size": 3, "padding": "causal"}, "causal")],
    bad_inputs=[
        BadInput({"filters": 2, "kernel_size": 2}, None, (2, 4, 4, 3), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-4"),
        BadInput({"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same", "output_padding": (1, 0, 1)}, None,
                 (1, 3, 3, 3, 2), match=r"`output_padding`=.* even kernel span", id="same-even-kernel-output_padding-0"),
    ],
)

SPECS = [DEPTHWISE_CONV1D, DEPTHWISE_CONV2D, SEPARABLE_CONV1D, SEPARABLE_CONV2D,
         CONV1D_TRANSPOSE, CONV2D_TRANSPOSE, CONV3D_TRANSPOSE]
