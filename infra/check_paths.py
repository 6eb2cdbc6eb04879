#!/usr/bin/env python3
"""Fails when a file of the repository refers to a path outside it.

A clone of this repository alone must build, test and bench: nothing may read a folder beside it (`../<elsewhere>/…`) or an
absolute path on the machine it was written on. Every relative path (`../x/y`) found in a tracked
text file is resolved against the places such a path can be relative to — the file's folder (as
`include_str!` and shell `dirname "$0"` do), its crate's folder (`CARGO_MANIFEST_DIR`) and the
repository root (the Makefile, scripts run from it). A reference is fine when one of those
resolutions exists inside the repository, and a defect when none does and one of them leaves it.
Absolute paths into the machine's work folders (`/work/`, `/root/`, `/home/`) are defects too.

Usage: check_paths.py [ROOT]        (default: the repository this file is in)
       check_paths.py --self-test
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

RELATIVE = re.compile(r"(?:\.\./)+[A-Za-z0-9_.\-/]*")
ABSOLUTE = re.compile(r"(?<![\w.:/])/(?:work|root|home)/[A-Za-z0-9_.\-/]+")
SKIP_DIRS = {".git", "target", ".venv", ".aws-sam", ".faultline", "node_modules", "__pycache__"}
TEXT_SUFFIXES = {
    ".rs", ".toml", ".yaml", ".yml", ".json", ".md", ".sh", ".py", ".txt", ".mk", ".js", ".ts",
    ".html", ".css", "",
}


def tracked_files(root: Path) -> list[Path]:
    """The files git tracks (or would: untracked but not ignored), else every file under root."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=root, check=True, capture_output=True,
        ).stdout.decode()
        return [root / p for p in out.split("\0") if p and (root / p).is_file()]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            files += [Path(dirpath) / f for f in filenames]
        return files


def crate_dir(path: Path, root: Path) -> Path:
    """The nearest folder above `path` holding a Cargo.toml (the root when none)."""
    here = path.parent
    while here != root and root in here.parents:
        if (here / "Cargo.toml").exists():
            return here
        here = here.parent
    return root


def inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def problems(root: Path) -> list[str]:
    root = root.resolve()
    found = []
    for file in tracked_files(root):
        rel = file.relative_to(root)
        if rel.suffix not in TEXT_SUFFIXES or file.resolve() == Path(__file__).resolve():
            continue  # this checker's own examples are not references
        if rel.parts[:2] == ("tests", "fixtures"):
            continue  # provider payloads are data, not references
        try:
            text = file.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        bases = {file.parent, crate_dir(file, root), root}
        for number, line in enumerate(text.splitlines(), 1):
            for match in RELATIVE.finditer(line):
                reference = match.group(0)
                resolved = [Path(os.path.normpath(base / reference)) for base in bases]
                if any(inside(p, root) and p.exists() for p in resolved):
                    continue
                if any(not inside(p, root) for p in resolved):
                    found.append(f"{rel}:{number}: `{reference}` leads outside the repository")
            for match in ABSOLUTE.finditer(line):
                found.append(f"{rel}:{number}: `{match.group(0)}` is an absolute path on one machine")
    return found


def self_test() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        outer = Path(tmp)
        repo = outer / "repo"
        (repo / "crate" / "src").mkdir(parents=True)
        (repo / "crate" / "Cargo.toml").write_text("[package]\n")
        (repo / "data").mkdir()
        (repo / "data" / "x.json").write_text("{}")
        (outer / "elsewhere" / "data").mkdir(parents=True)
        (repo / "crate" / "src" / "ok.rs").write_text(
            'include_str!("../../data/x.json"); env!("CARGO_MANIFEST_DIR").join("../..");\n'
        )
        assert problems(repo) == [], problems(repo)
        (repo / "crate" / "src" / "bad.rs").write_text(
            'concat!(env!("CARGO_MANIFEST_DIR"), "/../../elsewhere/data/a.json")\n'
        )
        (repo / "Makefile").write_text("test:\n\tcat ../elsewhere/data/a.json /work/x/y\n")
        found = problems(repo)
        assert len(found) == 3, found
        assert any("bad.rs:1" in f for f in found), found
        assert any("Makefile:2: `../elsewhere/data/a.json`" in f for f in found), found
        assert any("`/work/x/y`" in f for f in found), found
    print("check_paths self-test: 2 passed, 0 failed")


def main() -> int:
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        return 0
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    found = problems(root)
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(f"{len(found)} reference(s) to paths outside the repository", file=sys.stderr)
        return 1
    print("check_paths: every path stays inside the repository")
    return 0


if __name__ == "__main__":
    sys.exit(main())
