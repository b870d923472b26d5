"""Custom layers of keras.applications: convnext.LayerScale and inception_resnet_v2.CustomScaleLayer."""

from __future__ import annotations

from ..registry import BadInput, LayerSpec, Sample


def _layer_scale_sample(rng):
    shape = tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(2, 5))))
    return Sample({"init_values": float(rng.choice([1e-6, 0.1, 1.0, 0.5])), "projection_dim": shape[-1]}, shape)


LAYER_SCALE = LayerSpec(
    name="LayerScale",
    samples=[
        Sample({"init_values": 0.1, "projection_dim": 4}, (2, 3, 4)),
        Sample({"init_values": 1e-6, "projection_dim": 3}, (2, 2, 2, 3), id="convnext-default-nhwc"),
        Sample({"init_values": 1.5, "projection_dim": 5}, (3, 5), id="2d"),
    ],
    sampler=_layer_scale_sample,
    bad_inputs=[BadInput({"init_values": 0.1, "projection_dim": 4}, None, (2, 3, 5), match=r"expected axis -?\d+ of input shape to have value \d+, found \d+", id="last-axis-mismatch")],
)


def _custom_scale_sample(rng):
    shape = tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(2, 5))))
    return Sample({"scale": float(rng.choice([0.17, 0.1, 0.2, 1.0]))}, [shape, shape])


CUSTOM_SCALE_LAYER = LayerSpec(
    name="CustomScaleLayer",
    samples=[
        Sample({"scale": 0.17}, [(2, 3, 3, 4), (2, 3, 3, 4)], id="block35-scale"),
        Sample({"scale": 1.0}, [(2, 5), (2, 5)], id="block8-last-scale"),
        Sample({"scale": 0.1}, [(3, 2, 4), (3, 2, 4)], id="3d"),
    ],
    sampler=_custom_scale_sample,
    bad_inputs=[
        BadInput({"scale": 0.2}, None, [(2, 3, 4), (2, 5, 4)], match=r"the two inputs must have the same shape", id="shape-mismatch"),
        # Keras indexes a single tensor's batch axis (x[0] + x[1] * scale) and returns a wrong shape.
        BadInput({"scale": 0.2}, None, (2, 3, 4), keras_rejects=False, match=r"expects a list of two tensors", id="single-tensor"),
    ],
)

SPECS = [LAYER_SCALE, CUSTOM_SCALE_LAYER]
