"""Per-layer equivalence table: configurations tried / equal / max abs error.

    python -m equivalence_tests.report [--layers Dense,Conv2D] [--markdown out.md]

Runs every registry sample (hand-picked in float32 and float64, generated in float32) through the same
harness as the tests and prints one row per layer. Exit status 1 if any configuration differs.
"""

from __future__ import annotations

import argparse
import sys
import time

from .harness import Report, run_sample
from .registry import FUZZ_EXAMPLES, all_specs


def layer_row(spec) -> dict:
    row = {"layer": spec.name, "configs": 0, "equal": 0, "runs": 0, "forward": 0.0, "gradient": None, "state": 0.0,
           "gradcheck": False, "reference": set(), "failures": []}
    samples = [(s, d) for s in spec.samples for d in s.dtypes] + [(s, s.dtypes[0]) for s in spec.generated_samples()]
    seen_configs = set()
    for sample, dtype in samples:
        key = (repr(sample.config), sample.label())
        row["configs"] += key not in seen_configs
        seen_configs.add(key)
        row["runs"] += 1
        row["reference"].add(sample.reference if isinstance(sample.reference, str) else "numpy")
        report = Report()
        try:
            run_sample(spec, sample, dtype, report=report)
        except Exception as err:  # noqa: BLE001 - the report lists every failure
            row["failures"].append(f"{sample.label()} [{dtype}]: {str(err).splitlines()[0][:160]}")
            continue
        row["equal"] += 1
        row["gradcheck"] |= "gradcheck" in report.checks
        if dtype == "float32":
            row["forward"] = max(row["forward"], report.forward)
            row["state"] = max(row["state"], report.state)
            if "gradient" in report.checks:
                row["gradient"] = max(row["gradient"] or 0.0, report.gradient)
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layers", help="comma-separated Keras class names (default: all)")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--verbose", action="store_true", help="print a traceback for each failure")
    args = parser.parse_args(argv)
    wanted = set(args.layers.split(",")) if args.layers else None
    start = time.perf_counter()
    rows = [layer_row(spec) for spec in all_specs() if wanted is None or spec.name in wanted]
    lines = [
        f"Equivalence against Keras 3.15 / tf_keras 2.21 / numpy ({FUZZ_EXAMPLES} generated configurations per layer; "
        "max abs errors in float32)",
        "",
        "| layer | reference | configs | runs (f32+f64) | equal | max abs err fwd "
        "| grad (vs reference; gradcheck: float64 finite differences) | state |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        grad = [f"{r['gradient']:.1e}"] if r["gradient"] is not None else []
        grad += ["gradcheck"] if r["gradcheck"] else []
        lines.append(f"| {r['layer']} | {', '.join(sorted(r['reference']))} | {r['configs']} | {r['runs']} | "
                     f"{r['equal']}/{r['runs']} | {r['forward']:.1e} | {' + '.join(grad) or '-'} | {r['state']:.1e} |")
    failures = [(r["layer"], f) for r in rows for f in r["failures"]]
    lines.append("")
    passed = sum(r["equal"] for r in rows)
    lines.append(f"{passed} passed, {len(failures)} failed ({time.perf_counter() - start:.0f} s)")
    text = "\n".join(lines)
    print(text)
    for layer, failure in failures:
        print(f"  FAILED {layer}: {failure}", file=sys.stderr)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(text + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
