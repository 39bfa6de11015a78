"""The nightly configuration file: what it accepts, and the one-line errors for what it does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_sitter.config import DEFAULT_MAX_FILE_SIZE
from graph_sitter.jobs.config import NightlyConfigError, load_config
from tests.conftest import run_gsdb


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "nightly.toml"
    path.write_text(text)
    return path


def test_a_full_configuration_is_read_with_defaults_and_relative_paths(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, """
[nightly]
name = "team"

[defaults]
jobs = 2
excludes = ["vendor/**"]

[[repositories]]
name = "one"
path = "src/one"
branch = "main"
includes = ["*.py"]
options = { full = true, max_file_size = 1000, library = true }

[[repositories]]
path = "/srv/two"
excludes = []
"""))
    one, two = config.repositories
    assert config.name == "nightly:team"
    assert one.path == (tmp_path / "src/one").resolve() and one.branch == "main"
    assert one.options.full and one.options.jobs == 2 and one.options.max_file_size == 1000 and one.options.library
    assert one.excludes == ("vendor/**",) and one.includes == ("*.py",)
    assert two.name == "two" and two.excludes == () and two.options.max_file_size == DEFAULT_MAX_FILE_SIZE
    assert not two.options.full and two.options.jobs == 2 and not two.options.library


@pytest.mark.parametrize("text, message", [
    ("", "no [[repositories]]"),
    ("[[repositories]]\nname = 'x'\n", "'path' is missing"),
    ("[[repositories]]\npath = '/a'\ncolour = 'red'\n", "unknown key(s) colour"),
    ("[[repositories]]\npath = '/a'\noptions = { speed = 3 }\n", "unknown option(s) speed"),
    ("[[repositories]]\npath = '/a'\noptions = { jobs = 0 }\n", "jobs must be a whole number"),
    ("[[repositories]]\npath = '/a'\noptions = { library = 'yes' }\n", "library must be true or false"),
    ("[[repositories]]\npath = '/a'\nname = 'x'\n[[repositories]]\npath = '/b'\nname = 'x'\n", "used twice: x"),
    ("[[repositories]]\npath = '/a'\nbranch = '--upload-pack=evil'\n", "'branch' must be a branch name"),
    ("[[repositories]\npath = '/a'\n", "not valid TOML"),
    ("[surprise]\n", "unknown section(s) surprise"),
])
def test_invalid_configurations_are_refused_in_one_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(NightlyConfigError) as caught:
        load_config(_write(tmp_path, text))
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_the_cli_reports_a_bad_configuration_without_a_traceback(gsdb_env: dict[str, str], tmp_path: Path) -> None:
    missing = run_gsdb(gsdb_env, "nightly", "--config", str(tmp_path / "absent.toml"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"gsdb: error: {tmp_path / 'absent.toml'}: no such configuration file"
    bad = run_gsdb(gsdb_env, "nightly", "--config", str(_write(tmp_path, "[[repositories]]\nname = 'x'\n")))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
