"""Every `# type: ignore` names the error it silences and says why, as the house style asks.

mypy itself requires the code (`enable_error_code = ["ignore-without-code"]` in pyproject.toml) and
reports an ignore that no longer silences anything (`warn_unused_ignores`); the reason is ours to check:
`x = y  # type: ignore[attr-defined]  # set by the middleware`.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CHECKED = ("dixian", "config")

_IGNORE = re.compile(r"#\s*type:\s*ignore\b(?P<codes>\[[^\]]*\])?(?P<rest>.*)")
# What may stand between the ignore and its reason: a ruff suppression in the same comment.
_NOQA = re.compile(r"^\s*#\s*noqa(:\s*[A-Z]+[0-9]+(\s*,\s*[A-Z]+[0-9]+)*)?\s*(-\s*)?")


def ignores_without_reason(source: str) -> list[tuple[int, str]]:
    """(line, comment) of each `type: ignore` comment without an error code or without a reason after it.
    Comments only: a string that mentions `type: ignore` is not an ignore."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        match = _IGNORE.search(token.string)
        if match is None:
            continue
        codes = (match["codes"] or "").strip("[]").strip()
        rest = match["rest"]
        reason = _NOQA.sub("", rest, count=1) if rest.lstrip().startswith("#") else ""
        reason = reason.lstrip("#").strip()
        if not codes or not re.search(r"\w", reason):
            found.append((token.start[0], token.string))
    return found


def test_every_type_ignore_in_the_code_names_its_error_and_says_why() -> None:
    missing = [
        f"{path.relative_to(ROOT)}:{line}: {comment}"
        for folder in CHECKED
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line, comment in ignores_without_reason(path.read_text(encoding="utf-8"))
    ]
    assert not missing, "a `# type: ignore[code]` needs a reason after it:\n" + "\n".join(missing)


@pytest.mark.parametrize(
    "line",
    [
        "x = y  # type: ignore[attr-defined]  # set by the middleware\n",
        "x = y  # type: ignore[misc, arg-type]  # pk=None is IS NULL\n",
        "x = y  # type: ignore[attr-defined]  # noqa: S308 - shown by the template\n",
        's = "# type: ignore"\n',
    ],
)
def test_an_ignore_with_its_code_and_reason_passes(line: str) -> None:
    assert ignores_without_reason(line) == []


@pytest.mark.parametrize(
    "line",
    [
        "x = y  # type: ignore\n",
        "x = y  # type: ignore  # no code\n",
        "x = y  # type: ignore[attr-defined]\n",
        "x = y  # type: ignore[attr-defined]  #\n",
        "x = y  # type: ignore[]  # empty code list\n",
        "x = y  # type: ignore[attr-defined]  # noqa: S308\n",
        "x = y  # type:ignore[attr-defined] reason without a hash\n",
    ],
)
def test_an_ignore_without_a_code_or_a_reason_is_reported(line: str) -> None:
    assert [line_no for line_no, _ in ignores_without_reason(line)] == [1]
