"""The `gsdb nightly` configuration file: which repositories to analyse, and how.

```toml
[nightly]                       # optional
name = "nightly"                # the workflow in task_db (default: the file's name without .toml)

[defaults]                      # optional: options every repository starts from
jobs = 2

[[repositories]]
name = "requests"               # the codebase name (default: the directory name)
path = "/srv/src/requests"      # absolute, or relative to this file
branch = "main"                 # optional: analyse this branch (see graph_sitter.jobs.checkout)
excludes = ["tests/**"]         # optional globs, as `gsdb analyze --exclude`
includes = []                   # optional globs, as `gsdb analyze --include`
options = { full = false, jobs = 2, max_file_size = 2097152, library = false }
```
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from graph_sitter.config import DEFAULT_MAX_FILE_SIZE
from graph_sitter.errors import ConfigurationError

_REPOSITORY_KEYS = {"name", "path", "branch", "excludes", "includes", "options"}
_OPTION_KEYS = {"full", "jobs", "max_file_size", "library"}
_TOP_KEYS = {"nightly", "defaults", "repositories"}


class NightlyConfigError(ConfigurationError):
    """The nightly configuration file is missing, unreadable or says something invalid."""


@dataclass(frozen=True)
class AnalysisOptions:
    """Per-repository options of the analysis."""

    full: bool = False
    jobs: int | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    library: bool = False  # public names are the library's API: never dead-code candidates


@dataclass(frozen=True)
class RepositoryConfig:
    """One `[[repositories]]` entry."""

    name: str
    path: Path
    branch: str | None = None
    excludes: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    options: AnalysisOptions = field(default_factory=AnalysisOptions)


@dataclass(frozen=True)
class NightlyConfig:
    """A whole configuration file."""

    name: str
    source: Path | None
    repositories: tuple[RepositoryConfig, ...]


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise NightlyConfigError(f"{where} must be a list of non-empty strings")
    return tuple(value)


def _options(raw: Any, base: AnalysisOptions, where: str) -> AnalysisOptions:
    if not isinstance(raw, Mapping):
        raise NightlyConfigError(f"{where} must be a table")
    unknown = set(raw) - _OPTION_KEYS
    if unknown:
        raise NightlyConfigError(f"{where}: unknown option(s) {', '.join(sorted(unknown))}"
                                 f" (known: {', '.join(sorted(_OPTION_KEYS))})")
    full, jobs, size = raw.get("full", base.full), raw.get("jobs", base.jobs), raw.get("max_file_size", base.max_file_size)
    library = raw.get("library", base.library)
    for key, flag in (("full", full), ("library", library)):
        if not isinstance(flag, bool):
            raise NightlyConfigError(f"{where}.{key} must be true or false")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= 256):
        raise NightlyConfigError(f"{where}.jobs must be a whole number from 1 to 256")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise NightlyConfigError(f"{where}.max_file_size must be a positive number of bytes")
    return AnalysisOptions(full=full, jobs=jobs, max_file_size=size, library=library)


def _repository(raw: Any, index: int, base_dir: Path, base: AnalysisOptions,
                default_lists: Mapping[str, tuple[str, ...]]) -> RepositoryConfig:
    where = f"repositories[{index}]"
    if not isinstance(raw, Mapping):
        raise NightlyConfigError(f"{where} must be a table ([[repositories]])")
    unknown = set(raw) - _REPOSITORY_KEYS
    if unknown:
        raise NightlyConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}"
                                 f" (known: {', '.join(sorted(_REPOSITORY_KEYS))})")
    path = raw.get("path")
    if not isinstance(path, str) or not path.strip():
        raise NightlyConfigError(f"{where}: 'path' is missing (the repository's directory)")
    resolved = Path(path).expanduser()
    if not resolved.is_absolute():
        resolved = base_dir / resolved
    name = raw.get("name", resolved.resolve().name)
    if not isinstance(name, str) or not name.strip():
        raise NightlyConfigError(f"{where}: 'name' must be a non-empty string")
    branch = raw.get("branch")
    if branch is not None and (not isinstance(branch, str) or not branch.strip() or branch.startswith("-")):
        raise NightlyConfigError(f"{where}: 'branch' must be a branch name")
    options = _options(raw.get("options", {}), base, f"{where}.options")
    excludes = _strings(raw["excludes"], f"{where}.excludes") if "excludes" in raw else default_lists["excludes"]
    includes = _strings(raw["includes"], f"{where}.includes") if "includes" in raw else default_lists["includes"]
    return RepositoryConfig(name=name.strip(), path=resolved.resolve(), branch=branch, excludes=excludes,
                            includes=includes, options=options)


def parse_config(data: Mapping[str, Any], source: Path | None = None) -> NightlyConfig:
    """Validate a parsed TOML document; every problem is one line naming where it is."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise NightlyConfigError(f"unknown section(s) {', '.join(sorted(unknown))}"
                                 f" (known: {', '.join(sorted(_TOP_KEYS))})")
    nightly = data.get("nightly", {})
    if not isinstance(nightly, Mapping) or set(nightly) - {"name"}:
        raise NightlyConfigError("[nightly] may only set name")
    name = nightly.get("name") or (source.stem if source else "nightly")
    if not isinstance(name, str) or not name.strip():
        raise NightlyConfigError("[nightly] name must be a non-empty string")
    raw_defaults = data.get("defaults", {})
    if not isinstance(raw_defaults, Mapping):
        raise NightlyConfigError("[defaults] must be a table")
    base = _options({k: v for k, v in raw_defaults.items() if k not in ("excludes", "includes")}, AnalysisOptions(),
                    "defaults")
    default_lists = {key: _strings(raw_defaults[key], f"defaults.{key}") if key in raw_defaults else ()
                     for key in ("excludes", "includes")}
    repos_raw = data.get("repositories")
    if not isinstance(repos_raw, list) or not repos_raw:
        raise NightlyConfigError("no [[repositories]] entries: list at least one repository with a path")
    base_dir = source.parent.resolve() if source else Path.cwd()
    repos = [_repository(raw, i, base_dir, base, default_lists) for i, raw in enumerate(repos_raw)]
    names = [r.name for r in repos]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise NightlyConfigError(f"repository name(s) used twice: {', '.join(duplicates)}")
    return NightlyConfig(name=f"nightly:{name.strip()}", source=source, repositories=tuple(repos))


def load_config(path: str | Path) -> NightlyConfig:
    """Read and validate a nightly TOML file."""
    source = Path(path).expanduser()
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NightlyConfigError(f"{source}: no such configuration file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NightlyConfigError(f"{source}: cannot read it: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise NightlyConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        return parse_config(data, source.resolve())
    except NightlyConfigError as exc:
        raise NightlyConfigError(f"{source}: {exc}") from None
