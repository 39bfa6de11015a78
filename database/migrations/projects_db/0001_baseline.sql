-- =============================================================================
-- projects_db/0001_baseline.sql — projects, repositories, teams, milestones.
--
-- projects_db is the system of record for identity: the application writes
-- organizations/users here first and copies them (same ids) to the other six
-- databases. The identity tables themselves come from _common/0001_common.sql.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- projects
-- -----------------------------------------------------------------------------
CREATE TABLE projects (
    id                    uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id       uuid          REFERENCES organizations (id) ON DELETE CASCADE,
    name                  text          NOT NULL,
    slug                  text          NOT NULL,
    description           text,
    status                text          NOT NULL DEFAULT 'planning',
    visibility            text          NOT NULL DEFAULT 'internal',
    priority              text          NOT NULL DEFAULT 'normal',
    objectives            text,
    requirements          jsonb         NOT NULL DEFAULT '{}'::jsonb,
    owner_id              uuid          REFERENCES users (id) ON DELETE SET NULL,
    lead_id               uuid          REFERENCES users (id) ON DELETE SET NULL,
    start_date            date,
    end_date              date,
    estimated_hours       integer,
    actual_hours          integer,
    budget_allocated      numeric(12,2),
    budget_spent          numeric(12,2),
    resource_requirements jsonb         NOT NULL DEFAULT '{}'::jsonb,
    progress_percentage   numeric(5,2)  NOT NULL DEFAULT 0,
    completion_criteria   jsonb         NOT NULL DEFAULT '{}'::jsonb,
    external_project_id   text,
    external_url          text,
    documentation_url     text,
    tags                  text[]        NOT NULL DEFAULT '{}',
    metadata              jsonb         NOT NULL DEFAULT '{}'::jsonb,
    created_at            timestamptz   NOT NULL DEFAULT now(),
    updated_at            timestamptz   NOT NULL DEFAULT now(),
    deleted_at            timestamptz,
    CONSTRAINT projects_name_org_unique UNIQUE NULLS NOT DISTINCT (organization_id, name),
    CONSTRAINT projects_slug_org_unique UNIQUE NULLS NOT DISTINCT (organization_id, slug),
    CONSTRAINT projects_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT projects_slug_format CHECK (slug ~ '^[^[:space:]]+$'),
    CONSTRAINT projects_status_valid CHECK (status IN (
        'planning', 'active', 'on_hold', 'completed', 'cancelled', 'archived')),
    CONSTRAINT projects_visibility_valid CHECK (visibility IN ('public', 'internal', 'private', 'restricted')),
    CONSTRAINT projects_priority_valid CHECK (priority IN ('low', 'normal', 'high', 'urgent', 'critical')),
    CONSTRAINT projects_dates_valid CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date),
    CONSTRAINT projects_hours_non_negative CHECK (coalesce(estimated_hours, 0) >= 0 AND coalesce(actual_hours, 0) >= 0),
    CONSTRAINT projects_progress_valid CHECK (progress_percentage BETWEEN 0 AND 100),
    CONSTRAINT projects_budget_valid CHECK (coalesce(budget_allocated, 0) >= 0 AND coalesce(budget_spent, 0) >= 0)
);
-- The seed's projects.milestones jsonb and team_size duplicated
-- project_milestones / project_teams and were never kept in sync: dropped.

CREATE INDEX projects_status_idx ON projects (status) WHERE deleted_at IS NULL;
CREATE INDEX projects_owner_id_idx ON projects (owner_id);
CREATE INDEX projects_lead_id_idx ON projects (lead_id);
CREATE INDEX projects_tags_gin ON projects USING gin (tags);

