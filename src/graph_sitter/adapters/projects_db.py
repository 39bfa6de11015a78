"""projects_db: the typed API over projects, repositories, teams and contributors, milestones and activity, and
cross-project summaries.

projects_db is the system of record for identity: users and organizations get the deterministic ids of
graph_sitter.adapters.setup (uuid5 of the email or username, of the organization slug).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterator, Mapping, Sequence

import psycopg

from graph_sitter.errors import GraphSitterError

PROJECT_STATUSES = ("planning", "active", "on_hold", "completed", "cancelled", "archived")
MILESTONE_STATUSES = ("open", "in_progress", "completed", "cancelled")
_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+$")


class ProjectError(GraphSitterError):
    """A project operation was refused (duplicate name, bad value)."""


class ProjectNotFound(ProjectError):
    """No project, repository or milestone has that name or id."""


@dataclass(frozen=True)
class Project:
    """A row of projects."""

    id: uuid.UUID
    name: str
    slug: str
    description: str | None
    status: str
    priority: str
    created_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)


_PROJECT = "p.id, p.name, p.slug, p.description, p.status, p.priority, p.created_at, p.metadata"


@dataclass(frozen=True)
class RepositoryFacts:
    """What an analysis knows about a repository, to register or refresh it."""

    name: str
    local_path: str | None
    clone_url: str | None = None
    full_name: str | None = None
    provider: str | None = None
    web_url: str | None = None
    default_branch: str = "main"
    head_branch: str | None = None
    head_commit: str | None = None
    head_commit_at: datetime | None = None
    commit_count: int | None = None
    languages: Mapping[str, int] = field(default_factory=dict)
    size_kb: int = 0
    file_count: int | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Repository:
    """A row of repositories."""

    id: uuid.UUID
    name: str
    full_name: str | None
    clone_url: str | None
    local_path: str | None
    provider: str | None
    default_branch: str
    head_branch: str | None
    head_commit: str | None
    head_commit_at: datetime | None
    language: str | None
    languages: dict[str, int]
    size_kb: int
    file_count: int | None
    commit_count: int | None
    updated_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)


_REPOSITORY = ("r.id, r.name, r.full_name, r.clone_url, r.local_path, r.provider, r.default_branch, r.head_branch,"
               " r.head_commit, r.head_commit_at, r.language, r.languages, r.size_kb, r.file_count, r.commit_count,"
               " r.updated_at, r.metadata")


@dataclass(frozen=True)
class Contributor:
    """A commit author from git history (after .mailmap), with their commits in one repository."""

    name: str
    email: str
    commits: int
    first_commit_at: datetime | None = None
    last_commit_at: datetime | None = None


@dataclass(frozen=True)
class Member:
    """A person on a project (project_teams), with their commit statistics."""

    user_id: uuid.UUID
    display_name: str | None
    email: str | None
    role: str
    source: str
    team: str | None
    commits_count: int
    first_commit_at: datetime | None
    last_commit_at: datetime | None


@dataclass(frozen=True)
class Team:
    """A row of teams, with its member count."""

    id: uuid.UUID
    name: str
    slug: str
    description: str | None
    members: int


@dataclass(frozen=True)
class Milestone:
    """A row of project_milestones."""

    id: uuid.UUID
    name: str
    status: str
    due_date: date | None
    completed_at: datetime | None
    progress_percentage: float
    description: str | None


_MILESTONE = "m.id, m.name, m.status, m.due_date, m.completed_at, m.progress_percentage::float8, m.description"


@dataclass(frozen=True)
class ProjectDetails:
    """A project with its repositories, people, teams and milestones."""

    project: Project
    repositories: list[Repository]
    members: list[Member]
    teams: list[Team]
    milestones: list[Milestone]


@dataclass
class ProjectSummary:
    """One project across the databases: repositories, people, milestones, last analysis, open tasks."""

    name: str
    status: str
    repositories: int
    members: int
    open_milestones: int
    milestones: int
    last_analysis_at: datetime | None
    languages: list[str]
    codebase_ids: list[uuid.UUID]
    open_tasks: int | None = None  # from task_db; None when it could not be asked


def slugify(name: str) -> str:
    """A slug for a name: lower case, runs of other characters turned into '-'."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-")
    return slug or "project"


