"""Which files of a repository to analyse, and why the others are skipped.

Rules, in order:
* Directories: the default excludes (``.git``, ``node_modules``, virtualenvs (``.venv`` and any
  directory holding a ``pyvenv.cfg``, ``bin/activate`` or ``Scripts/activate``; a package named
  ``venv``, like the standard library's, is kept), ``__pycache__``, build output
  ``build``/``dist``/``target`` and tool caches), then the ``exclude`` globs, then ``.gitignore``
  rules are not entered. Symlinked directories are not followed (unless ``follow_symlinks``, which then tracks
  visited real paths so a loop is entered once).
* Files: a file no registered language handles is ignored silently. Files matched by ``exclude``,
  by ``.gitignore`` (nested ``.gitignore`` files apply below their directory and take precedence,
  ``!negations`` included, plus ``.git/info/exclude``) or not matched by ``include`` (when given)
  are ignored too. Files over ``max_file_size``, binary files (a NUL byte in the first 8 KiB),
  unreadable files and broken symlinks are returned as skipped, with the reason.

Globs and ignore files use git's wildmatch syntax (``pathspec.GitIgnoreSpec``), relative to the
root (``docs/``, ``*.min.js``, ``tests/**/data``).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

import pathspec

from graph_sitter.codebase.extract import BINARY_SNIFF_BYTES, DEFAULT_MAX_FILE_SIZE
from graph_sitter.codebase.languages import language_for_path

DEFAULT_EXCLUDED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "bower_components", ".venv", "__pycache__",
    "build", "dist", "target", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".eggs", ".gradle", ".next", ".idea",
})


@dataclass(frozen=True, slots=True)
class WalkOptions:
    """What to include: globs, size limit, and which default rules apply."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    use_gitignore: bool = True
    use_default_excludes: bool = True
    follow_symlinks: bool = False


@dataclass(slots=True)
class FileEntry:
    """A file to analyse: path relative to the root (posix), language, size and mtime."""

    path: str
    language: str
    size_bytes: int
    mtime_ns: int


@dataclass(slots=True)
class SkippedFile:
    """A source file that will not be analysed, and why."""

    path: str
    reason: str
    language: str | None = None


@dataclass(slots=True)
class WalkResult:
    """The files to analyse and the skipped ones, both sorted by path."""

    root: str
    files: list[FileEntry] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)

    def bytes_by_language(self) -> dict[str, int]:
        """Bytes of the files to analyse per language, largest first."""
        sizes: dict[str, int] = {}
        for entry in self.files:
            sizes[entry.language] = sizes.get(entry.language, 0) + entry.size_bytes
        return dict(sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])))


def _spec(lines: list[str]) -> pathspec.GitIgnoreSpec | None:
    lines = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None


def _read_ignore_file(path: str) -> pathspec.GitIgnoreSpec | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return _spec(handle.read().splitlines())
    except OSError:
        return None


def _ignored(rel_path: str, specs: list[tuple[str, pathspec.GitIgnoreSpec]]) -> bool:
    """Git's rule: the deepest ignore file with a matching pattern decides, last pattern wins."""
    for base, spec in reversed(specs):
        relative = rel_path[len(base):] if base else rel_path
        result = spec.check_file(relative)
        if result.include is not None:
            return bool(result.include)
    return False


def _is_virtualenv(directory: str, entries: list[os.DirEntry]) -> bool:
    names = {entry.name for entry in entries}
    if "pyvenv.cfg" in names:
        return True
    # Old-style virtualenvs have no pyvenv.cfg, only activation scripts.
    return os.path.exists(os.path.join(directory, "bin", "activate")) or os.path.exists(
        os.path.join(directory, "Scripts", "activate")
    )


