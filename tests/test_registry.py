"""The layer registry against Keras itself: class identity (module and class name), auto-names,
built-at-init, and serialisation that matches by module and class, never by name alone."""

import os
import re
import subprocess
import sys

import pytest
import torch

import torchkeras_layers as tkl
from torchkeras_layers import layers, registry
from torchkeras_layers.layers.base import Layer
from torchkeras_layers.models import Model, Sequential
from torchkeras_layers.models.serialization import deserialize_layer, serialize_layer, unsupported_layers

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
keras = pytest.importorskip("keras")

from equivalence_tests.harness import reference_config  # noqa: E402
from equivalence_tests.registry import all_specs  # noqa: E402

SPECS = {spec.name: spec for spec in all_specs()}
ENTRIES = list(registry.entries())
KERAS_ENTRIES = [pytest.param(e, id=e.keras_name) for e in ENTRIES if not e.torch_only]
TORCH_ONLY = [pytest.param(e, id=e.keras_name) for e in ENTRIES if e.torch_only]


def _keras_instance(entry):
    """The Keras layer (unbuilt, just constructed) and ours, from the class's equivalence spec."""
    if entry.cls is Sequential:
        return keras.Sequential(), Sequential()
    if entry.cls is Model:
        x = keras.Input((3,))
        theirs = keras.Model(x, keras.layers.Dense(2)(x))
        ours = tkl.from_keras(theirs)
        return theirs, ours
    if entry.cls is layers.InputLayer:
        return keras.layers.InputLayer(shape=(3,)), layers.InputLayer(shape=(3,))
    spec = SPECS.get(entry.keras_name)
    assert spec is not None, f"{entry.keras_name} has no equivalence spec to construct it from"
    sample = next(s for s in spec.samples if s.reference == "keras")
    ours = spec.cls(**sample.config)
    return spec.keras_from_config(reference_config(spec, ours, "keras")), ours


def test_every_exported_layer_class_is_registered():
    exported = [getattr(layers, n) for n in layers.__all__]
    classes = [c for c in exported if isinstance(c, type) and issubclass(c, Layer) and c is not Layer]
    assert classes and all(registry.entry_of(c) is not None for c in classes)
    assert registry.entry_of(Layer) is None


@pytest.mark.parametrize("entry", KERAS_ENTRIES)
def test_entry_names_the_class_keras_serialises(entry):
    theirs, ours = _keras_instance(entry)
    assert type(theirs) is entry.keras_class()
    keras_entry = keras.saving.serialize_keras_object(theirs)
    our_entry = serialize_layer(ours)
    for key in ("module", "class_name", "registered_name"):
        assert our_entry[key] == keras_entry[key], key
    assert registry.lookup(keras_entry["module"], keras_entry["class_name"]) is entry
    if entry.keras_module == registry.KERAS_LAYERS:  # configs may carry the source module instead
        source = type(theirs).__module__
        assert source.startswith("keras.src.layers.")
        assert registry.lookup(source, keras_entry["class_name"]) is entry


@pytest.mark.parametrize("entry", KERAS_ENTRIES)
def test_built_after_construction_like_keras(entry):
    theirs, ours = _keras_instance(entry)
    assert ours.built == theirs.built
    if entry.cls not in (Sequential, Model):
        assert entry.built_at_init == theirs.built


@pytest.mark.parametrize("entry", TORCH_ONLY)
def test_torch_only_layers_have_no_keras_class(entry):
    assert not hasattr(keras.layers, entry.keras_name)
    assert entry.module == registry.TORCH_ONLY_MODULE and entry.registered_name is None
    with pytest.raises(NotImplementedError, match=entry.keras_name):
        entry.keras_class()


def test_auto_names_follow_keras():
    """In fresh processes, the same sequence of constructions gets the same names on both sides."""
    calls = "[L.Conv2D(2, 3), L.MaxPooling2D(), L.GlobalAveragePooling1D(), L.Dense(2), L.Dense(2), " \
            "L.Dense(2, name='dense_5'), L.MultiHeadAttention(2, 2), L.InputLayer(shape=(2,))]"
    names = {}
    for side, setup in (("ours", "import torchkeras_layers.layers as L"),
                        ("keras", "import os; os.environ['KERAS_BACKEND'] = 'tensorflow'; import keras.layers as L")):
        code = f"{setup}; print(','.join(layer.name for layer in {calls}))"
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        names[side] = result.stdout.strip().splitlines()[-1]
    assert names["ours"] == names["keras"]
    assert names["keras"].split(",")[:5] == ["conv2d", "max_pooling2d", "global_average_pooling1d", "dense", "dense_1"]


