"""Built-in plugin: the analysed repository, its project and its contributors go to projects_db.

On every run, the analysed path is registered as a repository (the same remote URL, else the same path, updates
the row it had):

- `clone_url`: `git remote get-url origin`, without any user name or password in it; a directory that is not
  the top of its git work tree (a monorepo folder) or has no `origin` is known by `local_path` only;
- `default_branch`: origin's HEAD branch, else the checked-out branch, else `main`; `head_branch`, `head_commit`
  (full lower-case object name), `head_commit_at` and `commit_count` of HEAD;
- `languages`: bytes of source per language, GitHub's measure, over the files the analysis walker selects with
  its default rules (.gitignore, default excludes, size limit, no binaries); `language` is the largest one;
  `size_kb` is those bytes in KiB (rounded up) and `file_count` their number.

The repository is linked to the projects it already belongs to, or else to a project named after the codebase
(created when missing). For a git repository, each commit author of HEAD's history (after .mailmap) becomes a
user (id from the email), a member of the team "<project> contributors", a repository collaborator with their
commit count and first/last commit time, and a project_teams row (role `contributor`, source `git`) whose
statistics are summed over the project's repositories. The run is logged as a project activity. Every git call
has a timeout; a directory that is not a git repository is registered without any of the git facts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from graph_sitter.plugins import hookimpl
from graph_sitter.vcs import git, git_time

if TYPE_CHECKING:
    from graph_sitter.adapters.projects_db import Contributor, RepositoryFacts

#: Seconds allowed for reading the whole history (large repositories).
HISTORY_TIMEOUT = 120
_OBJECT_NAME = re.compile(r"^([0-9a-f]{40}|[0-9a-f]{64})$")
_PROVIDERS = (("github", "github"), ("gitlab", "gitlab"), ("bitbucket", "bitbucket"), ("dev.azure.com", "azure_devops"),
              ("visualstudio.com", "azure_devops"), ("gitea", "gitea"))


def clean_remote(url: str) -> str:
    """The remote URL without a password or token (an ssh user name such as `git@` stays)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc or "@" not in parts.netloc:
        return url  # scp-like `git@host:owner/repo.git` or a path: nothing secret to strip
    userinfo, host = parts.netloc.rsplit("@", 1)
    keep = parts.scheme.startswith("ssh") and ":" not in userinfo
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}" if keep else host))


def remote_identity(url: str) -> tuple[str | None, str | None, str | None]:
    """(provider, "owner/repo", web URL) of a remote URL, as far as it tells."""
    scp = re.match(r"^[\w.-]+@([\w.-]+):(.+)$", url)
    if scp:
        host, path = scp.group(1), scp.group(2)
    else:
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path
    path = path.strip("/").removesuffix(".git")
    if not host:
        return "local", path or None, None
    provider = next((p for needle, p in _PROVIDERS if needle in host.lower()), "other")
    web = f"https://{host}/{path}" if provider in ("github", "gitlab", "bitbucket") and path else None
    return provider, path or None, web


@dataclass
class GitFacts:
    """What git says about the work tree that holds the analysed path."""

    toplevel: str
    remote: str | None = None
    head_commit: str | None = None
    head_commit_at: datetime | None = None
    head_branch: str | None = None
    default_branch: str | None = None
    commit_count: int | None = None
    contributors: list[Contributor] = field(default_factory=list)


