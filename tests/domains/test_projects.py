"""projects_db as users meet it: `gsdb analyze` registers the repository, its project and its contributors; the
library and CLI over projects, repositories, teams, milestones and cross-project summaries."""

from __future__ import annotations

import json
import subprocess
import uuid
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

from graph_sitter.adapters.database import Cluster
from graph_sitter.adapters.projects_db import (ProjectError, ProjectNotFound, ProjectStore, RepositoryFacts,
                                               project_summaries)
from graph_sitter.adapters.setup import user_id
from graph_sitter.builtins.projects import clean_remote, remote_identity
from graph_sitter.codebase.pipeline import AnalyzeOptions, analyze
from graph_sitter.config import Settings
from tests.conftest import run_gsdb

HOTSPOT = "def tangled(x):\n    r = 0\n" + "".join(f"    if x == {i}:\n        r += 1\n" for i in range(11)) + "    return r\n"


def _git(repo: Path, *args: str, author: str = "Alice") -> str:
    email = f"{author.lower()}@example.com"
    out = subprocess.run(["git", "-c", f"user.name={author}", "-c", f"user.email={email}", *args], cwd=repo,
                         check=True, capture_output=True, text=True, timeout=30)
    return out.stdout.strip()


def _make_repo(root: Path, remote: str | None = "https://example.com/x.git") -> Path:
    """A git repository: Alice's first commit (Python and Go), Bob's second, an optional origin."""
    root.mkdir()
    _git(root, "init", "-q", "-b", "trunk")
    (root / "mod.py").write_text(HOTSPOT)
    (root / "main.go").write_text("package main\n\nfunc main() {}\n")
    (root / "notes.txt").write_text("not source\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "first", author="Alice")
    (root / "mod.py").write_text(HOTSPOT + "\n\ndef simple():\n    return 1\n")
    _git(root, "commit", "-qam", "second", author="Bob")
    if remote:
        _git(root, "remote", "add", "origin", remote)
    return root


@pytest.fixture()
def store(cluster: Cluster) -> Iterator[ProjectStore]:
    with cluster.connect("projects_db", autocommit=True) as conn:
        yield ProjectStore(conn)


def _name() -> str:
    return f"proj-{uuid.uuid4().hex[:8]}"


def _repository_rows(store: ProjectStore, path: Path) -> list[tuple]:
    return store.conn.execute("SELECT id FROM repositories WHERE local_path = %s", (str(path.resolve()),)).fetchall()


def test_analysis_registers_repository_project_and_contributors(settings: Settings, store: ProjectStore,
                                                                tmp_path: Path) -> None:
    repo = _make_repo(tmp_path / "repo", remote=f"https://bot:s3cret@example.com/acme/{uuid.uuid4().hex[:6]}.git")
    name = _name()
    result = analyze(repo, AnalyzeOptions(name=name), settings)
    assert result.plugin_failures == []
    details = store.project_details(name)
    assert [r.local_path for r in details.repositories] == [str(repo.resolve())]
    r = details.repositories[0]
    assert r.clone_url is not None and r.clone_url.startswith("https://example.com/acme/") and "s3cret" not in r.clone_url
    assert r.head_commit == _git(repo, "rev-parse", "HEAD") and r.head_branch == "trunk" and r.default_branch == "trunk"
    py, go = (repo / "mod.py").stat().st_size, (repo / "main.go").stat().st_size
    assert r.languages == {"python": py, "go": go} and r.language == "python"
    assert (r.file_count, r.size_kb, r.commit_count, r.provider) == (2, 1, 2, "other")
    assert r.metadata["codebase_id"] == str(result.codebase_id)
    # a run that leaves files out still describes the repository as the default walk sees it
    analyze(repo, AnalyzeOptions(name=name, exclude=("*.go",)), settings)
    again = store.project_details(name).repositories[0]
    assert again.languages == {"python": py, "go": go} and again.file_count == 2
    people = {m.email: m for m in details.members}
    assert set(people) == {"alice@example.com", "bob@example.com"}
    alice = people["alice@example.com"]
    assert (alice.role, alice.source, alice.commits_count, alice.team) == ("contributor", "git", 1, f"{name} contributors")
    assert alice.user_id == user_id("alice@example.com")
    assert [t.members for t in details.teams] == [2]


def test_a_commit_with_a_malformed_time_zone_and_a_latin1_author_is_read(settings: Settings, store: ProjectStore,
                                                                         tmp_path: Path) -> None:
    """Old tools recorded offsets such as +51800 (requests' history has one; git prints it as "+518:00") and author
    names in Latin-1."""
    repo = _make_repo(tmp_path / "repo", remote=None)
    tree, parent = _git(repo, "rev-parse", "HEAD^{tree}"), _git(repo, "rev-parse", "HEAD")
    # The author name in Latin-1 (no encoding header), as old tools wrote it: not UTF-8 in git's output either.
    raw = (f"tree {tree}\nparent {parent}\nauthor Jos\xe9 Odd <odd@example.com> 1315449530 +51800\n"
           f"committer Odd <odd@example.com> 1315449530 +51800\n\nodd zone\n").encode("latin-1")
    odd = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--literally", "--stdin"], cwd=repo, input=raw,
                         check=True, capture_output=True).stdout.decode().strip()
    _git(repo, "update-ref", "HEAD", odd)
    name = _name()
    result = analyze(repo, AnalyzeOptions(name=name), settings)
    assert result.plugin_failures == []
    odd_member = {m.email: m for m in store.members(name)}["odd@example.com"]
    assert odd_member.commits_count == 1 and odd_member.display_name == "Jos\ufffd Odd"
    assert odd_member.first_commit_at == datetime(2011, 9, 8, 2, 38, 50, tzinfo=timezone.utc)
    assert store.repositories(name)[0].head_commit == odd