def test_auto_name_prefix_is_keras_to_snake_case():
    from keras.src.utils.naming import to_snake_case

    from torchkeras_layers._serialization import snake_case

    for entry in ENTRIES:
        assert snake_case(entry.keras_name) == to_snake_case(entry.keras_name)


def test_matching_is_by_module_and_class():
    # Keras operations are not layers of the registry (models/ops.py converts those it knows); one it
    # does not know is named with its module.
    entry = {"module": "keras.src.ops.numpy", "class_name": "Cumsum", "config": {"name": "cumsum_op"}}
    assert registry.lookup(entry["module"], entry["class_name"]) is None
    with pytest.raises(NotImplementedError, match=r"'cumsum_op' \(keras\.src\.ops\.numpy\.Cumsum\)"):
        deserialize_layer(entry)
    assert unsupported_layers({"class_name": "Dense", "config": {"name": "d"}}) == [("d", "Dense, no module")]
    assert registry.lookup("keras.layers", "Add").cls is layers.Add
    assert registry.lookup("keras.src.layers.merging.add", "Add").cls is layers.Add


def test_torch_only_layers_round_trip_through_our_config():
    model = tkl.Sequential([tkl.Input((8, 3)), tkl.LPPooling1D(norm_type=2.0), tkl.Flatten()])
    config = model.get_config()
    assert config["layers"][1]["module"] == registry.TORCH_ONLY_MODULE
    clone = tkl.Sequential.from_config(config)
    assert type(clone.layers[0]) is layers.LPPooling1D and clone.get_config() == config
    with pytest.raises(NotImplementedError, match=r"no Keras counterpart: '.*' \(LPPooling1D\)"):
        tkl.to_keras(model)


def test_user_layer_is_unregistered_and_serialised_as_a_custom_class():
    class UserLayer(Layer):
        def forward(self, inputs):
            return inputs

    assert registry.entry_of(UserLayer) is None
    entry = serialize_layer(UserLayer(name="mine"))
    assert (entry["module"], entry["class_name"], entry["registered_name"]) == (__name__, "UserLayer", "UserLayer")
    with pytest.raises(NotImplementedError, match=re.escape(f"'mine' ({__name__}.UserLayer)")):
        deserialize_layer(entry)


def test_class_keyword_errors():
    class Probe:
        __module__ = "torchkeras_layers.layers.probe"

    with pytest.raises(TypeError, match="unknown class keyword"):
        registry.register(Probe, keras_modul="keras.layers")
    with pytest.raises(TypeError, match="torch_only"):
        registry.register(Probe, torch_only=True, built_at_init=True)
    with pytest.raises(ValueError, match="keras.layers.Dense is already mirrored by .*Dense"):
        registry.register(Probe, keras_name="Dense")
    assert registry.entry_of(Probe) is None


def test_build_configs_are_written_like_keras():
    """Layers Keras builds in `__init__` carry no build_config; the others carry their input shape."""
    def stack(L):
        return [L.MaxPooling2D(name="pool"), L.Flatten(name="flat"), L.Dropout(0.5, name="drop"),
                L.Dense(3, name="dense"), L.Reshape((3, 1), name="reshape")]

    theirs = keras.Sequential([keras.Input((4, 4, 2)), *stack(keras.layers)])
    ours = tkl.Sequential([tkl.Input((4, 4, 2)), *stack(tkl.layers)])
    keras_entries = theirs.get_config()["layers"]
    our_entries = ours.get_config()["layers"]
    assert [e["class_name"] for e in our_entries] == [e["class_name"] for e in keras_entries]
    for mine, keras_entry in zip(our_entries, keras_entries):
        assert ("build_config" in mine) == ("build_config" in keras_entry), mine["class_name"]
        if "build_config" in keras_entry:
            assert mine["build_config"]["input_shape"] == tuple(keras_entry["build_config"]["input_shape"])
    pool = tkl.MaxPooling2D()
    assert pool.built and pool(torch.ones(1, 4, 4, 2)).shape == (1, 2, 2, 2)


def test_subclasses_are_built_at_init_as_keras_subclasses_are():
    """Keras' `_build_at_init` builds a subclass of such a layer too, unless the subclass overrides `build`."""
    def subclasses(base):
        class Plain(base):
            pass

        class OwnBuild(base):
            def build(self, input_shape):
                super().build(input_shape)

        return Plain(0.5), OwnBuild(0.5)

    ours, theirs = subclasses(tkl.Dropout), subclasses(keras.layers.Dropout)
    assert [layer.built for layer in ours] == [layer.built for layer in theirs] == [True, False]