def _sniff(path: str) -> str | None:
    """None for a readable text file, else why it is skipped."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(BINARY_SNIFF_BYTES)
    except OSError as exc:
        return f"unreadable: {exc.strerror or type(exc).__name__}"
    return "binary" if b"\0" in head else None


def walk_repository(root: str, options: WalkOptions | None = None) -> WalkResult:
    """List the files under ``root`` to analyse and the skipped ones; raises if root is no directory."""
    options = options or WalkOptions()
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        if not os.path.exists(root):
            raise FileNotFoundError(f"no such directory: {root}")
        raise NotADirectoryError(f"not a directory: {root}")
    result = WalkResult(root=root)
    include = _spec(list(options.include)) if options.include else None
    exclude = _spec(list(options.exclude)) if options.exclude else None
    base_specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []
    if options.use_gitignore:
        info_exclude = _read_ignore_file(os.path.join(root, ".git", "info", "exclude"))
        if info_exclude is not None:
            base_specs.append(("", info_exclude))
    visited: set[str] = {os.path.realpath(root)} if options.follow_symlinks else set()
    stack: list[tuple[str, str, list[tuple[str, pathspec.GitIgnoreSpec]]]] = [(root, "", base_specs)]
    while stack:
        directory, rel_dir, specs = stack.pop()
        try:
            with os.scandir(directory) as iterator:
                entries = sorted(iterator, key=lambda entry: entry.name)
        except OSError as exc:
            result.skipped.append(SkippedFile(rel_dir.rstrip("/") or ".", f"unreadable directory: {exc.strerror}"))
            continue
        if rel_dir and options.use_default_excludes and _is_virtualenv(directory, entries):
            continue
        if options.use_gitignore and any(e.name == ".gitignore" for e in entries):
            spec = _read_ignore_file(os.path.join(directory, ".gitignore"))
            if spec is not None:
                specs = specs + [(rel_dir, spec)]
        subdirectories = []
        for entry in entries:
            rel_path = rel_dir + entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=options.follow_symlinks)
            except OSError:
                is_dir = False
            if is_dir:
                if options.follow_symlinks:
                    real = os.path.realpath(entry.path)
                    if real in visited:
                        continue  # already entered by another path: a loop or an alias
                    visited.add(real)
                elif entry.is_symlink():
                    continue
                if options.use_default_excludes and (
                    entry.name in DEFAULT_EXCLUDED_DIRS or entry.name.endswith(".egg-info")
                ):
                    continue
                dir_path = rel_path + "/"
                if exclude is not None and exclude.match_file(dir_path):
                    continue
                if specs and _ignored(dir_path, specs):
                    continue
                subdirectories.append((entry.path, dir_path, specs))
                continue
            support = language_for_path(entry.name)
            if support is None:
                continue
            if exclude is not None and exclude.match_file(rel_path):
                continue
            if include is not None and not include.match_file(rel_path):
                continue
            if specs and _ignored(rel_path, specs):
                continue
            _add_file(result, entry, rel_path, support.name, options)
        stack.extend(reversed(subdirectories))
    result.files.sort(key=lambda item: item.path)
    result.skipped.sort(key=lambda item: item.path)
    return result


def _add_file(result: WalkResult, entry: os.DirEntry, rel_path: str, language: str, options: WalkOptions) -> None:
    try:
        info = entry.stat(follow_symlinks=True)
    except FileNotFoundError:
        result.skipped.append(SkippedFile(rel_path, "broken symlink", language))
        return
    except OSError as exc:
        result.skipped.append(SkippedFile(rel_path, f"unreadable: {exc.strerror}", language))
        return
    if not stat.S_ISREG(info.st_mode):
        result.skipped.append(SkippedFile(rel_path, "not a regular file", language))
        return
    if info.st_size > options.max_file_size:
        result.skipped.append(SkippedFile(rel_path, f"too large ({info.st_size} bytes > {options.max_file_size})", language))
        return
    reason = _sniff(entry.path)
    if reason is not None:
        result.skipped.append(SkippedFile(rel_path, reason, language))
        return
    result.files.append(FileEntry(rel_path, language, info.st_size, info.st_mtime_ns))