def test_rerun_updates_the_repository_without_new_rows(settings: Settings, store: ProjectStore, tmp_path: Path) -> None:
    repo = _make_repo(tmp_path / "repo", remote=None)
    name = _name()
    analyze(repo, AnalyzeOptions(name=name), settings)
    counts = "SELECT (SELECT count(*) FROM repositories), (SELECT count(*) FROM projects), (SELECT count(*) FROM project_teams)"
    before = store.conn.execute(counts).fetchone()
    analyze(repo, AnalyzeOptions(name=name), settings)
    assert store.conn.execute(counts).fetchone() == before

    (repo / "mod.py").write_text(HOTSPOT)
    _git(repo, "commit", "-qam", "third", author="Bob")
    _git(repo, "remote", "add", "origin", f"git@github.com:acme/{name}.git")
    analyze(repo, AnalyzeOptions(name=name), settings)
    assert store.conn.execute(counts).fetchone() == before   # the remote is new, the repository is not
    assert len(_repository_rows(store, repo)) == 1
    r = store.repositories(name)[0]
    assert (r.head_commit, r.commit_count, r.clone_url) == (_git(repo, "rev-parse", "HEAD"), 3,
                                                            f"git@github.com:acme/{name}.git")
    assert (r.provider, r.full_name, r.name) == ("github", f"acme/{name}", name)
    assert {m.email: m.commits_count for m in store.members(name)} == {"alice@example.com": 1, "bob@example.com": 2}
    activities = store.conn.execute(
        "SELECT count(*) FROM project_activities a JOIN projects p ON p.id = a.project_id WHERE p.name = %s", (name,)
    ).fetchone()
    assert activities == (3,)


def test_directory_without_git_is_registered_by_path(settings: Settings, store: ProjectStore, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "app.py").write_text("def main():\n    return 0\n")
    name = _name()
    result = analyze(plain, AnalyzeOptions(name=name), settings)
    assert result.plugin_failures == []
    r = store.repositories(name)[0]
    assert (r.clone_url, r.head_commit, r.local_path, r.provider) == (None, None, str(plain.resolve()), "local")
    assert r.languages == {"python": (plain / "app.py").stat().st_size}
    assert store.members(name) == []


def test_repository_already_in_a_project_stays_there(settings: Settings, store: ProjectStore, tmp_path: Path) -> None:
    repo = _make_repo(tmp_path / "repo", remote=None)
    platform, name = _name(), _name()
    store.create_project(platform, description="the platform")
    registered, created = store.register_repository(RepositoryFacts(name="repo", local_path=str(repo.resolve())))
    assert created
    store.link_repository(platform, registered.id)
    analyze(repo, AnalyzeOptions(name=name), settings)
    with pytest.raises(ProjectNotFound):
        store.get_project(name)                          # no default project was made
    assert [p.name for p in store.projects_of_repository(registered.id)] == [platform]
    assert len(store.members(platform)) == 2


