"""The project's notes stay in step with the code: every "docs/theory.md N[.M]" citation names a
heading of docs/theory.md, and every src/activediff/... or tests/... path the notes name exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
THEORY = REPO / "docs" / "theory.md"
NOTES = (THEORY, REPO / "docs" / "architecture.md")
# Where the code cites the notes: directories scanned recursively, and single files.
CITING_ROOTS = ("src", "workflow", "tests", "benchmarks", "config.yaml", "README.md", "Snakefile")
TEXT_SUFFIXES = {".py", ".smk", ".yaml", ".yml", ".md", ".rst", ".txt", ".sh", ".toml", ".cfg", ".json"}
SKIP_DIRS = {"__pycache__", ".venv", "results", ".snakemake", ".pytest_cache"}

_NUMBER = r"\d+(?:\.\d+)?"
_SEPARATOR = r"\s*(?:,|-|–|and)\s*"
# "theory.md 2.6", "theory.md 7.1, 7.2", "theory.md 1-3", "theory.md section 8", "theory.md sections 1-3"
CITATION = re.compile(rf"theory\.md\s+(?:sections?\s+|§\s*)?({_NUMBER}(?:{_SEPARATOR}{_NUMBER})*)")
HEADING = re.compile(r"^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s", re.M)
# A repository path the notes name; '*' allowed (globs), trailing punctuation stripped below.
PATH = re.compile(r"(?<![\w./-])((?:src/activediff|tests)/[\w./*{}-]*)")


def headings(text: str) -> set[str]:
    """Section numbers of the markdown headings, e.g. {'1', '2', '2.1', ...}."""
    return set(HEADING.findall(text))


def cited_sections(text: str) -> list[str]:
    """Every section number a text cites, with ranges expanded ("1-3" -> 1, 2, 3; "2.1-2.3" ->
    2.1, 2.2, 2.3) and comma lists split."""
    out = []
    for match in CITATION.finditer(text):
        group = match.group(1)
        numbers = re.findall(_NUMBER, group)
        separators = re.findall(_SEPARATOR, group)
        out.append(numbers[0])
        for sep, prev, cur in zip(separators, numbers, numbers[1:]):
            if sep.strip() in ("-", "–"):
                out.extend(_range(prev, cur))
            else:
                out.append(cur)
    return out


def _range(first: str, last: str) -> list[str]:
    """Numbers after `first` up to `last`: whole sections, or subsections of one section."""
    a, b = first.split("."), last.split(".")
    if len(a) == len(b) == 1 and int(a[0]) < int(b[0]):
        return [str(n) for n in range(int(a[0]) + 1, int(b[0]) + 1)]
    if len(a) == len(b) == 2 and a[0] == b[0] and int(a[1]) < int(b[1]):
        return [f"{a[0]}.{n}" for n in range(int(a[1]) + 1, int(b[1]) + 1)]
    return [last]


def citing_files(repo: Path, roots=CITING_ROOTS) -> list[Path]:
    files = []
    for name in roots:
        root = repo / name
        if root.is_file():
            files.append(root)
        elif root.is_dir():
            files += [p for p in sorted(root.rglob("*"))
                      if p.is_file() and p.suffix in TEXT_SUFFIXES
                      and not SKIP_DIRS.intersection(p.relative_to(repo).parts)]
    return files


def unresolved_citations(repo: Path, theory_text: str, roots=CITING_ROOTS) -> list[str]:
    """'file:line: theory.md N' for every citation without a heading N in the notes."""
    known = headings(theory_text)
    bad = []
    for path in citing_files(repo, roots):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(lines, 1):
            for section in cited_sections(line):
                if section not in known:
                    bad.append(f"{path.relative_to(repo)}:{number}: theory.md {section}")
    return bad


def named_paths(text: str) -> list[str]:
    return sorted({m.rstrip(".,;:)") for m in PATH.findall(text)})


def missing_paths(repo: Path, text: str) -> list[str]:
    """Paths named in a note that match no file or folder of the repository (globs allowed)."""
    missing = []
    for path in named_paths(text):
        pattern = re.sub(r"\{[^}]*\}", "*", path).rstrip("/")
        found = any(repo.glob(pattern)) if "*" in pattern else (repo / pattern).exists()
        if not found:
            missing.append(path)
    return missing


# ---- the helpers themselves ---------------------------------------------------------------------


def test_citation_parser_reads_every_form():
    text = ("(docs/theory" ".md 2.6) see theory" ".md 7.1, 7.2 and theory" ".md 1-3, 2.6; "
            "theory" ".md section 8, theory" ".md sections 4.1-4.3; theory" ".md's D; theory" ".md 5 [A]")
    assert cited_sections(text) == ["2.6", "7.1", "7.2", "1", "2", "3", "2.6", "8", "4.1", "4.2", "4.3", "5"]


def test_headings_are_found():
    assert headings("# Title\n## 2 Active process\n### 2.6 Hyper-parameters\n## 10. Sampling\ntext 3 x\n") == {
        "2", "2.6", "10"}


def test_a_bogus_citation_is_reported(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "mod.py").write_text('"""Fine (docs/theory' '.md 1-2).\nBad (docs/theory' '.md 2, 42.7)."""\n')
    notes = "## 1 One\n## 2 Two\n"
    assert unresolved_citations(tmp_path, notes, roots=("src",)) == ["src/mod.py:2: theory" ".md 42.7"]
    assert unresolved_citations(tmp_path, notes + "### 42.7 Extra\n", roots=("src",)) == []


def test_a_missing_path_is_reported(tmp_path):
    (tmp_path / "src" / "activediff").mkdir(parents=True)
    (tmp_path / "src" / "activediff" / "sde.py").write_text("")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_sde.py").write_text("")
    text = ("`src/activediff/sde.py`, `src/activediff/`, tests/test_*.py, "
            "`tests/test_gone.py`. and src/activediff/nowhere.py.")
    assert missing_paths(tmp_path, text) == ["src/activediff/nowhere.py", "tests/test_gone.py"]


# ---- the repository -----------------------------------------------------------------------------


def test_theory_notes_have_the_spec_numbering():
    assert headings(THEORY.read_text(encoding="utf-8")) >= {
        "1", "2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "3", "4", "4.1", "4.2", "4.3",
        "5", "6", "7", "7.1", "7.2", "8", "9", "10"}


def test_every_citation_resolves_to_a_heading():
    assert citing_files(REPO), "no files to scan"
    bad = unresolved_citations(REPO, THEORY.read_text(encoding="utf-8"))
    assert not bad, "citations of docs/theory.md sections that have no heading there:\n" + "\n".join(bad)


@pytest.mark.parametrize("note", NOTES, ids=lambda p: p.name)
def test_paths_named_in_the_notes_exist(note):
    text = note.read_text(encoding="utf-8")
    assert named_paths(text), f"{note.name} names no src/activediff or tests paths"
    missing = missing_paths(REPO, text)
    assert not missing, f"{note.name} names paths that do not exist: {missing}"