def git_facts(root: str | Path) -> GitFacts | None:
    """Remote, HEAD, branches and contributors of the git work tree at `root`; None when it is not one."""
    toplevel = git(root, "rev-parse", "--show-toplevel")
    if toplevel is None:
        return None
    facts = GitFacts(toplevel=str(Path(toplevel).resolve()))
    # a folder of a larger work tree: its history is the commits that touched it
    scope = [] if Path(facts.toplevel) == Path(root).resolve() else ["--", "."]
    remote = git(root, "remote", "get-url", "origin")
    facts.remote = clean_remote(remote) if remote else None
    head = (git(root, "rev-parse", "--verify", "--quiet", "HEAD") or "").lower()
    facts.head_commit = head if _OBJECT_NAME.match(head) else None
    branch = git(root, "symbolic-ref", "--quiet", "--short", "HEAD")
    facts.head_branch = branch
    origin_head = git(root, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    facts.default_branch = origin_head.split("/", 1)[1] if origin_head and "/" in origin_head else branch
    if facts.head_commit:
        facts.head_commit_at = git_time(git(root, "log", "-1", "--format=%ct", "HEAD"))
        count = git(root, "rev-list", "--count", "HEAD", *scope, timeout=HISTORY_TIMEOUT)
        facts.commit_count = int(count) if count and count.isdigit() else None
        facts.contributors = contributors(root, scope)
    return facts


def contributors(root: str | Path, scope: list[str] | None = None) -> list[Contributor]:
    """Commit authors of HEAD's history (after .mailmap; `scope` a pathspec such as ["--", "."]): commits and
    first/last author date each."""
    from graph_sitter.adapters.projects_db import Contributor

    log = git(root, "log", "--format=%aN%x1f%aE%x1f%at", "HEAD", *(scope or []), timeout=HISTORY_TIMEOUT)
    people: dict[str, list[Any]] = {}
    for line in (log or "").splitlines():
        parts = line.split("\x1f")
        if len(parts) != 3:
            continue
        name, email, when = parts
        stamp = git_time(when)
        if stamp is None:
            continue
        key = email.strip().lower() or name.strip()
        entry = people.setdefault(key, [name, email, 0, stamp, stamp])
        entry[2] += 1
        entry[3], entry[4] = min(entry[3], stamp), max(entry[4], stamp)
    return [Contributor(*entry) for entry in sorted(people.values(), key=lambda e: (-e[2], e[1]))]


def language_bytes(root: str | Path) -> tuple[dict[str, int], int]:
    """Bytes of source per language, and the number of files, as the analysis walker selects them by default."""
    from graph_sitter.codebase.walker import walk_repository

    walked = walk_repository(str(root))
    return walked.bytes_by_language(), len(walked.files)


def repository_facts(run: Any, result: Any, facts: GitFacts | None) -> RepositoryFacts:
    """The RepositoryFacts of the analysed path."""
    from graph_sitter.adapters.projects_db import RepositoryFacts

    root = Path(result.root or run.root_path).resolve()
    # the run's own walk when it used the default options, else a walk of our own
    languages, files = result.source_bytes or language_bytes(root)
    metadata: dict[str, Any] = {"codebase_id": str(run.codebase_id), "codebase": run.codebase_name,
                                "last_run_id": str(run.id), "last_analyzed_at": run.started_at.isoformat(),
                                "languages_measure": "bytes"}
    common = {"local_path": str(root), "languages": languages, "size_kb": math.ceil(sum(languages.values()) / 1024),
              "file_count": files}
    if facts is None:
        return RepositoryFacts(name=run.codebase_name, provider="local", metadata=metadata, **common)
    at_top = Path(facts.toplevel) == root
    provider, full_name, web = remote_identity(facts.remote) if facts.remote else ("local", None, None)
    if not at_top:
        # a folder of a larger work tree is its own repository row; the remote names the whole tree
        metadata |= {"remote_url": facts.remote, "subdirectory": root.relative_to(facts.toplevel).as_posix()}
    name = full_name.rsplit("/", 1)[-1] if full_name and at_top else run.codebase_name
    return RepositoryFacts(
        name=name, clone_url=facts.remote if at_top else None, full_name=full_name if at_top else None,
        provider=provider, web_url=web if at_top else None, default_branch=facts.default_branch or "main",
        head_branch=facts.head_branch, head_commit=facts.head_commit, head_commit_at=facts.head_commit_at,
        commit_count=facts.commit_count, metadata=metadata, **common,
    )


@hookimpl
def analysis_finished(run: Any, result: Any) -> None:
    """Register the analysed repository, link it to its project and record its git contributors."""
    from graph_sitter.adapters.database import Cluster
    from graph_sitter.adapters.projects_db import ProjectStore
    from graph_sitter.config import load_settings

    settings = result.settings or load_settings()
    facts = git_facts(result.root or run.root_path)
    repository = repository_facts(run, result, facts)
    metrics = result.metrics or {}
    activity = {"codebase_id": str(run.codebase_id), "codebase": run.codebase_name, "run_type": run.run_type,
                "head_commit": repository.head_commit, "files": metrics.get("files"),
                "hotspots": metrics.get("hotspot_count"), "import_cycles": metrics.get("import_cycle_count"),
                "mean_cyclomatic_complexity": metrics.get("mean_cyclomatic_complexity")}
    with Cluster(settings).connect("projects_db") as conn:
        ProjectStore(conn).record_analysis(
            organization=settings.organization, project_name=run.codebase_name, facts=repository,
            contributors=facts.contributors if facts else [], run_id=run.id, activity=activity,
        )