def _identity(contributor: Contributor) -> tuple[uuid.UUID, str | None, str | None]:
    """(id, email, username) of a git author: by email when it is one, else by a `git:` username."""
    from graph_sitter.adapters.setup import user_id

    email = contributor.email.strip().lower()
    if _EMAIL.match(email):
        return user_id(email), email, None
    username = "git:" + (contributor.email.strip() or contributor.name.strip() or "unknown")
    return user_id(username), None, username


class ProjectStore:
    """Reads and writes projects_db over one connection (autocommit; multi-statement changes use a transaction)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    # -- organizations and projects ----------------------------------------------------------------------------
    def ensure_organization(self, slug: str) -> uuid.UUID:
        """The organization with this slug, created when missing (projects_db is its system of record)."""
        from graph_sitter.adapters.setup import organization_id

        org = organization_id(slug)
        self.conn.execute("INSERT INTO organizations (id, name, slug) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                          (org, slug, slug))
        return org

    def get_project(self, ref: str | uuid.UUID) -> Project:
        """The project with this name, slug or id."""
        if isinstance(ref, str):
            with contextlib.suppress(ValueError):
                ref = uuid.UUID(ref)
        if isinstance(ref, uuid.UUID):
            row = self.conn.execute(f"SELECT {_PROJECT} FROM projects p WHERE p.id = %s AND p.deleted_at IS NULL",
                                    (ref,)).fetchone()
        else:
            row = self.conn.execute(
                f"SELECT {_PROJECT} FROM projects p WHERE (p.name = %s OR p.slug = %s) AND p.deleted_at IS NULL"
                " ORDER BY p.name = %s DESC, p.created_at LIMIT 1",
                (ref, ref, ref),
            ).fetchone()
        if row is None:
            raise ProjectNotFound(f"no project {ref!s}")
        return Project(*row)

    def create_project(self, name: str, *, organization: str = "default", description: str | None = None,
                       status: str = "active", slug: str | None = None) -> Project:
        """Create a project; its name (and slug) must be new in the organization."""
        name = name.strip()
        if not name:
            raise ProjectError("a project needs a name")
        if status not in PROJECT_STATUSES:
            raise ProjectError(f"invalid project status {status!r} (one of: {', '.join(PROJECT_STATUSES)})")
        try:
            with self.conn.transaction():
                org = self.ensure_organization(organization)
                row = self.conn.execute(
                    "INSERT INTO projects (organization_id, name, slug, description, status)"
                    " VALUES (%s, %s, %s, %s, %s) RETURNING id",
                    (org, name, slug or self._free_slug(org, name), description, status),
                ).fetchone()
        except psycopg.errors.UniqueViolation:
            raise ProjectError(f"a project named {name!r} (or with that slug) exists already") from None
        assert row is not None
        return self.get_project(row[0])

    def ensure_project(self, name: str, *, organization: str = "default", description: str | None = None) -> Project:
        """The project with this name in the organization, created (status active) when missing."""
        org = self.ensure_organization(organization)
        row = self.conn.execute(
            f"SELECT {_PROJECT} FROM projects p WHERE p.organization_id = %s AND p.name = %s AND p.deleted_at IS NULL",
            (org, name),
        ).fetchone()
        if row is not None:
            return Project(*row)
        return self.create_project(name, organization=organization, description=description)

    def _free_slug(self, org: uuid.UUID, name: str) -> str:
        slug = slugify(name)
        taken = self.conn.execute("SELECT 1 FROM projects WHERE organization_id = %s AND slug = %s",
                                  (org, slug)).fetchone()
        # two names can share a slug ("My App", "my-app"): the later one gets a short, stable suffix
        return slug if taken is None else f"{slug}-{hashlib.sha1(name.encode()).hexdigest()[:6]}"

    def project_details(self, ref: str | uuid.UUID) -> ProjectDetails:
        """A project with its repositories, members, teams and milestones."""
        project = self.get_project(ref)
        return ProjectDetails(project, self.repositories(project.id), self.members(project.id),
                              self.teams(project.id), self.milestones(project.id))

    def list_projects(self) -> list[Project]:
        """Every project that is not deleted, by name."""
        rows = self.conn.execute(f"SELECT {_PROJECT} FROM projects p WHERE p.deleted_at IS NULL ORDER BY p.name")
        return [Project(*r) for r in rows]

    # -- repositories ---------------------------------------------------------------------------------------
    def register_repository(self, facts: RepositoryFacts, *, organization: str = "default") -> tuple[Repository, bool]:
        """Create or refresh the repository with this remote URL (else local path); True when it was created."""
        if not (facts.clone_url or facts.local_path):
            raise ProjectError("a repository needs a remote URL or a local path")
        with self.conn.transaction():
            org = self.ensure_organization(organization)
            # one registration at a time per organization: the lookup by URL, then by path, must not race
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"projects_db:repositories:{org}",))
            existing = None
            if facts.clone_url:
                existing = self.conn.execute(
                    "SELECT id FROM repositories WHERE organization_id = %s AND clone_url = %s", (org, facts.clone_url)
                ).fetchone()
            if existing is None and facts.local_path:
                existing = self.conn.execute(
                    "SELECT id FROM repositories WHERE organization_id = %s AND local_path = %s", (org, facts.local_path)
                ).fetchone()
            language = max(facts.languages, key=lambda k: (facts.languages[k], k)) if facts.languages else None
            values = {
                "org": org, "name": facts.name, "full_name": facts.full_name, "clone_url": facts.clone_url,
                "local_path": facts.local_path, "web_url": facts.web_url, "provider": facts.provider,
                "default_branch": facts.default_branch, "head_branch": facts.head_branch,
                "head_commit": facts.head_commit, "head_commit_at": facts.head_commit_at, "language": language,
                "languages": json.dumps(dict(facts.languages)), "size_kb": facts.size_kb,
                "file_count": facts.file_count, "commit_count": facts.commit_count,
                "metadata": json.dumps(dict(facts.metadata), default=str),
            }
            if existing is None:
                row = self.conn.execute(
                    "INSERT INTO repositories (organization_id, name, full_name, clone_url, local_path, web_url,"
                    " provider, default_branch, head_branch, head_commit, head_commit_at, language, languages, size_kb,"
                    " file_count, commit_count, metadata, last_activity_at) VALUES (%(org)s, %(name)s, %(full_name)s,"
                    " %(clone_url)s, %(local_path)s, %(web_url)s, %(provider)s, %(default_branch)s, %(head_branch)s,"
                    " %(head_commit)s, %(head_commit_at)s, %(language)s, %(languages)s, %(size_kb)s, %(file_count)s,"
                    " %(commit_count)s, %(metadata)s, now()) RETURNING id",
                    values,
                ).fetchone()
                assert row is not None
                return self.get_repository(row[0]), True
            # Another row may own this path (registered before the remote was known): that row keeps it.
            self.conn.execute(
                "UPDATE repositories r SET name = %(name)s, full_name = coalesce(%(full_name)s, r.full_name),"
                " clone_url = coalesce(%(clone_url)s, r.clone_url),"
                " local_path = CASE WHEN %(local_path)s::text IS NULL OR EXISTS (SELECT 1 FROM repositories o"
                "   WHERE o.organization_id = r.organization_id AND o.local_path = %(local_path)s AND o.id <> r.id)"
                "   THEN r.local_path ELSE %(local_path)s END,"
                " web_url = coalesce(%(web_url)s, r.web_url), provider = coalesce(%(provider)s, r.provider),"
                " default_branch = %(default_branch)s, head_branch = %(head_branch)s, head_commit = %(head_commit)s,"
                " head_commit_at = %(head_commit_at)s, language = %(language)s, languages = %(languages)s,"
                " size_kb = %(size_kb)s, file_count = %(file_count)s, commit_count = %(commit_count)s,"
                " metadata = r.metadata || %(metadata)s::jsonb, last_activity_at = now(), deleted_at = NULL,"
                " status = CASE WHEN r.status = 'deleted' THEN 'active' ELSE r.status END WHERE r.id = %(id)s",
                values | {"id": existing[0]},
            )
            return self.get_repository(existing[0]), False

    def get_repository(self, ref: str | uuid.UUID) -> Repository:
        """The repository with this id, remote URL, local path or name."""
        if isinstance(ref, str):
            with contextlib.suppress(ValueError):
                ref = uuid.UUID(ref)
        if isinstance(ref, uuid.UUID):
            row = self.conn.execute(f"SELECT {_REPOSITORY} FROM repositories r WHERE r.id = %s", (ref,)).fetchone()
        else:
            row = self.conn.execute(
                f"SELECT {_REPOSITORY} FROM repositories r WHERE r.deleted_at IS NULL"
                " AND (r.clone_url = %s OR r.local_path = %s OR r.name = %s) ORDER BY r.updated_at DESC LIMIT 1",
                (ref, ref, ref),
            ).fetchone()
        if row is None:
            raise ProjectNotFound(f"no repository {ref!s}")
        return Repository(*row)

    def link_repository(self, project: str | uuid.UUID, repository: str | uuid.UUID, role: str = "primary") -> None:
        """Link a repository to a project (idempotent); the first one linked is the project's primary."""
        project_id = self.get_project(project).id
        repository_id = self.get_repository(repository).id
        with self.conn.transaction():
            self.conn.execute("SELECT 1 FROM projects WHERE id = %s FOR UPDATE", (project_id,))
            self.conn.execute(
                "INSERT INTO project_repositories (project_id, repository_id, role, is_primary)"
                " VALUES (%s, %s, %s, NOT EXISTS (SELECT 1 FROM project_repositories WHERE project_id = %s AND is_primary))"
                " ON CONFLICT (project_id, repository_id) DO UPDATE SET is_active = true"
                " WHERE project_repositories.is_active IS DISTINCT FROM true",
                (project_id, repository_id, role, project_id),
            )

    def repositories(self, project: str | uuid.UUID) -> list[Repository]:
        """The project's active repositories, primary first."""
        project_id = self.get_project(project).id
        rows = self.conn.execute(
            f"SELECT {_REPOSITORY} FROM project_repositories pr JOIN repositories r ON r.id = pr.repository_id"
            " WHERE pr.project_id = %s AND pr.is_active AND r.deleted_at IS NULL ORDER BY pr.is_primary DESC, r.name",
            (project_id,),
        ).fetchall()
        return [Repository(*r) for r in rows]

    def projects_of_repository(self, repository_id: uuid.UUID) -> list[Project]:
        """The projects a repository is actively linked to, the one where it is primary first."""
        rows = self.conn.execute(
            f"SELECT {_PROJECT} FROM project_repositories pr JOIN projects p ON p.id = pr.project_id"
            " WHERE pr.repository_id = %s AND pr.is_active AND p.deleted_at IS NULL"
            " ORDER BY pr.is_primary DESC, pr.created_at",
            (repository_id,),
        ).fetchall()
        return [Project(*r) for r in rows]

    # -- teams and contributors -----------------------------------------------------------------------------
    def ensure_team(self, name: str, *, organization: str = "default", slug: str | None = None,
                    description: str | None = None) -> Team:
        """The team with this slug in the organization, created when missing."""
        org = self.ensure_organization(organization)
        slug = slug or slugify(name)
        self.conn.execute(
            "INSERT INTO teams (organization_id, name, slug, description) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (organization_id, slug) DO NOTHING",
            (org, name, slug, description),
        )
        return self._team("t.organization_id = %s AND t.slug = %s", (org, slug))

    def _team(self, condition: str, params: tuple[Any, ...]) -> Team:
        row = self.conn.execute(
            "SELECT t.id, t.name, t.slug, t.description, (SELECT count(*) FROM team_members m WHERE m.team_id = t.id"
            f" AND m.left_at IS NULL) FROM teams t WHERE {condition}",
            params,
        ).fetchone()
        if row is None:
            raise ProjectNotFound("no such team")
        return Team(*row)

    def teams(self, project: str | uuid.UUID) -> list[Team]:
        """The teams through which people are on the project."""
        project_id = self.get_project(project).id
        ids = [r[0] for r in self.conn.execute(
            "SELECT DISTINCT team_id FROM project_teams WHERE project_id = %s AND team_id IS NOT NULL", (project_id,))]
        return sorted((self._team("t.id = %s", (i,)) for i in ids), key=lambda t: t.name)

    def record_contributors(self, project: Project, repository_id: uuid.UUID, team: Team,
                            contributors: Sequence[Contributor]) -> int:
        """Git authors become users, members of `team`, collaborators on the repository and contributors on the
        project (role `contributor`, source `git`), with commit counts summed over the project's repositories.

        People already on the project keep their role and source; only their commit statistics follow git.
        Returns how many distinct people were recorded.
        """
        people: dict[uuid.UUID, tuple[str | None, str | None, Contributor]] = {}
        for c in contributors:
            uid, email, username = _identity(c)
            old = people.get(uid)
            if old is not None:  # the same person under two spellings of one email: add the commits up
                first = min((d for d in (old[2].first_commit_at, c.first_commit_at) if d), default=None)
                last = max((d for d in (old[2].last_commit_at, c.last_commit_at) if d), default=None)
                c = Contributor(old[2].name, c.email, old[2].commits + c.commits, first, last)
            people[uid] = (email, username, c)
        if not people:
            return 0
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO users (id, email, username, display_name) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [(uid, email, username, c.name or None) for uid, (email, username, c) in people.items()],
            )
            # a person created before with another id (e.g. by a webhook) keeps that id: map by handle
            emails = [e for e, _, _ in people.values() if e]
            usernames = [u for _, u, _ in people.values() if u]
            by_email = dict(cur.execute("SELECT email, id FROM users WHERE email = ANY(%s)", (emails,)).fetchall())
            by_username = dict(cur.execute("SELECT username, id FROM users WHERE username = ANY(%s)",
                                           (usernames,)).fetchall())
            stats = []
            for uid, (email, username, c) in people.items():
                real = by_email.get(email) if email else by_username.get(username)
                stats.append((real or uid, c))
            cur.executemany(
                "INSERT INTO repository_collaborators (repository_id, user_id, role, commits_count, first_commit_at,"
                " last_commit_at) VALUES (%s, %s, 'contributor', %s, %s, %s)"
                " ON CONFLICT (repository_id, user_id) DO UPDATE SET commits_count = EXCLUDED.commits_count,"
                " first_commit_at = EXCLUDED.first_commit_at, last_commit_at = EXCLUDED.last_commit_at"
                " WHERE (repository_collaborators.commits_count, repository_collaborators.first_commit_at,"
                " repository_collaborators.last_commit_at) IS DISTINCT FROM"
                " (EXCLUDED.commits_count, EXCLUDED.first_commit_at, EXCLUDED.last_commit_at)",
                [(repository_id, uid, c.commits, c.first_commit_at, c.last_commit_at) for uid, c in stats],
            )
            cur.executemany(
                "INSERT INTO team_members (team_id, user_id, role) VALUES (%s, %s, 'developer')"
                " ON CONFLICT (team_id, user_id) DO NOTHING",
                [(team.id, uid) for uid, _ in stats],
            )
            cur.execute(
                "INSERT INTO project_teams (project_id, user_id, team_id, role, source, commits_count, first_commit_at,"
                " last_commit_at, joined_at)"
                " SELECT %(project)s, rc.user_id, %(team)s, 'contributor', 'git', sum(rc.commits_count),"
                " min(rc.first_commit_at), max(rc.last_commit_at), coalesce(min(rc.first_commit_at), now())"
                " FROM repository_collaborators rc JOIN project_repositories pr ON pr.repository_id = rc.repository_id"
                " WHERE pr.project_id = %(project)s AND pr.is_active AND rc.user_id = ANY(%(users)s) GROUP BY rc.user_id"
                " ON CONFLICT (project_id, user_id) DO UPDATE SET commits_count = EXCLUDED.commits_count,"
                " first_commit_at = EXCLUDED.first_commit_at, last_commit_at = EXCLUDED.last_commit_at,"
                " team_id = coalesce(project_teams.team_id, EXCLUDED.team_id)"
                " WHERE (project_teams.commits_count, project_teams.first_commit_at, project_teams.last_commit_at,"
                " project_teams.team_id) IS DISTINCT FROM (EXCLUDED.commits_count, EXCLUDED.first_commit_at,"
                " EXCLUDED.last_commit_at, coalesce(project_teams.team_id, EXCLUDED.team_id))",
                {"project": project.id, "team": team.id, "users": [uid for uid, _ in stats]},
            )
        return len(stats)

    def members(self, project: str | uuid.UUID) -> list[Member]:
        """People on the project, most commits first."""
        project_id = self.get_project(project).id
        rows = self.conn.execute(
            "SELECT u.id, u.display_name, u.email, pt.role, pt.source, t.name, pt.commits_count, pt.first_commit_at,"
            " pt.last_commit_at FROM project_teams pt JOIN users u ON u.id = pt.user_id"
            " LEFT JOIN teams t ON t.id = pt.team_id WHERE pt.project_id = %s AND pt.is_active"
            " ORDER BY pt.commits_count DESC, u.display_name, u.id",
            (project_id,),
        ).fetchall()
        return [Member(*r) for r in rows]

    # -- milestones -----------------------------------------------------------------------------------------
    def add_milestone(self, project: str | uuid.UUID, name: str, *, due_date: date | None = None,
                      description: str | None = None) -> Milestone:
        """Add an open milestone to a project; its name must be new in the project."""
        project_id = self.get_project(project).id
        if not name.strip():
            raise ProjectError("a milestone needs a name")
        try:
            row = self.conn.execute(
                "INSERT INTO project_milestones (project_id, name, due_date, description) VALUES (%s, %s, %s, %s)"
                " RETURNING id",
                (project_id, name.strip(), due_date, description),
            ).fetchone()
        except psycopg.errors.UniqueViolation:
            raise ProjectError(f"the project has a milestone named {name!r} already") from None
        assert row is not None
        return self._milestone("m.id = %s", (row[0],))

    def _milestone(self, condition: str, params: tuple[Any, ...]) -> Milestone:
        row = self.conn.execute(f"SELECT {_MILESTONE} FROM project_milestones m WHERE {condition}", params).fetchone()
        if row is None:
            raise ProjectNotFound(f"no milestone {params[-1]!s}")
        return Milestone(*row)

    def set_milestone_status(self, project: str | uuid.UUID, name: str, status: str) -> Milestone:
        """Move a milestone to open, in_progress, completed (stamped, 100 %) or cancelled."""
        if status not in MILESTONE_STATUSES:
            raise ProjectError(f"invalid milestone status {status!r} (one of: {', '.join(MILESTONE_STATUSES)})")
        project_id = self.get_project(project).id
        milestone = self._milestone("m.project_id = %s AND m.name = %s", (project_id, name))
        self.conn.execute(
            "UPDATE project_milestones SET status = %(s)s,"
            " completed_at = CASE WHEN %(s)s = 'completed' THEN coalesce(completed_at, now()) END,"
            " progress_percentage = CASE WHEN %(s)s = 'completed' THEN 100 ELSE progress_percentage END"
            " WHERE id = %(id)s",
            {"s": status, "id": milestone.id},
        )
        return self._milestone("m.id = %s", (milestone.id,))

    def milestones(self, project: str | uuid.UUID) -> list[Milestone]:
        """A project's milestones by due date (undated last), then name."""
        project_id = self.get_project(project).id
        rows = self.conn.execute(
            f"SELECT {_MILESTONE} FROM project_milestones m WHERE m.project_id = %s"
            " ORDER BY m.due_date NULLS LAST, m.name",
            (project_id,),
        ).fetchall()
        return [Milestone(*r) for r in rows]

    # -- analysis runs and summaries ------------------------------------------------------------------------
    def record_analysis(self, *, organization: str, project_name: str, facts: RepositoryFacts,
                        contributors: Sequence[Contributor], run_id: uuid.UUID,
                        activity: Mapping[str, Any]) -> tuple[list[Project], Repository]:
        """Register the analysed repository, link it to its projects (default: `project_name`), record its git
        contributors on them and the run as a project activity. One transaction; idempotent per run."""
        with self.conn.transaction():
            repository, _ = self.register_repository(facts, organization=organization)
            projects = self.projects_of_repository(repository.id)
            if not projects:
                projects = [self.ensure_project(project_name, organization=organization,
                                                description=f"Created by gsdb analyze for {facts.name}")]
                self.link_repository(projects[0].id, repository.id)
            for project in projects:
                if contributors:
                    team = self.ensure_team(f"{project.name} contributors", organization=organization,
                                            slug=f"{project.slug}-contributors",
                                            description=f"Authors of commits in {project.name}'s repositories")
                    self.record_contributors(project, repository.id, team, contributors)
                self.conn.execute(
                    "INSERT INTO project_activities (project_id, activity_type, description, activity_data,"
                    " reference_type, reference_id) SELECT %s, 'analysis', %s, %s, 'analysis_run', %s"
                    " WHERE NOT EXISTS (SELECT 1 FROM project_activities WHERE project_id = %s"
                    " AND reference_type = 'analysis_run' AND reference_id = %s)",
                    (project.id, f"analysed {facts.name}", json.dumps(dict(activity), default=str), run_id,
                     project.id, run_id),
                )
        return projects, repository

    def summaries(self) -> list[ProjectSummary]:
        """Every project with its counts, languages, last analysis and the codebases its repositories were
        analysed as (open_tasks is left for `project_summaries` to fill from task_db)."""
        rows = self.conn.execute(
            "SELECT p.name, p.status,"
            " (SELECT count(*) FROM project_repositories pr JOIN repositories r ON r.id = pr.repository_id"
            "   WHERE pr.project_id = p.id AND pr.is_active AND r.deleted_at IS NULL),"
            " (SELECT count(*) FROM project_teams pt WHERE pt.project_id = p.id AND pt.is_active),"
            " (SELECT count(*) FROM project_milestones m WHERE m.project_id = p.id AND m.status IN ('open', 'in_progress')),"
            " (SELECT count(*) FROM project_milestones m WHERE m.project_id = p.id),"
            " (SELECT max(a.created_at) FROM project_activities a WHERE a.project_id = p.id"
            "   AND a.activity_type = 'analysis'),"
            " coalesce((SELECT array_agg(DISTINCT r.language ORDER BY r.language) FROM project_repositories pr"
            "   JOIN repositories r ON r.id = pr.repository_id WHERE pr.project_id = p.id AND pr.is_active"
            "   AND r.language IS NOT NULL), '{}'),"
            " coalesce((SELECT array_agg(DISTINCT (r.metadata ->> 'codebase_id')::uuid) FROM project_repositories pr"
            "   JOIN repositories r ON r.id = pr.repository_id WHERE pr.project_id = p.id AND pr.is_active"
            "   AND r.metadata ? 'codebase_id'), '{}')"
            " FROM projects p WHERE p.deleted_at IS NULL ORDER BY p.name"
        ).fetchall()
        return [ProjectSummary(*r) for r in rows]


@contextlib.contextmanager
def open_project_store(settings: Any) -> Iterator[ProjectStore]:
    """A ProjectStore on an autocommit connection to projects_db (the server is started and set up if needed)."""
    from graph_sitter.adapters.setup import ensure_ready

    conn = ensure_ready(settings).connect("projects_db", autocommit=True)
    try:
        yield ProjectStore(conn)
    finally:
        conn.close()


def project_summaries(settings: Any) -> list[ProjectSummary]:
    """Cross-project summary: projects_db's counts plus the open tasks about each project's codebases (task_db)."""
    from graph_sitter.adapters.task_db import open_task_store

    with open_project_store(settings) as projects:
        summaries = projects.summaries()
    codebase_ids = sorted({c for s in summaries for c in s.codebase_ids})
    with open_task_store(settings) as tasks:
        counts = tasks.open_task_counts(codebase_ids) if codebase_ids else {}
    for s in summaries:
        s.open_tasks = sum(counts.get(c, 0) for c in s.codebase_ids)
    return summaries
