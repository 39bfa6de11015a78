"""The repository walker: gitignore, default excludes, globs, symlinks, size and binary skips."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graph_sitter.codebase.walker import WalkOptions, walk_repository
from tests.codebase.fixture_outline import FIXTURES


def write(root: Path, path: str, content: bytes | str = "x = 1\n") -> Path:
    """Create root/path with content, directories included."""
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content.encode() if isinstance(content, str) else content)
    return target


def paths(root: Path, options: WalkOptions | None = None) -> list[str]:
    """The relative paths the walker selects."""
    return [entry.path for entry in walk_repository(str(root), options).files]


def test_gitignore_nested_and_negation(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "*.gen.py\n/top_only.py\nlogs/\n")
    write(tmp_path, "a.py")
    write(tmp_path, "b.gen.py")
    write(tmp_path, "top_only.py")
    write(tmp_path, "pkg/top_only.py")  # "/top_only.py" is anchored to the root
    write(tmp_path, "logs/trace.py")
    write(tmp_path, "pkg/.gitignore", "!keep.gen.py\nlocal.py\n")
    write(tmp_path, "pkg/keep.gen.py")  # re-included by the deeper .gitignore
    write(tmp_path, "pkg/drop.gen.py")
    write(tmp_path, "pkg/local.py")
    write(tmp_path, "local.py")  # pkg/.gitignore does not apply above pkg/
    assert paths(tmp_path) == ["a.py", "local.py", "pkg/keep.gen.py", "pkg/top_only.py"]
    assert "b.gen.py" in paths(tmp_path, WalkOptions(use_gitignore=False))


def test_git_info_exclude(tmp_path: Path) -> None:
    write(tmp_path, ".git/info/exclude", "secret.py\n")
    write(tmp_path, "secret.py")
    write(tmp_path, "open.py")
    assert paths(tmp_path) == ["open.py"]


def test_default_excludes(tmp_path: Path) -> None:
    write(tmp_path, "src/app.py")
    for directory in (".git", "node_modules/pkg", ".venv/lib", "__pycache__", "build", "dist",
                      "target/debug", ".tox", ".mypy_cache", "thing.egg-info"):
        write(tmp_path, f"{directory}/hidden.py")
    write(tmp_path, "myenv/pyvenv.cfg", "home = /usr\n")
    write(tmp_path, "myenv/lib/site.py")
    write(tmp_path, "venv/bin/activate", "# old-style virtualenv\n")
    write(tmp_path, "venv/lib/old.py")
    write(tmp_path, "pkg/venv/__init__.py")  # a package named venv (like the stdlib's) is kept
    assert paths(tmp_path) == ["pkg/venv/__init__.py", "src/app.py"]
    everything = paths(tmp_path, WalkOptions(use_default_excludes=False))
    assert "build/hidden.py" in everything and "myenv/lib/site.py" in everything


def test_include_and_exclude_globs(tmp_path: Path) -> None:
    for path in ("src/a.py", "src/b.ts", "tests/test_a.py", "docs/conf.py", "src/gen/x.py"):
        write(tmp_path, path)
    assert paths(tmp_path, WalkOptions(include=("src/",))) == ["src/a.py", "src/b.ts", "src/gen/x.py"]
    assert paths(tmp_path, WalkOptions(include=("*.py",), exclude=("tests/", "src/gen/"))) == ["docs/conf.py", "src/a.py"]


def test_unknown_extensions_are_ignored_not_skipped(tmp_path: Path) -> None:
    write(tmp_path, "README.md", "# hi\n")
    write(tmp_path, "data.json", "{}")
    write(tmp_path, "main.go", "package main\n")
    result = walk_repository(str(tmp_path))
    assert [e.path for e in result.files] == ["main.go"]
    assert result.skipped == []
    entry = result.files[0]
    assert entry.language == "go" and entry.size_bytes == 13 and entry.mtime_ns > 0


def test_size_binary_and_broken_symlink_are_skipped_with_reasons(tmp_path: Path) -> None:
    write(tmp_path, "small.py", "x = 1\n")
    write(tmp_path, "big.py", "x = 1\n" * 100)
    write(tmp_path, "blob.js", b"var a = 1;\x00\x01\x02")
    os.symlink(tmp_path / "missing.py", tmp_path / "dangling.py")
    result = walk_repository(str(tmp_path), WalkOptions(max_file_size=100))
    assert [e.path for e in result.files] == ["small.py"]
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons["big.py"].startswith("too large (600 bytes")
    assert reasons["blob.js"] == "binary"
    assert reasons["dangling.py"] == "broken symlink"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of permissions")
def test_unreadable_file_is_skipped(tmp_path: Path) -> None:
    target = write(tmp_path, "locked.py")
    target.chmod(0)
    try:
        reasons = {s.path: s.reason for s in walk_repository(str(tmp_path)).skipped}
    finally:
        target.chmod(0o644)
    assert reasons["locked.py"].startswith("unreadable")


def test_symlinked_directories_are_not_followed_and_loops_end(tmp_path: Path) -> None:
    write(tmp_path, "real/mod.py")
    os.symlink(tmp_path / "real", tmp_path / "alias")
    os.symlink(tmp_path, tmp_path / "real" / "loop")
    assert paths(tmp_path) == ["real/mod.py"]
    followed = paths(tmp_path, WalkOptions(follow_symlinks=True))
    # Each real directory is entered once, whatever the path leading to it.
    assert len(followed) == 1 and followed[0].endswith("mod.py")


def test_missing_root_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        walk_repository(str(tmp_path / "nope"))
    write(tmp_path, "file.py")
    with pytest.raises(NotADirectoryError):
        walk_repository(str(tmp_path / "file.py"))


def test_empty_directories(tmp_path: Path) -> None:
    (tmp_path / "empty" / "deeper").mkdir(parents=True)
    result = walk_repository(str(tmp_path))
    assert result.files == [] and result.skipped == []


def test_python_fixture_repository() -> None:
    result = walk_repository(str(FIXTURES / "python"))
    assert [e.path for e in result.files] == [
        "broken.py", "latin1.py", "shop/__init__.py", "shop/models.py",
        "shop/services/__init__.py", "shop/services/billing.py", "shop/services/tax.py",
    ]
    # node_modules/ and the virtualenv env1/ (it holds a pyvenv.cfg) are excluded by default.
    assert [(s.path, s.reason) for s in result.skipped] == [("blob.py", "binary")]
