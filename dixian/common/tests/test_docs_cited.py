"""Every citation of the project's documents in code points to a document and a section that exist.

Code comments cite "docs/domain.md §8", "docs/rules.md R05" or "docs/feeds.md §二": a maintainer with the
repository alone must be able to follow them. The documents live in docs/; nothing may cite a file outside
the repository or a bare "domain.md" that a reader cannot find.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs"
# Where code cites documents: the application, the benchmarks, settings and scripts.
CODE_DIRS = ("dixian", "bench", "config", "scripts")
# A document cited, optionally with a section: §N (§2, §16, §二) or a rule (R05, R01–R17).
CITATION = re.compile(r"docs/([\w-]+\.md)(?:[ ,]+(§(?:\d+|[一二三四五六七八九十]+)|R\d\d)(?:[–-](R\d\d))?)?")
# The same names without the docs/ prefix (the test's own path building, `"docs" / "feeds.md"`, is fine).
BARE = re.compile(r'(?<![\w/])(?<!"docs" / ")(domain|feeds|rules)\.md')
OUTSIDE = re.compile(r"\bshared/|\.\./shared")
THIS = Path(__file__).resolve()


def _code_files() -> list[Path]:
    files = [p for d in CODE_DIRS for p in sorted((ROOT / d).rglob("*.py")) if p.resolve() != THIS]
    assert len(files) > 100, "the code was not found"
    return files


@cache
def _headings(name: str) -> tuple[str, ...]:
    text = (DOCS / name).read_text(encoding="utf-8")
    return tuple(line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#"))


def _resolves(name: str, section: str | None) -> bool:
    if not (DOCS / name).is_file():
        return False
    if section is None:
        return True
    bare = section.removeprefix("§")
    # "## §2 Income line", "## R05 新纳入低保或特困", "## 二、通用要求"
    return any(h.split()[0] == section or h.startswith(f"{bare}、") for h in _headings(name) if h)


def _citations() -> list[tuple[str, str, str | None]]:
    found = []
    for path in _code_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in CITATION.finditer(line):
                where = f"{path.relative_to(ROOT)}:{number}"
                found.append((where, match.group(1), match.group(2)))
                if match.group(3):
                    found.append((where, match.group(1), match.group(3)))
    return found


def test_every_docs_citation_in_the_code_names_a_document_and_section_that_exist():
    citations = _citations()
    assert len(citations) > 30, "the comments' citations were not found"
    broken = [
        f"{where}: docs/{name} {section or ''}"
        for where, name, section in citations
        if not _resolves(name, section)
    ]
    assert broken == [], "citations that lead nowhere:\n" + "\n".join(broken)


def test_the_resolver_refuses_a_section_or_rule_that_is_not_there():
    assert _resolves("domain.md", "§8") and _resolves("rules.md", "R17") and _resolves("feeds.md", "§二")
    assert not _resolves("domain.md", "§99")
    assert not _resolves("rules.md", "R99")
    assert not _resolves("feeds.md", "§九")
    assert not _resolves("nowhere.md", None)


def test_no_code_cites_a_document_outside_docs_or_without_its_docs_prefix():
    wrong = []
    for path in _code_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if BARE.search(line) or OUTSIDE.search(line):
                wrong.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert wrong == [], "cite docs/domain.md, docs/rules.md or docs/feeds.md instead:\n" + "\n".join(wrong)


def test_the_documents_cite_each_other_by_sections_that_exist():
    broken = [
        f"{doc.name}: {match.group(0)}"
        for doc in sorted(DOCS.glob("*.md"))
        for match in CITATION.finditer(doc.read_text(encoding="utf-8"))
        if not all(_resolves(match.group(1), s) for s in (match.group(2), match.group(3)) if s)
        or not _resolves(match.group(1), None)
    ]
    assert broken == [], "\n".join(broken)
