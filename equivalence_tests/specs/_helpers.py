"""Input makers several spec modules share (this module defines no SPECS)."""

from __future__ import annotations


def with_mask(shape):
    """Inputs and a Keras mask (input shape without the last axis), for layers that pass the mask through."""

    def make(rng):
        return [rng.standard_normal(shape)], {"mask": rng.random(shape[:-1]) < 0.6}

    return make
