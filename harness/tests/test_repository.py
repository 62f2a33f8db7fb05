"""The repository's own rules, checked so that they stay true: the contract and every document
it cites are inside the repository, kernel files open with their contract only, no source file
in kernels/ or src/ grows past one idea's size, the README stays short, and the files in docs/
that the code and the README cite exist."""
import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MAX_SOURCE_LINES = 600    # kernels/ and src/: past this a file holds more than one idea
MAX_HEADER_LINES = 30     # a kernel file's opening comment: its contract, nothing else
MAX_README_LINES = 150


def tracked(*pathspecs):
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--", *pathspecs], cwd=ROOT,
                             capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [p for p in out.decode().split("\0") if p and os.path.exists(os.path.join(ROOT, p))]


def text(path):
    with open(os.path.join(ROOT, path), encoding="utf-8", errors="replace") as f:
        return f.read()


def opening_comment_lines(src):
    """Lines of the comment a C file opens with (0 when it opens with code)."""
    lines = src.split("\n")
    if not lines or not lines[0].lstrip().startswith(("/*", "//")):
        return 0
    if lines[0].lstrip().startswith("//"):
        n = 0
        while n < len(lines) and lines[n].lstrip().startswith("//"):
            n += 1
        return n
    for i, line in enumerate(lines):
        if "*/" in line:
            return i + 1
    return len(lines)


def test_no_citation_leaves_the_repository():
    # documents that live outside a clone: the contract's old home and the team's notes
    outside = re.compile(r"\.\./shared/|\bSPEC\.md\b|\bDESIGN\.md\b|\bTEAM\.md\b|\bSPEC section\b")
    bad = [f"{p}:{i}: {line.strip()}" for p in tracked(".", ":!results", ":!*.xz")
           if not p.endswith((".npy", ".png", ".pdf"))
           for i, line in enumerate(text(p).split("\n"), 1) if outside.search(line)
           and p != "harness/tests/test_repository.py"]
    assert bad == [], "\n".join(bad[:20])


def test_cited_docs_exist():
    cite = re.compile(r"\bdocs/([A-Za-z0-9_./-]+\.md)(#[a-z0-9-]+)?")
    anchors = {}

    def anchor_set(doc):
        if doc not in anchors:
            heads = re.findall(r"^#+ (.+)$", text(os.path.join("docs", doc)), re.M)
            anchors[doc] = {re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
                            for h in heads}
        return anchors[doc]

    bad = []
    for p in tracked("README.md", "docs", "include", "src", "kernels", "cli", "harness", "oracle",
                     "tests", "configs", "mk", "scripts", "Makefile", ".ci"):
        if p.endswith((".xz", ".npy", ".png", ".pdf")):
            continue
        for doc, frag in cite.findall(text(p)):
            if not os.path.exists(os.path.join(ROOT, "docs", doc)):
                bad.append(f"{p}: docs/{doc} does not exist")
            elif frag and frag[1:] not in anchor_set(doc):
                bad.append(f"{p}: docs/{doc}{frag}: no such heading")
    assert bad == [], "\n".join(sorted(set(bad))[:20])


def test_kernel_files_open_with_a_short_contract():
    long = []
    for p in tracked("kernels"):
        n = opening_comment_lines(text(p))
        if n > MAX_HEADER_LINES:
            long.append(f"{p}: opening comment of {n} lines")
    assert long == [], "\n".join(long)


def test_no_source_file_holds_more_than_one_idea():
    big = [f"{p}: {text(p).count(chr(10))} lines" for p in tracked("kernels", "src")
           if text(p).count("\n") > MAX_SOURCE_LINES]
    assert big == [], "\n".join(big)


def test_readme_is_short():
    n = text("README.md").count("\n")
    assert n <= MAX_README_LINES, f"README.md has {n} lines"


def test_nothing_names_a_tracker_item():
    # what changed and why, never which ticket asked for it
    ticket = re.compile(r"\b[Ii]ssues? ?#?\d+\b")
    bad = [f"{p}:{i}" for p in tracked(".", ":!results", ":!*.xz")
           if not p.endswith((".npy", ".png", ".pdf")) and p != "harness/tests/test_repository.py"
           for i, line in enumerate(text(p).split("\n"), 1) if ticket.search(line)]
    assert bad == [], "\n".join(bad[:20])
