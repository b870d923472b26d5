"""The best model as Keras files: `best_model.keras` (architecture, weights and the example's compile
settings, so `keras.models.load_model(...).evaluate(...)` works) and `best_model.weights.h5`
(`keras_model.load_weights` on the Keras Tuner example's model), through `torchkeras_layers.to_keras`.

On the CPU the report exports in its own process (Keras is imported then, lazily). When the study ran on
a GPU it runs `python -m tuning.keras_export OUT_DIR` in a CPU-only process instead, so that TensorFlow
never claims the GPU's memory.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

KERAS_FILES = ("best_model.keras", "best_model.weights.h5")


def export(model, out_dir: Path) -> list[Path]:
    """Write `model` (ours, built) as `best_model.keras` and `best_model.weights.h5` in `out_dir`."""
    import torchkeras_layers as tkl

    from .files import atomic_path

    keras_model = tkl.to_keras(model)
    # The example's `model.compile(...)`, so the loaded model evaluates and trains as it did in Keras.
    keras_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    keras_model.optimizer.build(keras_model.trainable_variables)  # saved with its slots: loads without a warning
    keras_file, weights_file = (out_dir / name for name in KERAS_FILES)
    with atomic_path(keras_file) as tmp:
        keras_model.save(tmp)
    with atomic_path(weights_file) as tmp:
        keras_model.save_weights(tmp)
    return [keras_file, weights_file]


def keras_available() -> bool:
    return importlib.util.find_spec("keras") is not None


def export_here(model, out_dir: Path, log=print) -> list[Path]:
    """:func:`export` in this process (on a copy on the CPU); [] with a note when Keras is missing or fails."""
    import copy

    if not keras_available():
        log("  (Keras is not installed: no .keras / .weights.h5 files; best_model.keras_weights.npz has the weights)")
        return []
    from torchkeras_layers.testing import use_reference_environment

    use_reference_environment()
    try:
        return export(copy.deepcopy(model).cpu(), out_dir)
    except Exception as err:  # the PyTorch files are written already; say why the Keras ones are not
        log(f"  (the Keras export failed: {type(err).__name__}: {err}; best_model.keras_weights.npz has the weights)")
        return []


def export_in_subprocess(out_dir: Path, log=print) -> list[Path]:
    """Run :func:`main` for `out_dir` (which holds best_model.pt and best_params.json) in a CPU-only
    process; returns the files written, or [] (with a note) when Keras is missing or the export fails."""
    if not keras_available():
        log("  (Keras is not installed: no .keras / .weights.h5 files; best_model.keras_weights.npz has the weights)")
        return []
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-m", "tuning.keras_export", str(out_dir)], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        log(f"  (the Keras export failed; best_model.keras_weights.npz has the weights)\n{done.stderr[-2000:]}")
        return []
    return [out_dir / name for name in KERAS_FILES]


def main(argv: list[str] | None = None) -> int:
    import torch

    from .hp import HyperParameters
    from .model import build_model

    out_dir = Path((sys.argv[1:] if argv is None else argv)[0])
    params = json.loads((out_dir / "best_params.json").read_text())["params"]
    model = build_model(HyperParameters(values=params))
    model.load_state_dict(torch.load(out_dir / "best_model.pt", map_location="cpu"))
    export(model, out_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
