"""Keras Tuner's `HyperParameters`, backed by an Optuna trial, so a Keras Tuner `build(hp)` ports by
changing its imports.

    def build(hp):
        units = hp.Int("units", min_value=32, max_value=128, step=32)
        if hp.Boolean("dropout"):
            with hp.conditional_scope("dropout", [True]):
                rate = hp.Float("rate", 0.1, 0.5)
        ...

* over a trial (`HyperParameters(trial)`), each call suggests through Optuna: `Int`/`Float` with a
  linear step or `sampling="log"` become `suggest_int`/`suggest_float`; a log `step` (Keras Tuner's
  multiplier between neighbours) becomes a categorical over the geometric values; `Choice`,
  `Boolean` and `Fixed` become `suggest_categorical`;
* over fixed values (`HyperParameters(values={...})`, e.g. the best trial's params), each call returns
  the given value, or the Keras Tuner default (`min_value`, the first choice, `False`);
* inside `conditional_scope(parent, values)` (or with `parent_name=`/`parent_values=`), a
  hyperparameter whose condition does not hold is not suggested and returns `None`, as in Keras Tuner.

Every call is also recorded in `space` (name -> :class:`Spec`), which is how the grid of a finite
search space is enumerated (:func:`grid`).
"""

from __future__ import annotations

import contextlib
import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["HyperParameters", "Spec", "grid"]

_SAMPLINGS = ("linear", "log")


@dataclass(frozen=True)
class Condition:
    parent: str
    values: tuple


@dataclass
class Spec:
    """One hyperparameter as declared: kind, bounds or choices, default and activation conditions."""

    name: str
    kind: str  # "Int", "Float", "Choice", "Boolean", "Fixed"
    choices: tuple | None = None  # a finite space (Choice/Boolean/Fixed, stepped Int/Float)
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    default: Any = None
    conditions: tuple[Condition, ...] = field(default=())