-- -----------------------------------------------------------------------------
-- repositories
-- -----------------------------------------------------------------------------
CREATE TABLE repositories (
    id                     uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id        uuid        REFERENCES organizations (id) ON DELETE CASCADE,
    name                   text        NOT NULL,
    full_name              text,       -- "owner/repo" on the hosting provider
    description            text,
    repository_type        text        NOT NULL DEFAULT 'git',
    status                 text        NOT NULL DEFAULT 'active',
    visibility             text        NOT NULL DEFAULT 'internal',
    -- clone_url is the remote URL (git remote get-url origin); a repository
    -- analysed only from a local checkout has local_path instead.
    clone_url              text,
    local_path             text,
    web_url                text,
    ssh_url                text,
    api_url                text,
    default_branch         text        NOT NULL DEFAULT 'main',
    head_branch            text,
    head_commit            text,
    head_commit_at         timestamptz,
    language               text,       -- primary language
    languages              jsonb       NOT NULL DEFAULT '{}'::jsonb,  -- {"python": 123456, ...} bytes or lines per language
    size_kb                bigint      NOT NULL DEFAULT 0,
    file_count             integer,
    commit_count           integer,
    stars_count            integer     NOT NULL DEFAULT 0,
    forks_count            integer     NOT NULL DEFAULT 0,
    issues_count           integer     NOT NULL DEFAULT 0,
    pull_requests_count    integer     NOT NULL DEFAULT 0,
    is_fork                boolean     NOT NULL DEFAULT false,
    is_template            boolean     NOT NULL DEFAULT false,
    is_archived            boolean     NOT NULL DEFAULT false,
    is_private             boolean     NOT NULL DEFAULT true,
    provider               text,
    external_repo_id       text,
    provider_data          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- Encrypted by the application (never plaintext; the seed stored a text
    -- token column). Key material is not in the database.
    access_token_encrypted bytea,
    webhook_config         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    topics                 text[]      NOT NULL DEFAULT '{}',
    metadata               jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    last_activity_at       timestamptz,
    deleted_at             timestamptz,
    CONSTRAINT repositories_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT repositories_location_present CHECK (
        nullif(btrim(clone_url), '') IS NOT NULL OR nullif(btrim(local_path), '') IS NOT NULL),
    CONSTRAINT repositories_type_valid CHECK (repository_type IN ('git', 'svn', 'mercurial', 'perforce', 'other')),
    CONSTRAINT repositories_status_valid CHECK (status IN ('active', 'archived', 'deprecated', 'migrated', 'deleted')),
    CONSTRAINT repositories_visibility_valid CHECK (visibility IN ('public', 'internal', 'private', 'restricted')),
    CONSTRAINT repositories_provider_valid CHECK (provider IS NULL OR provider IN (
        'github', 'gitlab', 'bitbucket', 'gitea', 'azure_devops', 'local', 'other')),
    -- SHA-1 (40) or SHA-256 (64) object name, lower-case hex
    CONSTRAINT repositories_head_commit_format CHECK (head_commit IS NULL OR head_commit ~ '^([0-9a-f]{40}|[0-9a-f]{64})$'),
    CONSTRAINT repositories_languages_object CHECK (jsonb_typeof(languages) = 'object'),
    CONSTRAINT repositories_counts_non_negative CHECK (
        size_kb >= 0 AND coalesce(file_count, 0) >= 0 AND coalesce(commit_count, 0) >= 0
        AND stars_count >= 0 AND forks_count >= 0 AND issues_count >= 0 AND pull_requests_count >= 0)
);

