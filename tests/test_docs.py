"""The generated reference pages are up to date with the code (`make docs` rewrites them)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_generated_pages_are_current():
    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    for path, make in generate.PAGES.items():
        assert path.read_text() == make(), f"{path.relative_to(ROOT)} is stale: run `make docs`"
