"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot."""

from __future__ import annotations

import numpy as np

from .. import numpy_refs
from ..registry import BadInput, LayerSpec, Sample


def _masked(shapes, masks_present, seed=0):
    """make_inputs for lists of tensors with per-input masks (shape = input shape without last axis)."""

    def make(rng):
        tensors = [rng.standard_normal(s) for s in shapes]
        masks = [rng.random(s[:-1]) < 0.6 if present else None for s, present in zip(shapes, masks_present)]
        return [tensors], {"mask": masks}

    return make


def _running_shapes(shapes):
    """(accumulated shape, next input shape) pairs of Keras' left-to-right merge loop, after Keras'
    rank alignment (size-1 axes inserted right after the batch axis)."""
    rank = max(len(s) for s in shapes)
    shapes = [s[:1] + (1,) * (rank - len(s)) + s[1:] for s in shapes]
    acc = shapes[0][1:]
    for shape in shapes[1:]:
        yield (shapes[0][0],) + tuple(acc), shape
        n = max(len(acc), len(shape) - 1)
        a = (1,) * (n - len(acc)) + tuple(acc)
        b = (1,) * (n - len(shape) + 1) + tuple(shape[1:])
        acc = tuple(max(x, y) for x, y in zip(a, b))


def _elementwise_sample(count_range, name):
    def sampler(rng):
        count = int(rng.integers(*count_range))
        rank = int(rng.integers(2, 5))
        batch = int(rng.integers(1, 4))
        base = [int(d) for d in rng.integers(1, 5, size=rank - 1)]
        shapes = []
        for _ in range(count):
            s = [1 if rng.random() < 0.25 else d for d in base]  # equal-rank broadcasting
            if rng.random() < 0.25 and len(s) > 1:
                s = s[1:]  # lower rank: Keras inserts the missing axes after the batch axis
            shapes.append((batch, *s))
        if any(len(s) != len(shapes[0]) for s in shapes) or rng.random() < 0.5:
            sample = Sample({}, shapes)
        else:
            present = [bool(rng.random() < 0.7) for _ in shapes]
            sample = Sample({}, None, make_inputs=_masked(shapes, present), id=f"masked-{present}")
        if name in ("Add", "Average") and any(
            numpy_refs.keras_add_takes_bias_add_path(x1, x2) for x1, x2 in _running_shapes(shapes)
        ):
            # Keras' TF `ops.add` bias_add shortcut gives wrong sums here (see numpy_refs); values
            # of Add/Average ignore masks, so the numpy reference covers masked samples too.
            sample.reference = numpy_refs.elementwise_merge(name.lower())
            sample.id = (sample.id or "") + "-vs-numpy-keras-bias_add-bug"
        return sample

    return sampler


def _elementwise_spec(name, two_only=False):
    shared = [
        Sample({}, [(2, 3), (2, 3)], id="same-shape"),
        Sample({}, [(2, 3), (2, 5, 3)], id="rank-broadcast-after-batch"),
        Sample({}, [(5, 3), (5, 5, 3)], id="rank-broadcast-batch-equals-dim"),
        Sample({}, [(2, 1, 3), (2, 5, 3)], id="equal-rank-broadcast"),
        Sample({}, [(2, 5, 1), (2, 1, 3)], id="outer-broadcast"),
        Sample({}, None, make_inputs=_masked([(2, 4, 3), (2, 4, 3)], [True, True]), id="both-masked"),
        Sample({}, None, make_inputs=_masked([(2, 4, 3), (2, 4, 3)], [True, False]), id="one-masked"),
        Sample({}, None, make_inputs=lambda rng: ([[rng.standard_normal((2, 3, 2)), rng.standard_normal((2, 3, 2))]],
                                                  {"mask": [np.zeros((2, 3), bool), np.zeros((2, 3), bool)]}), id="all-masked"),
    ]
    if not two_only:
        shared += [
            Sample({}, [(2, 3), (2, 3), (2, 3)], id="three-inputs"),
            Sample({}, [(2, 3)], id="one-element-list"),
            Sample({}, None, make_inputs=_masked([(2, 4, 3)] * 3, [True, True, True]), id="three-masked"),
        ]
    bad_inputs = [
        BadInput({}, None, [(1, 3), (4, 3)], match=rf"{name}: cannot merge tensors with different batch sizes",
                 id="different-batch-sizes"),
        BadInput({}, None, [(2, 5), (2, 5, 3)], match=rf"{name}: inputs have incompatible shapes; received shapes \(5, 3\) and \(5,\)",
                 id="incompatible-after-rank-broadcast"),
        BadInput({}, None, (2, 3), match=rf"{name}: a merge layer should be called on a list of inputs",
                 id="single-tensor-not-list"),
    ]
    if two_only:
        bad_inputs.append(BadInput({}, None, [(2, 3), (2, 3), (2, 3)], match=rf"{name}: should be called on exactly 2 inputs; received 3",
                                   id="three-inputs"))
    return LayerSpec(name=name, samples=shared,
                     sampler=_elementwise_sample((2, 3) if two_only else (1, 5), name), bad_inputs=bad_inputs)


