"""docs/reliability.md names only tests that exist: every `tests/...py` file and every `::test_name`."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_the_reliability_doc_names_exists():
    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    missing = []
    current = None
    for token in re.findall(r"(tests/[\w/]+\.py)?((?:::\w+)+)?", text):
        path, names = token
        if path:
            current = ROOT / path
            if not current.is_file():
                missing.append(path)
                continue
        if names and current is not None and current.is_file():
            source = current.read_text(encoding="utf-8")
            for name in names.split("::")[1:]:
                if not re.search(rf"def {name}\b", source):
                    missing.append(f"{current.relative_to(ROOT)}::{name}")
    assert missing == []