def test_milestones_and_summary(settings: Settings, store: ProjectStore, tmp_path: Path) -> None:
    name = _name()
    analyze(_make_repo(tmp_path / "repo", remote=None), AnalyzeOptions(name=name), settings)
    store.add_milestone(name, "beta", due_date=date(2031, 1, 31))
    store.add_milestone(name, "1.0")
    with pytest.raises(ProjectError, match="already"):
        store.add_milestone(name, "beta")
    done = store.set_milestone_status(name, "beta", "completed")
    assert done.completed_at is not None and done.progress_percentage == 100
    assert [m.name for m in store.milestones(name)] == ["beta", "1.0"]
    summary = {s.name: s for s in project_summaries(settings)}[name]
    assert (summary.repositories, summary.members, summary.open_milestones, summary.milestones) == (1, 2, 1, 2)
    assert summary.open_tasks == 1                      # the hotspot in mod.py, from task_db
    assert summary.last_analysis_at is not None and summary.languages == ["python"]


def test_project_names_are_unique_and_slugs_stay_distinct(store: ProjectStore) -> None:
    base = _name()
    first = store.create_project(f"{base} App")
    second = store.create_project(f"{base}-app")         # same slug, different name
    assert first.slug == f"{base}-app" and second.slug.startswith(f"{base}-app-")
    with pytest.raises(ProjectError, match="exists already"):
        store.create_project(f"{base} App")
    assert store.ensure_project(f"{base} App").id == first.id
    assert store.get_project(second.slug).id == second.id
    assert store.get_project(first.slug).id == second.id  # a name wins over another project's slug


def test_remote_urls_lose_their_secrets() -> None:
    assert clean_remote("https://user:tok@github.com/a/b.git") == "https://github.com/a/b.git"
    assert clean_remote("https://ghp_token@github.com/a/b.git") == "https://github.com/a/b.git"
    assert clean_remote("ssh://git@host.example/a/b.git") == "ssh://git@host.example/a/b.git"
    assert clean_remote("git@github.com:a/b.git") == "git@github.com:a/b.git"
    assert remote_identity("git@github.com:acme/tool.git") == ("github", "acme/tool", "https://github.com/acme/tool")
    assert remote_identity("https://gitlab.example.org/g/sub/p.git")[:2] == ("gitlab", "g/sub/p")
    assert remote_identity("/srv/git/p.git") == ("local", "srv/git/p", None)


# -- CLI ------------------------------------------------------------------------------------------------------
def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_cli_projects(settings: Settings, gsdb_env: dict[str, str], tmp_path: Path) -> None:
    name = _name()
    repo = _make_repo(tmp_path / "repo")
    analyze(repo, AnalyzeOptions(name=name), settings)
    assert name in _ok(run_gsdb(gsdb_env, "projects", "list"))
    shown = _ok(run_gsdb(gsdb_env, "projects", "show", name))
    assert "https://example.com/x.git" in shown and "alice@example.com" in shown and "Bob" in shown
    _ok(run_gsdb(gsdb_env, "projects", "milestone", "add", name, "beta", "--due", "2031-02-01"))
    milestones = json.loads(_ok(run_gsdb(gsdb_env, "projects", "milestone", "list", name, "--json")))
    assert [(m["name"], m["due_date"]) for m in milestones] == [("beta", "2031-02-01")]
    rows = {r["name"]: r for r in json.loads(_ok(run_gsdb(gsdb_env, "projects", "summary", "--json")))}
    assert (rows[name]["repositories"], rows[name]["open_milestones"], rows[name]["open_tasks"]) == (1, 1, 1)
    assert name in _ok(run_gsdb(gsdb_env, "projects", "summary"))
    missing = run_gsdb(gsdb_env, "projects", "show", "no-such-project")
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
    assert missing.stderr.strip() == "gsdb: error: no project no-such-project"
    duplicate = run_gsdb(gsdb_env, "projects", "milestone", "add", name, "beta")
    assert duplicate.returncode != 0 and "already" in duplicate.stderr.strip()