-- The same remote or the same checkout is one repository per organization
-- (the seed's UNIQUE (organization_id, name) would reject two forks named alike).
-- Usable as ON CONFLICT (organization_id, clone_url) WHERE clone_url IS NOT NULL.
CREATE UNIQUE INDEX repositories_org_clone_url_key ON repositories (organization_id, clone_url)
    NULLS NOT DISTINCT WHERE clone_url IS NOT NULL;
CREATE UNIQUE INDEX repositories_org_local_path_key ON repositories (organization_id, local_path)
    NULLS NOT DISTINCT WHERE local_path IS NOT NULL;
CREATE INDEX repositories_name_idx ON repositories (name);
CREATE INDEX repositories_full_name_idx ON repositories (full_name) WHERE full_name IS NOT NULL;
CREATE INDEX repositories_provider_idx ON repositories (provider, external_repo_id);
CREATE INDEX repositories_language_idx ON repositories (language);
CREATE INDEX repositories_languages_gin ON repositories USING gin (languages);

-- -----------------------------------------------------------------------------
-- project_repositories: many-to-many
-- -----------------------------------------------------------------------------
CREATE TABLE project_repositories (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id      uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    repository_id   uuid        NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    role            text        NOT NULL DEFAULT 'primary',
    description     text,
    is_primary      boolean     NOT NULL DEFAULT false,
    is_active       boolean     NOT NULL DEFAULT true,
    sync_enabled    boolean     NOT NULL DEFAULT true,
    webhook_enabled boolean     NOT NULL DEFAULT false,
    ci_cd_enabled   boolean     NOT NULL DEFAULT false,
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT project_repositories_unique UNIQUE (project_id, repository_id),
    CONSTRAINT project_repositories_role_valid CHECK (role IN ('primary', 'secondary', 'dependency', 'fork', 'docs', 'other'))
);

CREATE INDEX project_repositories_repository_id_idx ON project_repositories (repository_id);
-- at most one primary repository per project
CREATE UNIQUE INDEX project_repositories_one_primary ON project_repositories (project_id) WHERE is_primary;

-- -----------------------------------------------------------------------------
-- teams and memberships
-- -----------------------------------------------------------------------------
CREATE TABLE teams (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid        REFERENCES organizations (id) ON DELETE CASCADE,
    name            text        NOT NULL,
    slug            text        NOT NULL,
    description     text,
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT teams_slug_org_unique UNIQUE NULLS NOT DISTINCT (organization_id, slug),
    CONSTRAINT teams_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT teams_slug_format CHECK (slug ~ '^[^[:space:]]+$')
);

CREATE TABLE team_members (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    team_id    uuid        NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text        NOT NULL DEFAULT 'developer',
    joined_at  timestamptz NOT NULL DEFAULT now(),
    left_at    timestamptz,
    metadata   jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT team_members_unique UNIQUE (team_id, user_id),
    CONSTRAINT team_members_role_valid CHECK (role IN ('owner', 'admin', 'maintainer', 'developer', 'reviewer', 'viewer')),
    CONSTRAINT team_members_left_after_joined CHECK (left_at IS NULL OR left_at >= joined_at)
);

CREATE INDEX team_members_user_id_idx ON team_members (user_id);

-- Project membership, including contributors discovered from git history
-- (role 'contributor', source 'git'): the commit statistics live here.
CREATE TABLE project_teams (
    id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id            uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id               uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    team_id               uuid        REFERENCES teams (id) ON DELETE SET NULL,  -- granted via a team, if so
    role                  text        NOT NULL DEFAULT 'developer',
    source                text        NOT NULL DEFAULT 'manual',
    permissions           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    joined_at             timestamptz NOT NULL DEFAULT now(),
    left_at               timestamptz,
    is_active             boolean     NOT NULL DEFAULT true,
    commits_count         integer     NOT NULL DEFAULT 0,
    lines_added           bigint      NOT NULL DEFAULT 0,
    lines_deleted         bigint      NOT NULL DEFAULT 0,
    files_touched         integer     NOT NULL DEFAULT 0,
    first_commit_at       timestamptz,
    last_commit_at        timestamptz,
    issues_created        integer     NOT NULL DEFAULT 0,
    pull_requests_created integer     NOT NULL DEFAULT 0,
    reviews_completed     integer     NOT NULL DEFAULT 0,
    metadata              jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT project_teams_unique UNIQUE (project_id, user_id),
    CONSTRAINT project_teams_role_valid CHECK (role IN (
        'owner', 'admin', 'maintainer', 'developer', 'reviewer', 'viewer', 'contributor')),
    CONSTRAINT project_teams_source_valid CHECK (source IN ('manual', 'git', 'github', 'gitlab', 'linear', 'import')),
    CONSTRAINT project_teams_counts_non_negative CHECK (
        commits_count >= 0 AND lines_added >= 0 AND lines_deleted >= 0 AND files_touched >= 0
        AND issues_created >= 0 AND pull_requests_created >= 0 AND reviews_completed >= 0),
    CONSTRAINT project_teams_commit_dates_valid CHECK (
        last_commit_at IS NULL OR first_commit_at IS NULL OR last_commit_at >= first_commit_at),
    CONSTRAINT project_teams_left_after_joined CHECK (left_at IS NULL OR left_at >= joined_at)
);

CREATE INDEX project_teams_user_id_idx ON project_teams (user_id);
CREATE INDEX project_teams_team_id_idx ON project_teams (team_id);
CREATE INDEX project_teams_active_role_idx ON project_teams (project_id, role) WHERE is_active;

-- Per-repository access and activity (the seed's table).
CREATE TABLE repository_collaborators (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    repository_id   uuid        NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    user_id         uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            text        NOT NULL DEFAULT 'developer',
    permissions     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    granted_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    is_active       boolean     NOT NULL DEFAULT true,
    commits_count   integer     NOT NULL DEFAULT 0,
    first_commit_at timestamptz,
    last_commit_at  timestamptz,
    last_access_at  timestamptz,
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT repository_collaborators_unique UNIQUE (repository_id, user_id),
    CONSTRAINT repository_collaborators_role_valid CHECK (role IN (
        'owner', 'admin', 'maintainer', 'developer', 'reviewer', 'viewer', 'contributor')),
    CONSTRAINT repository_collaborators_commits_non_negative CHECK (commits_count >= 0)
);

CREATE INDEX repository_collaborators_user_id_idx ON repository_collaborators (user_id);

-- -----------------------------------------------------------------------------
-- milestones and activity
-- -----------------------------------------------------------------------------
CREATE TABLE project_milestones (
    id                  uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id          uuid         NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name                text         NOT NULL,
    description         text,
    status              text         NOT NULL DEFAULT 'open',
    due_date            date,
    completed_at        timestamptz,
    progress_percentage numeric(5,2) NOT NULL DEFAULT 0,
    deliverables        jsonb        NOT NULL DEFAULT '[]'::jsonb,
    acceptance_criteria jsonb        NOT NULL DEFAULT '[]'::jsonb,
    metadata            jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at          timestamptz  NOT NULL DEFAULT now(),
    updated_at          timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT project_milestones_name_project_unique UNIQUE (project_id, name),
    CONSTRAINT project_milestones_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT project_milestones_status_valid CHECK (status IN ('open', 'in_progress', 'completed', 'cancelled')),
    CONSTRAINT project_milestones_completed_consistent CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
    CONSTRAINT project_milestones_progress_valid CHECK (progress_percentage BETWEEN 0 AND 100)
);
-- (the seed's is_completed boolean is status = 'completed')

CREATE INDEX project_milestones_due_date_idx ON project_milestones (due_date) WHERE status IN ('open', 'in_progress');

-- Append-only activity log; the actor survives as NULL if the user is deleted.
CREATE TABLE project_activities (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id     uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id        uuid        REFERENCES users (id) ON DELETE SET NULL,
    activity_type  text        NOT NULL,
    description    text,
    activity_data  jsonb       NOT NULL DEFAULT '{}'::jsonb,
    reference_type text,
    reference_id   uuid,
    metadata       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT project_activities_type_not_empty CHECK (btrim(activity_type) <> '')
);

CREATE INDEX project_activities_project_id_idx ON project_activities (project_id, created_at DESC);
CREATE INDEX project_activities_user_id_idx ON project_activities (user_id);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        EXECUTE 'CREATE INDEX projects_name_trgm ON projects USING gin (name gin_trgm_ops)';
        EXECUTE 'CREATE INDEX repositories_name_trgm ON repositories USING gin (name gin_trgm_ops)';
    END IF;
END
$$;

-- -----------------------------------------------------------------------------
-- Views (the seed's active_projects counted members x repositories through a
-- double LEFT JOIN; counts are now taken independently)
-- -----------------------------------------------------------------------------
CREATE VIEW active_projects AS
SELECT p.id, p.organization_id, p.name, p.slug, p.status, p.visibility, p.priority,
       p.start_date, p.end_date, p.progress_percentage,
       o.name          AS organization_name,
       owner_u.display_name AS owner_name,
       lead_u.display_name  AS lead_name,
       (SELECT count(*) FROM project_teams pt WHERE pt.project_id = p.id AND pt.is_active)        AS team_members_count,
       (SELECT count(*) FROM project_repositories pr WHERE pr.project_id = p.id AND pr.is_active) AS repositories_count
  FROM projects p
  LEFT JOIN organizations o ON o.id = p.organization_id
  LEFT JOIN users owner_u   ON owner_u.id = p.owner_id
  LEFT JOIN users lead_u    ON lead_u.id = p.lead_id
 WHERE p.status IN ('planning', 'active')
   AND p.deleted_at IS NULL;

CREATE VIEW project_repository_summary AS
SELECT p.id AS project_id, p.name AS project_name,
       r.id AS repository_id, r.name AS repository_name, r.full_name, r.clone_url,
       r.default_branch, r.head_commit, r.language, r.languages, r.size_kb,
       pr.role AS repository_role, pr.is_primary
  FROM projects p
  JOIN project_repositories pr ON pr.project_id = p.id AND pr.is_active
  JOIN repositories r ON r.id = pr.repository_id
 WHERE p.deleted_at IS NULL
   AND r.deleted_at IS NULL;

CREATE VIEW team_analytics AS
SELECT p.id AS project_id, p.name AS project_name,
       count(pt.user_id)                                           AS total_members,
       count(*) FILTER (WHERE pt.role IN ('owner', 'admin'))       AS admin_count,
       count(*) FILTER (WHERE pt.role = 'developer')               AS developer_count,
       count(*) FILTER (WHERE pt.role = 'contributor')             AS contributor_count,
       coalesce(sum(pt.commits_count), 0)                          AS total_commits,
       coalesce(sum(pt.issues_created), 0)                         AS total_issues,
       coalesce(sum(pt.pull_requests_created), 0)                  AS total_prs,
       max(pt.last_commit_at)                                      AS last_commit_at
  FROM projects p
  LEFT JOIN project_teams pt ON pt.project_id = p.id AND pt.is_active
 WHERE p.deleted_at IS NULL
 GROUP BY p.id, p.name;

SELECT gs_install_updated_at_triggers();