class HyperParameters:
    """Keras Tuner's `HyperParameters` API over an Optuna trial (or over fixed values)."""

    def __init__(self, trial=None, values: dict | None = None):
        if trial is not None and values is not None:
            raise ValueError("HyperParameters: pass either `trial` or `values`, not both")
        self._trial = trial
        self._given = dict(values or {})
        self.values: dict[str, Any] = {}  # the active hyperparameters' values, in declaration order
        self.space: dict[str, Spec] = {}
        self._scopes: list[Condition] = []

    # ------------------------------------------------------------------ Keras Tuner's methods
    def Int(self, name, min_value, max_value, step=None, sampling="linear", default=None,
            parent_name=None, parent_values=None) -> int | None:
        for arg, value in (("min_value", min_value), ("max_value", max_value)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise self._error("Int", name, arg, "must be an int", value)
        step = 1 if step is None else step
        if isinstance(step, bool) or not isinstance(step, int) or step < 1:
            raise self._error("Int", name, "step", "must be a positive int", step)
        self._check_bounds("Int", name, min_value, max_value, sampling)
        if sampling == "log" and step > 1:
            choices = _geometric(min_value, max_value, step, int)
            spec = Spec(name, "Int", choices=choices, default=min_value if default is None else default)
        else:
            choices = tuple(range(min_value, max_value + 1, step)) if sampling == "linear" else None
            spec = Spec(name, "Int", choices=choices, low=min_value, high=max_value, step=step,
                        log=sampling == "log", default=min_value if default is None else default)
        return self._retrieve(spec, parent_name, parent_values)

    def Float(self, name, min_value, max_value, step=None, sampling="linear", default=None,
              parent_name=None, parent_values=None) -> float | None:
        for arg, value in (("min_value", min_value), ("max_value", max_value)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self._error("Float", name, arg, "must be a number", value)
        if step is not None and (isinstance(step, bool) or not isinstance(step, (int, float)) or step <= 0):
            raise self._error("Float", name, "step", "must be None or a positive number", step)
        self._check_bounds("Float", name, min_value, max_value, sampling)
        min_value, max_value = float(min_value), float(max_value)
        default = min_value if default is None else float(default)
        if sampling == "log" and step is not None:
            spec = Spec(name, "Float", choices=_geometric(min_value, max_value, step, float), default=default)
        else:
            choices = None
            if step is not None:
                count = int(math.floor((max_value - min_value) / step + 1e-9)) + 1
                choices = tuple(min_value + i * step for i in range(count))
            spec = Spec(name, "Float", choices=choices, low=min_value, high=max_value,
                        step=None if step is None else float(step), log=sampling == "log", default=default)
        return self._retrieve(spec, parent_name, parent_values)

    def Choice(self, name, values, ordered=None, default=None, parent_name=None, parent_values=None):
        # `ordered` only guides Keras Tuner's Bayesian oracle; Optuna samples choices as categories.
        if not isinstance(values, (list, tuple)) or not values:
            raise self._error("Choice", name, "values", "must be a non-empty list", values)
        kinds = {type(v) for v in values}
        if len(kinds) > 1 or not kinds <= {int, float, str, bool}:
            raise self._error("Choice", name, "values", "must all be of one type: int, float, str or bool", values)
        if default is not None and default not in values:
            raise self._error("Choice", name, "default", f"must be one of {list(values)}", default)
        spec = Spec(name, "Choice", choices=tuple(values), default=values[0] if default is None else default)
        return self._retrieve(spec, parent_name, parent_values)

    def Boolean(self, name, default=False, parent_name=None, parent_values=None) -> bool | None:
        if not isinstance(default, bool):
            raise self._error("Boolean", name, "default", "must be a bool", default)
        return self._retrieve(Spec(name, "Boolean", choices=(False, True), default=default), parent_name, parent_values)

    def Fixed(self, name, value, parent_name=None, parent_values=None):
        if not isinstance(value, (int, float, str, bool)):
            raise self._error("Fixed", name, "value", "must be an int, float, str or bool", value)
        return self._retrieve(Spec(name, "Fixed", choices=(value,), default=value), parent_name, parent_values)

    @contextlib.contextmanager
    def conditional_scope(self, parent_name: str, parent_values):
        """Hyperparameters declared inside are active only while `parent_name`'s value is in `parent_values`."""
        if parent_name not in self.space:
            raise ValueError(
                f"HyperParameters.conditional_scope: argument `parent_name` must name a hyperparameter "
                f"declared before; received {parent_name!r}"
            )
        values = tuple(parent_values) if isinstance(parent_values, (list, tuple)) else (parent_values,)
        self._scopes.append(Condition(parent_name, values))
        try:
            yield
        finally:
            self._scopes.pop()

    def is_active(self, name) -> bool:
        spec = self.space.get(getattr(name, "name", name))
        return spec is not None and self._conditions_hold(spec.conditions)

    def get(self, name):
        if name not in self.space:
            raise KeyError(f"HyperParameters: no hyperparameter named {name!r}")
        return self.values.get(name)

    def __getitem__(self, name):
        return self.get(name)

    def __contains__(self, name) -> bool:
        return name in self.space

    # ------------------------------------------------------------------ plumbing
    def _retrieve(self, spec: Spec, parent_name, parent_values):
        if parent_name is not None:
            with self.conditional_scope(parent_name, parent_values):
                return self._retrieve(spec, None, None)
        spec.conditions = tuple(self._scopes)
        known = self.space.get(spec.name)
        if known is not None and (known.kind, known.choices, known.low, known.high, known.step, known.log) != (
                spec.kind, spec.choices, spec.low, spec.high, spec.step, spec.log):
            raise ValueError(f"HyperParameters.{spec.kind}: `{spec.name}` was already declared differently ({known})")
        self.space.setdefault(spec.name, spec)
        if not self._conditions_hold(spec.conditions):
            return None  # inactive, as Keras Tuner returns it
        if spec.name not in self.values:
            self.values[spec.name] = self._suggest(spec) if self._trial is not None else self._given.get(spec.name, spec.default)
        return self.values[spec.name]

    def _suggest(self, spec: Spec):
        trial = self._trial
        if spec.kind in ("Choice", "Boolean", "Fixed") or (spec.choices is not None and spec.step is None):
            return trial.suggest_categorical(spec.name, list(spec.choices))
        if spec.kind == "Int":
            return trial.suggest_int(spec.name, spec.low, spec.high, step=spec.step, log=spec.log)
        return trial.suggest_float(spec.name, spec.low, spec.high, step=spec.step, log=spec.log)

    def _conditions_hold(self, conditions) -> bool:
        return _conditions_hold(self.space, self.values, conditions)

    @staticmethod
    def _error(method, name, arg, expected, got) -> ValueError:
        return ValueError(f"HyperParameters.{method}({name!r}): argument `{arg}` {expected}; received {got!r}")

    def _check_bounds(self, method, name, low, high, sampling):
        if low > high:
            raise self._error(method, name, "max_value", f"must be >= min_value={low}", high)
        if sampling not in _SAMPLINGS:
            raise self._error(method, name, "sampling", f"must be one of {_SAMPLINGS} (Optuna has no "
                              "reverse_log)", sampling)
        if sampling == "log" and low <= 0:
            raise self._error(method, name, "min_value", "must be > 0 with sampling='log'", low)


def _conditions_hold(space: dict, values: dict, conditions) -> bool:
    """Every condition's parent is active and has one of the condition's values."""
    return all(values.get(c.parent) in c.values and _conditions_hold(space, values, space[c.parent].conditions)
               for c in conditions)


def _geometric(low, high, factor, cast) -> tuple:
    """Keras Tuner's log `step`: low, low*factor, low*factor**2, ... <= high."""
    if factor <= 1:
        raise ValueError(f"HyperParameters: a log-sampled `step` is a multiplier and must be > 1; received {factor!r}")
    values, value = [], low
    while value <= high * (1 + 1e-12):
        values.append(cast(value))
        value *= factor
    return tuple(values)


def grid(build: Callable[[HyperParameters], Any]) -> list[dict]:
    """Every distinct set of values `build` can see in a finite search space, in declaration order
    (Keras Tuner's GridSearch order: the last-declared hyperparameter varies fastest).

    The space is discovered by running `build`: first with the defaults, then with every combination
    of what is known so far, until no new hyperparameter appears (so a hyperparameter declared only
    under a condition is found too). Each point is the `values` that `build` saw, so hyperparameters
    a combination makes inactive are left out and the duplicates this creates are dropped.
    """
    specs: dict[str, Spec] = {}

    def run(values: dict) -> dict:
        hp = HyperParameters(values=values)
        build(hp)
        for name, spec in hp.space.items():
            if spec.choices is None:
                raise ValueError(
                    f"grid search needs a finite search space: {spec.kind} {name!r} has no `step` "
                    "(give it one, or use the random or TPE sampler)"
                )
            specs.setdefault(name, spec)
        return hp.values

    run({})
    while True:
        known = len(specs)
        points, seen = [], set()
        for combination in itertools.product(*(spec.choices for spec in specs.values())):
            values = run(dict(zip(specs, combination)))
            key = tuple(values.items())
            if key not in seen:
                seen.add(key)
                points.append(values)
        if len(specs) == known:
            return points