def _concat_sample(rng):
    rank = int(rng.integers(2, 5))
    axis = int(rng.integers(1, rank)) * (-1 if rng.random() < 0.5 else 1)
    axis = axis if axis > 0 else axis - 0  # negative axes count from the end
    base = [int(d) for d in rng.integers(1, 5, size=rank)]
    shapes = []
    for _ in range(int(rng.integers(1, 4))):
        s = list(base)
        s[axis] = int(rng.integers(1, 5))
        shapes.append(tuple(s))
    if rng.random() < 0.5:
        present = [bool(rng.random() < 0.6) for _ in shapes]
        return Sample({"axis": axis}, None, make_inputs=_masked(shapes, present), id=f"axis{axis}-masked{present}")
    return Sample({"axis": axis}, shapes)


CONCATENATE = LayerSpec(
    name="Concatenate",
    samples=[
        Sample({}, [(2, 3), (2, 4)]),
        Sample({"axis": 1}, [(2, 3, 4), (2, 5, 4)], id="axis1"),
        Sample({"axis": -2}, [(2, 3, 4), (2, 5, 4), (2, 1, 4)], id="axis-2-three"),
        Sample({"axis": 1}, None, make_inputs=_masked([(2, 3, 4), (2, 5, 4)], [True, False]), id="axis1-one-masked"),
        Sample({"axis": -1}, None, make_inputs=_masked([(2, 3, 4), (2, 3, 2)], [True, False]), id="axis-1-one-masked"),
        Sample({"axis": -1}, None, make_inputs=_masked([(2, 3, 4), (2, 3, 2)], [True, True]), id="axis-1-both-masked"),
    ],
    sampler=_concat_sample,
    bad_inputs=[BadInput({"axis": -1}, None, [(2, 3, 4), (2, 5, 4)], id="mismatch-off-axis",
                         match=r"Concatenate: requires inputs with matching shapes except for the concatenation axis -1"),
                BadInput({"axis": -1}, None, [(2, 3), (2, 3, 4)], id="rank-mismatch",
                         match=r"Concatenate: requires inputs of equal rank with axis=-1 in range")],
)


def _dot_sample(rng):
    rank_x, rank_y = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    batch, k = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    x = [batch] + [int(d) for d in rng.integers(1, 4, size=rank_x - 1)]
    y = [batch] + [int(d) for d in rng.integers(1, 4, size=rank_y - 1)]
    ax, ay = int(rng.integers(1, rank_x)), int(rng.integers(1, rank_y))
    x[ax] = y[ay] = k
    axes = (ax - rank_x if rng.random() < 0.3 else ax, ay)
    return Sample({"axes": list(axes), "normalize": bool(rng.integers(2))}, [tuple(x), tuple(y)])


DOT = LayerSpec(
    name="Dot",
    samples=[
        Sample({"axes": 1}, [(4, 3), (4, 3)], id="2d-gives-(B,1)"),
        Sample({"axes": [2, 2]}, [(2, 3, 5), (2, 4, 5)], id="bik,bjk"),
        Sample({"axes": [2, 1]}, [(2, 3, 5), (2, 5, 4)], id="bmm"),
        Sample({"axes": 1}, [(2, 3, 5), (2, 3, 7)], id="axes1-3d"),
        Sample({"axes": [1, 2]}, [(2, 4), (2, 3, 4)], id="2d-3d"),
        Sample({"axes": -1, "normalize": True}, [(3, 6), (3, 6)], id="cosine"),
        Sample({"axes": [3, 1]}, [(2, 2, 3, 4), (2, 4, 5)], id="4d"),
        Sample({"axes": 1, "normalize": True}, None, make_inputs=lambda rng: ([[np.zeros((2, 3)), rng.standard_normal((2, 3))]], {}), id="normalize-zero-vector"),
    ],
    sampler=_dot_sample,
    bad_configs=[({"axes": (1, 2, 3)}, "three-axes"), ({"axes": "1"}, "string")],
    bad_inputs=[BadInput({"axes": 1}, None, [(2, 3), (2, 4)], id="axis-size-mismatch",
                         match=r"Dot: incompatible input shapes: axis values 3 \(at axis 1\) != 4 \(at axis 1\)"),
                BadInput({"axes": 0}, None, [(2, 3), (2, 3)], id="batch-axis",
                         match=r"Dot: argument `axes` cannot include the batch axis 0"),
                BadInput({"axes": 1}, None, [(2, 3), (2, 3), (2, 3)], id="three-inputs",
                         match=r"Dot: should be called on a list of 2 inputs")],
)

SPECS = [
    _elementwise_spec("Add"),
    _elementwise_spec("Subtract", two_only=True),
    _elementwise_spec("Multiply"),
    _elementwise_spec("Average"),
    _elementwise_spec("Maximum"),
    _elementwise_spec("Minimum"),
    CONCATENATE,
    DOT,
]
