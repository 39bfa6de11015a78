-- =============================================================================
-- task_db/0001_baseline.sql — tasks, their hierarchy and dependencies,
-- workflows and their executions, resource usage.
--
-- Runs after _common/0001_common.sql (organizations, users, gs_* helpers).
-- Status/type columns are text + CHECK rather than ENUM types: CHECKs can be
-- widened in a later migration inside a transaction, and analytics_db imports
-- these tables through postgres_fdw, where custom types would have to exist too.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- task_definitions: reusable task templates
-- -----------------------------------------------------------------------------
CREATE TABLE task_definitions (
    id                         uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id            uuid         REFERENCES organizations (id) ON DELETE CASCADE,
    name                       text         NOT NULL,
    description                text,
    task_type                  text         NOT NULL DEFAULT 'custom',
    category                   text,
    default_config             jsonb        NOT NULL DEFAULT '{}'::jsonb,
    required_inputs            jsonb        NOT NULL DEFAULT '[]'::jsonb,
    expected_outputs           jsonb        NOT NULL DEFAULT '[]'::jsonb,
    estimated_duration_minutes integer,
    cpu_requirements           numeric(6,2),
    memory_requirements_mb     integer,
    storage_requirements_mb    integer,
    execution_mode             text         NOT NULL DEFAULT 'manual',
    retry_config               jsonb        NOT NULL DEFAULT '{}'::jsonb,
    timeout_minutes            integer      NOT NULL DEFAULT 60,
    script_template            text,
    command_template           text,
    environment_config         jsonb        NOT NULL DEFAULT '{}'::jsonb,
    validation_rules           jsonb        NOT NULL DEFAULT '{}'::jsonb,
    prerequisites              jsonb        NOT NULL DEFAULT '[]'::jsonb,
    version                    integer      NOT NULL DEFAULT 1,
    is_active                  boolean      NOT NULL DEFAULT true,
    usage_count                integer      NOT NULL DEFAULT 0,
    tags                       text[]       NOT NULL DEFAULT '{}',
    metadata                   jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at                 timestamptz  NOT NULL DEFAULT now(),
    updated_at                 timestamptz  NOT NULL DEFAULT now(),
    deleted_at                 timestamptz,
    -- NULLS NOT DISTINCT: a NULL organization (single-user install) is still one namespace
    CONSTRAINT task_definitions_name_org_unique UNIQUE NULLS NOT DISTINCT (organization_id, name),
    CONSTRAINT task_definitions_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT task_definitions_task_type_valid CHECK (task_type IN (
        'code_analysis', 'code_generation', 'code_review', 'testing', 'deployment',
        'documentation', 'research', 'bug_fix', 'feature_development', 'optimization',
        'maintenance', 'custom')),
    CONSTRAINT task_definitions_execution_mode_valid CHECK (execution_mode IN (
        'manual', 'automatic', 'scheduled', 'triggered', 'continuous')),
    CONSTRAINT task_definitions_version_positive CHECK (version > 0),
    CONSTRAINT task_definitions_resources_non_negative CHECK (
        coalesce(estimated_duration_minutes, 0) >= 0 AND coalesce(cpu_requirements, 0) >= 0
        AND coalesce(memory_requirements_mb, 0) >= 0 AND coalesce(storage_requirements_mb, 0) >= 0),
    CONSTRAINT task_definitions_timeout_positive CHECK (timeout_minutes > 0),
    CONSTRAINT task_definitions_usage_count_non_negative CHECK (usage_count >= 0)
);

CREATE INDEX task_definitions_task_type_idx ON task_definitions (task_type) WHERE deleted_at IS NULL;

-- -----------------------------------------------------------------------------
-- workflows: orchestration definitions (created before tasks so tasks can point at them)
-- -----------------------------------------------------------------------------
CREATE TABLE workflows (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid        REFERENCES organizations (id) ON DELETE CASCADE,
    name            text        NOT NULL,
    description     text,
    workflow_type   text        NOT NULL DEFAULT 'sequential',
    configuration   jsonb       NOT NULL DEFAULT '{}'::jsonb,
    execution_plan  jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status          text        NOT NULL DEFAULT 'active',
    is_template     boolean     NOT NULL DEFAULT false,
    schedule_config jsonb       NOT NULL DEFAULT '{}'::jsonb,
    timeout_minutes integer     NOT NULL DEFAULT 240,
    trigger_config  jsonb       NOT NULL DEFAULT '{}'::jsonb,
    conditions      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_by      uuid        REFERENCES users (id) ON DELETE SET NULL,
    tags            text[]      NOT NULL DEFAULT '{}',
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    CONSTRAINT workflows_name_org_unique UNIQUE NULLS NOT DISTINCT (organization_id, name),
    CONSTRAINT workflows_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT workflows_workflow_type_valid CHECK (workflow_type IN (
        'sequential', 'parallel', 'conditional', 'dag', 'pipeline', 'custom')),
    CONSTRAINT workflows_status_valid CHECK (status IN ('draft', 'active', 'paused', 'archived')),
    CONSTRAINT workflows_timeout_positive CHECK (timeout_minutes > 0)
);
-- The seed's execution_count/success_count/failure_count were never maintained;
-- they are derived from workflow_executions instead (view workflow_execution_stats).

CREATE INDEX workflows_status_idx ON workflows (status) WHERE deleted_at IS NULL;
CREATE INDEX workflows_created_by_idx ON workflows (created_by);

-- -----------------------------------------------------------------------------
-- tasks
-- -----------------------------------------------------------------------------
CREATE TABLE tasks (
    id                         uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id            uuid         REFERENCES organizations (id) ON DELETE CASCADE,
    task_definition_id         uuid         REFERENCES task_definitions (id) ON DELETE SET NULL,
    workflow_id                uuid         REFERENCES workflows (id) ON DELETE SET NULL,
    name                       text         NOT NULL,
    description                text,
    task_type                  text         NOT NULL DEFAULT 'custom',

    -- Hierarchy. Subtasks are owned by their parent (CASCADE). root_task_id
    -- and task_level are derived by trigger from parent_task_id and must not
    -- be written directly; a root task has root_task_id = id and level 0.
    parent_task_id             uuid         REFERENCES tasks (id) ON DELETE CASCADE,
    root_task_id               uuid         REFERENCES tasks (id) ON DELETE CASCADE,
    task_level                 integer      NOT NULL DEFAULT 0,

    configuration              jsonb        NOT NULL DEFAULT '{}'::jsonb,
    input_data                 jsonb        NOT NULL DEFAULT '{}'::jsonb,
    output_data                jsonb        NOT NULL DEFAULT '{}'::jsonb,
    status                     text         NOT NULL DEFAULT 'draft',
    progress_percentage        numeric(5,2) NOT NULL DEFAULT 0,
    priority                   text         NOT NULL DEFAULT 'normal',
    assigned_to                uuid         REFERENCES users (id) ON DELETE SET NULL,
    created_by                 uuid         REFERENCES users (id) ON DELETE SET NULL,
    assigned_at                timestamptz,
    scheduled_at               timestamptz,
    started_at                 timestamptz,
    completed_at               timestamptz,
    due_date                   timestamptz,
    estimated_duration_minutes integer,
    actual_duration_minutes    integer,
    execution_mode             text         NOT NULL DEFAULT 'manual',
    execution_environment      jsonb        NOT NULL DEFAULT '{}'::jsonb,
    error_message              text,
    retry_count                integer      NOT NULL DEFAULT 0,
    max_retries                integer      NOT NULL DEFAULT 3,
    last_retry_at              timestamptz,
    quality_score              numeric(5,2),
    validation_results         jsonb        NOT NULL DEFAULT '{}'::jsonb,
    external_task_id           text,
    external_url               text,
    tags                       text[]       NOT NULL DEFAULT '{}',
    metadata                   jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at                 timestamptz  NOT NULL DEFAULT now(),
    updated_at                 timestamptz  NOT NULL DEFAULT now(),
    deleted_at                 timestamptz,
    CONSTRAINT tasks_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT tasks_task_type_valid CHECK (task_type IN (
        'code_analysis', 'code_generation', 'code_review', 'testing', 'deployment',
        'documentation', 'research', 'bug_fix', 'feature_development', 'optimization',
        'maintenance', 'custom')),
    CONSTRAINT tasks_status_valid CHECK (status IN (
        'draft', 'pending', 'assigned', 'in_progress', 'blocked', 'review',
        'completed', 'failed', 'cancelled', 'archived')),
    CONSTRAINT tasks_priority_valid CHECK (priority IN ('low', 'normal', 'high', 'urgent', 'critical')),
    CONSTRAINT tasks_execution_mode_valid CHECK (execution_mode IN (
        'manual', 'automatic', 'scheduled', 'triggered', 'continuous')),
    CONSTRAINT tasks_progress_valid CHECK (progress_percentage BETWEEN 0 AND 100),
    CONSTRAINT tasks_retry_count_valid CHECK (retry_count >= 0 AND max_retries >= 0),
    CONSTRAINT tasks_level_valid CHECK (task_level >= 0),
    CONSTRAINT tasks_not_own_parent CHECK (parent_task_id <> id),
    CONSTRAINT tasks_durations_non_negative CHECK (
        coalesce(estimated_duration_minutes, 0) >= 0 AND coalesce(actual_duration_minutes, 0) >= 0),
    CONSTRAINT tasks_quality_score_valid CHECK (quality_score BETWEEN 0 AND 100),
    CONSTRAINT tasks_completed_after_started CHECK (
        completed_at IS NULL OR started_at IS NULL OR completed_at >= started_at)
);
-- The seed's per-task cpu_usage_percent / memory_usage_mb / storage_usage_mb
-- moved to resource_usage (many samples per task instead of one overwritten value).

CREATE INDEX tasks_organization_id_idx ON tasks (organization_id);
CREATE INDEX tasks_task_definition_id_idx ON tasks (task_definition_id);
CREATE INDEX tasks_workflow_id_idx ON tasks (workflow_id);
CREATE INDEX tasks_parent_task_id_idx ON tasks (parent_task_id);
CREATE INDEX tasks_root_task_id_idx ON tasks (root_task_id, task_level);
CREATE INDEX tasks_status_priority_idx ON tasks (status, priority) WHERE deleted_at IS NULL;
CREATE INDEX tasks_assigned_to_idx ON tasks (assigned_to) WHERE assigned_to IS NOT NULL;
CREATE INDEX tasks_created_by_idx ON tasks (created_by);
CREATE INDEX tasks_due_date_idx ON tasks (due_date) WHERE due_date IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX tasks_tags_gin ON tasks USING gin (tags);
CREATE INDEX tasks_metadata_gin ON tasks USING gin (metadata jsonb_path_ops);

-- Singleton rows bumped by every write that could close a loop in a task
-- graph. Together with the advisory lock this makes the cycle checks below
-- safe at every isolation level: under READ COMMITTED the row lock/advisory
-- lock serializes writers and the check's fresh snapshot sees the other
-- writer's committed edge; under REPEATABLE READ / SERIALIZABLE a writer
-- whose snapshot predates another writer's commit fails on this UPDATE with
-- SQLSTATE 40001 (retry) instead of missing that edge.
CREATE TABLE task_graph_versions (
    graph      text        PRIMARY KEY,
    version    bigint      NOT NULL DEFAULT 0,
    changed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_graph_versions_graph_valid CHECK (graph IN ('hierarchy', 'dependencies'))
);
INSERT INTO task_graph_versions (graph) VALUES ('hierarchy'), ('dependencies');

COMMENT ON TABLE task_graph_versions IS
    'Serialization point for the cycle checks on tasks.parent_task_id and dependencies; bumped by triggers, never written by the application.';

-- Hierarchy, BEFORE part: derive root_task_id/task_level from the parent and
-- refuse re-parenting a task under itself or one of its descendants.
CREATE FUNCTION tasks_hierarchy_before() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_parent_root  uuid;
    v_parent_level integer;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.parent_task_id IS NOT DISTINCT FROM OLD.parent_task_id THEN
        -- rewrite of a subtree by tasks_hierarchy_after(): trusted
        IF current_setting('gs.task_tree_maintenance', true) = 'on' THEN
            RETURN NEW;
        END IF;
        IF NEW.root_task_id IS DISTINCT FROM OLD.root_task_id
           OR NEW.task_level IS DISTINCT FROM OLD.task_level THEN
            RAISE EXCEPTION 'root_task_id and task_level are derived from parent_task_id; update parent_task_id instead'
                USING ERRCODE = 'check_violation', TABLE = 'tasks';
        END IF;
        RETURN NEW;
    END IF;

    IF NEW.parent_task_id IS NULL THEN
        NEW.root_task_id := NEW.id;
        NEW.task_level := 0;
        RETURN NEW;
    END IF;

    IF TG_OP = 'UPDATE' THEN
        -- Re-parenting: serialize (see task_graph_versions), then walk up from
        -- the new parent; meeting this task means it would become its own ancestor.
        PERFORM pg_advisory_xact_lock(1735159, 1);
        UPDATE public.task_graph_versions
           SET version = version + 1, changed_at = now()
         WHERE graph = 'hierarchy';
        IF NEW.parent_task_id = NEW.id OR EXISTS (
            WITH RECURSIVE ancestors (id, parent_task_id) AS (
                SELECT t.id, t.parent_task_id FROM public.tasks t WHERE t.id = NEW.parent_task_id
                UNION
                SELECT t.id, t.parent_task_id
                  FROM public.tasks t JOIN ancestors a ON t.id = a.parent_task_id
            )
            SELECT 1 FROM ancestors WHERE ancestors.id = NEW.id)
        THEN
            RAISE EXCEPTION 'circular task hierarchy: task % cannot become a subtask of %, %',
                            NEW.id, NEW.parent_task_id,
                            CASE WHEN NEW.parent_task_id = NEW.id THEN 'itself' ELSE 'its own descendant' END
                USING ERRCODE = 'check_violation', TABLE = 'tasks', CONSTRAINT = 'tasks_no_cycle';
        END IF;
    END IF;

    -- FOR SHARE: wait for a concurrent re-parenting of the parent to finish,
    -- then read its new root/level (READ COMMITTED follows the update chain).
    SELECT t.root_task_id, t.task_level INTO v_parent_root, v_parent_level
      FROM public.tasks t WHERE t.id = NEW.parent_task_id
       FOR SHARE;
    IF FOUND THEN
        NEW.root_task_id := v_parent_root;
        NEW.task_level := v_parent_level + 1;
    ELSE
        -- missing parent: the foreign key rejects the row at end of statement
        NEW.root_task_id := NEW.id;
        NEW.task_level := 0;
    END IF;
    RETURN NEW;
END
$$;

-- Hierarchy, AFTER part: a moved task drags its whole subtree along.
CREATE FUNCTION tasks_hierarchy_after() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('gs.task_tree_maintenance', 'on', true);
    WITH RECURSIVE subtree (id, depth) AS (
        SELECT t.id, 1 FROM public.tasks t WHERE t.parent_task_id = NEW.id
        UNION ALL
        SELECT t.id, s.depth + 1
          FROM public.tasks t JOIN subtree s ON t.parent_task_id = s.id
         WHERE s.depth < 100000   -- belt and braces: the BEFORE trigger prevents loops
    )
    UPDATE public.tasks t
       SET root_task_id = NEW.root_task_id,
           task_level = NEW.task_level + s.depth
      FROM subtree s
     WHERE t.id = s.id
       AND (t.root_task_id IS DISTINCT FROM NEW.root_task_id
            OR t.task_level <> NEW.task_level + s.depth);
    PERFORM set_config('gs.task_tree_maintenance', 'off', true);
    RETURN NULL;
END
$$;

CREATE TRIGGER tasks_hierarchy_before
    BEFORE INSERT OR UPDATE OF parent_task_id, root_task_id, task_level ON tasks
    FOR EACH ROW EXECUTE FUNCTION tasks_hierarchy_before();

CREATE TRIGGER tasks_hierarchy_after
    AFTER UPDATE OF parent_task_id ON tasks
    FOR EACH ROW WHEN (OLD.parent_task_id IS DISTINCT FROM NEW.parent_task_id)
    EXECUTE FUNCTION tasks_hierarchy_after();

-- -----------------------------------------------------------------------------
-- dependencies between tasks
-- -----------------------------------------------------------------------------
CREATE TABLE dependencies (
    id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    source_task_id     uuid        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    target_task_id     uuid        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    dependency_type    text        NOT NULL DEFAULT 'depends_on',
    description        text,
    is_hard_dependency boolean     NOT NULL DEFAULT true,
    delay_minutes      integer     NOT NULL DEFAULT 0,
    condition_config   jsonb       NOT NULL DEFAULT '{}'::jsonb,
    is_satisfied       boolean     NOT NULL DEFAULT false,
    satisfied_at       timestamptz,
    metadata           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dependencies_unique UNIQUE (source_task_id, target_task_id, dependency_type),
    CONSTRAINT dependencies_no_self_reference CHECK (source_task_id <> target_task_id),
    CONSTRAINT dependencies_dependency_type_valid CHECK (dependency_type IN (
        'blocks', 'depends_on', 'related_to', 'subtask_of', 'triggers', 'conflicts_with')),
    CONSTRAINT dependencies_delay_non_negative CHECK (delay_minutes >= 0),
    CONSTRAINT dependencies_satisfied_at_consistent CHECK (satisfied_at IS NULL OR is_satisfied)
);

COMMENT ON TABLE dependencies IS
    'Task dependencies. Ordering types define "must finish before" edges: depends_on = target before source; blocks, triggers, subtask_of = source before target. related_to and conflicts_with do not order. A cycle of ordering edges is refused (SQLSTATE 23514, constraint dependencies_no_cycle).';

-- (source_task_id, ...) is served by dependencies_unique.
CREATE INDEX dependencies_target_task_id_idx ON dependencies (target_task_id, dependency_type);

-- Circular dependencies are refused in the database, whoever writes.
CREATE FUNCTION dependencies_prevent_cycle() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_before   uuid;     -- the new edge says: v_before must finish before v_after
    v_after    uuid;
    v_cycle    boolean;
    v_seen     uuid[];
    v_frontier uuid[];
    v_preds    jsonb := '{}'::jsonb;
    v_step     jsonb;
    v_cur      uuid;
    v_path     uuid[];
BEGIN
    -- non-ordering types never form cycles; a self-dependency is left to the
    -- CHECK constraint dependencies_no_self_reference
    IF NEW.dependency_type NOT IN ('depends_on', 'blocks', 'triggers', 'subtask_of')
       OR NEW.source_task_id = NEW.target_task_id THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE'
       AND NEW.source_task_id = OLD.source_task_id
       AND NEW.target_task_id = OLD.target_task_id
       AND NEW.dependency_type = OLD.dependency_type THEN
        RETURN NEW;
    END IF;

    IF NEW.dependency_type = 'depends_on' THEN
        v_before := NEW.target_task_id;  v_after := NEW.source_task_id;
    ELSE
        v_before := NEW.source_task_id;  v_after := NEW.target_task_id;
    END IF;

    -- Serialize all writers of ordering edges. Under READ COMMITTED every
    -- statement below takes a fresh snapshot, so a second writer that waited
    -- here sees the first writer's committed edge. See task_graph_versions
    -- for the stricter isolation levels.
    PERFORM pg_advisory_xact_lock(1735159, 2);
    UPDATE public.task_graph_versions
       SET version = version + 1, changed_at = now()
     WHERE graph = 'dependencies';

    -- Does v_after already (transitively) come before v_before?
    WITH RECURSIVE reach (task_id) AS (
        SELECT v_after
        UNION
        SELECT CASE WHEN d.dependency_type = 'depends_on' THEN d.source_task_id
                    ELSE d.target_task_id END
          FROM reach r
          JOIN public.dependencies d
            ON (d.source_task_id = r.task_id AND d.dependency_type IN ('blocks', 'triggers', 'subtask_of'))
            OR (d.target_task_id = r.task_id AND d.dependency_type = 'depends_on')
         WHERE d.id <> NEW.id
    )
    SELECT EXISTS (SELECT 1 FROM reach WHERE task_id = v_before) INTO v_cycle;

    IF NOT v_cycle THEN
        RETURN NEW;
    END IF;

    -- Error path only: breadth-first search once more, keeping predecessors,
    -- to name one offending path in the message.
    v_seen := ARRAY[v_after];
    v_frontier := ARRAY[v_after];
    WHILE NOT (v_before = ANY (v_seen)) AND cardinality(v_frontier) > 0 LOOP
        SELECT coalesce(jsonb_object_agg(e.nxt, e.prv), '{}'::jsonb),
               coalesce(array_agg(e.nxt), '{}'::uuid[])
          INTO v_step, v_frontier
          FROM (SELECT DISTINCT ON (x.nxt) x.nxt, x.prv
                  FROM (SELECT CASE WHEN d.dependency_type = 'depends_on' THEN d.source_task_id
                                    ELSE d.target_task_id END AS nxt,
                               CASE WHEN d.dependency_type = 'depends_on' THEN d.target_task_id
                                    ELSE d.source_task_id END AS prv
                          FROM public.dependencies d
                         WHERE d.id <> NEW.id
                           AND ((d.source_task_id = ANY (v_frontier)
                                 AND d.dependency_type IN ('blocks', 'triggers', 'subtask_of'))
                             OR (d.target_task_id = ANY (v_frontier)
                                 AND d.dependency_type = 'depends_on'))) x
                 WHERE NOT (x.nxt = ANY (v_seen))
                 ORDER BY x.nxt, x.prv) e;
        v_preds := v_preds || v_step;
        v_seen := v_seen || v_frontier;
    END LOOP;

    -- Walk back from v_before. The message starts with the new edge and reads
    -- in "waits for" direction (X -> Y: X cannot finish before Y), the
    -- direction in which depends_on rows are written.
    v_path := ARRAY[v_before];
    v_cur := v_before;
    WHILE v_cur <> v_after AND v_preds ? v_cur::text LOOP
        v_cur := (v_preds ->> v_cur::text)::uuid;
        v_path := v_path || v_cur;
    END LOOP;

    RAISE EXCEPTION 'circular dependency: %', array_to_string(v_after || v_path, ' -> ')
        USING ERRCODE = 'check_violation',
              TABLE = 'dependencies',
              CONSTRAINT = 'dependencies_no_cycle',
              DETAIL = format('new %s dependency %s -> %s would close a cycle; in the path, X -> Y means task X waits for task Y',
                              NEW.dependency_type, NEW.source_task_id, NEW.target_task_id),
              HINT = 'remove one of the dependencies on the path first';
END
$$;

CREATE TRIGGER dependencies_prevent_cycle
    BEFORE INSERT OR UPDATE OF source_task_id, target_task_id, dependency_type ON dependencies
    FOR EACH ROW EXECUTE FUNCTION dependencies_prevent_cycle();

-- -----------------------------------------------------------------------------
-- workflow_executions
-- -----------------------------------------------------------------------------
CREATE TABLE workflow_executions (
    id                       uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id          uuid        REFERENCES organizations (id) ON DELETE CASCADE,
    -- Restrict: a workflow with execution history is archived (status,
    -- deleted_at), not deleted. NO ACTION DEFERRED checks at commit, so an
    -- organization-wide cascade, which removes both, still succeeds whatever
    -- order PostgreSQL runs the two cascades in.
    workflow_id              uuid        NOT NULL REFERENCES workflows (id) ON DELETE NO ACTION
                                         DEFERRABLE INITIALLY DEFERRED,
    status                   text        NOT NULL DEFAULT 'pending',
    current_stage            text,
    stages_completed         text[]      NOT NULL DEFAULT '{}',
    current_stage_started_at timestamptz,
    total_tasks              integer     NOT NULL DEFAULT 0,
    completed_tasks          integer     NOT NULL DEFAULT 0,
    failed_tasks             integer     NOT NULL DEFAULT 0,
    input_data               jsonb       NOT NULL DEFAULT '{}'::jsonb,
    workflow_results         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    error_message            text,
    last_error_stage         text,
    triggered_by             uuid        REFERENCES users (id) ON DELETE SET NULL,
    trigger_source           text,
    started_at               timestamptz,
    completed_at             timestamptz,
    metadata                 jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workflow_executions_status_valid CHECK (status IN (
        'pending', 'running', 'paused', 'completed', 'failed', 'cancelled', 'timeout')),
    CONSTRAINT workflow_executions_tasks_valid CHECK (
        total_tasks >= 0 AND completed_tasks >= 0 AND failed_tasks >= 0
        AND completed_tasks + failed_tasks <= total_tasks),
    CONSTRAINT workflow_executions_finished_consistent CHECK (
        (status IN ('completed', 'failed', 'cancelled', 'timeout')) = (completed_at IS NOT NULL)),
    CONSTRAINT workflow_executions_completed_after_started CHECK (
        completed_at IS NULL OR started_at IS NULL OR completed_at >= started_at)
);

CREATE INDEX workflow_executions_workflow_id_idx ON workflow_executions (workflow_id, created_at DESC);
CREATE INDEX workflow_executions_organization_id_idx ON workflow_executions (organization_id);
CREATE INDEX workflow_executions_triggered_by_idx ON workflow_executions (triggered_by);
CREATE INDEX workflow_executions_active_idx ON workflow_executions (status)
    WHERE status IN ('pending', 'running', 'paused');

-- State machine; terminal states have no way out (a retry is a new execution).
CREATE TRIGGER workflow_executions_status_transition
    BEFORE INSERT OR UPDATE OF status ON workflow_executions
    FOR EACH ROW EXECUTE FUNCTION gs_enforce_status_transition(
        '{"pending":   ["running", "cancelled"],
          "running":   ["paused", "completed", "failed", "cancelled", "timeout"],
          "paused":    ["running", "failed", "cancelled", "timeout"],
          "completed": [], "failed": [], "cancelled": [], "timeout": []}',
        'started_at', 'completed_at', 'running');

-- -----------------------------------------------------------------------------
-- task_executions: one row per attempt at running a task
-- -----------------------------------------------------------------------------
CREATE TABLE task_executions (
    id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    -- attempts belong to their task; keep history by soft-deleting tasks (deleted_at)
    task_id               uuid        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    workflow_execution_id uuid        REFERENCES workflow_executions (id) ON DELETE SET NULL,
    attempt_number        integer     NOT NULL DEFAULT 1,
    status                text        NOT NULL DEFAULT 'pending',
    execution_mode        text        NOT NULL DEFAULT 'manual',
    executor              text,       -- worker / host / agent that ran it
    started_at            timestamptz,
    completed_at          timestamptz,
    duration_ms           bigint,
    exit_code             integer,
    input_data            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    output_data           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    execution_log         text,
    error_message         text,
    metadata              jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_executions_attempt_unique UNIQUE (task_id, attempt_number),
    CONSTRAINT task_executions_attempt_positive CHECK (attempt_number > 0),
    CONSTRAINT task_executions_status_valid CHECK (status IN (
        'pending', 'running', 'completed', 'failed', 'cancelled', 'timeout')),
    CONSTRAINT task_executions_execution_mode_valid CHECK (execution_mode IN (
        'manual', 'automatic', 'scheduled', 'triggered', 'continuous')),
    CONSTRAINT task_executions_duration_non_negative CHECK (duration_ms >= 0),
    CONSTRAINT task_executions_finished_consistent CHECK (
        (status IN ('completed', 'failed', 'cancelled', 'timeout')) = (completed_at IS NOT NULL)),
    CONSTRAINT task_executions_completed_after_started CHECK (
        completed_at IS NULL OR started_at IS NULL OR completed_at >= started_at)
);

CREATE INDEX task_executions_workflow_execution_id_idx ON task_executions (workflow_execution_id);
CREATE INDEX task_executions_active_idx ON task_executions (status)
    WHERE status IN ('pending', 'running');

CREATE TRIGGER task_executions_status_transition
    BEFORE INSERT OR UPDATE OF status ON task_executions
    FOR EACH ROW EXECUTE FUNCTION gs_enforce_status_transition(
        '{"pending":   ["running", "cancelled"],
          "running":   ["completed", "failed", "cancelled", "timeout"],
          "completed": [], "failed": [], "cancelled": [], "timeout": []}',
        'started_at', 'completed_at', 'running');

-- -----------------------------------------------------------------------------
-- resource_usage: CPU / memory / IO samples of whatever ran
-- -----------------------------------------------------------------------------
-- subject_type/subject_id name what was measured, including things that live
-- in other databases (e.g. a codebase_db analysis run), where no foreign key
-- is possible; task_id / task_execution_id are real foreign keys when the
-- subject is local. Samples are append-only (no updated_at).
CREATE TABLE resource_usage (
    id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id       uuid        REFERENCES organizations (id) ON DELETE CASCADE,
    task_id               uuid        REFERENCES tasks (id) ON DELETE CASCADE,
    task_execution_id     uuid        REFERENCES task_executions (id) ON DELETE CASCADE,
    workflow_execution_id uuid        REFERENCES workflow_executions (id) ON DELETE CASCADE,
    subject_type          text        NOT NULL DEFAULT 'task',
    subject_id            uuid,
    phase                 text,       -- e.g. an analysis phase name; NULL = whole run
    hostname              text,
    pid                   integer,
    started_at            timestamptz,
    ended_at              timestamptz,
    measured_at           timestamptz NOT NULL DEFAULT now(),
    wall_time_ms          bigint,
    cpu_user_ms           bigint,
    cpu_system_ms         bigint,
    cpu_usage_percent     numeric(7,2),  -- may exceed 100 on several cores
    cpu_count             integer,
    memory_rss_bytes      bigint,
    memory_peak_rss_bytes bigint,
    storage_bytes         bigint,
    io_read_bytes         bigint,
    io_write_bytes        bigint,
    metadata              jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT resource_usage_subject_type_valid CHECK (subject_type IN (
        'task', 'task_execution', 'workflow_execution', 'analysis_run', 'process', 'system')),
    CONSTRAINT resource_usage_subject_present CHECK (
        subject_id IS NOT NULL OR task_id IS NOT NULL OR task_execution_id IS NOT NULL
        OR workflow_execution_id IS NOT NULL OR subject_type IN ('process', 'system')),
    CONSTRAINT resource_usage_non_negative CHECK (
        coalesce(wall_time_ms, 0) >= 0 AND coalesce(cpu_user_ms, 0) >= 0
        AND coalesce(cpu_system_ms, 0) >= 0 AND coalesce(cpu_usage_percent, 0) >= 0
        AND coalesce(cpu_count, 1) > 0 AND coalesce(memory_rss_bytes, 0) >= 0
        AND coalesce(memory_peak_rss_bytes, 0) >= 0 AND coalesce(storage_bytes, 0) >= 0
        AND coalesce(io_read_bytes, 0) >= 0 AND coalesce(io_write_bytes, 0) >= 0),
    CONSTRAINT resource_usage_interval_valid CHECK (
        ended_at IS NULL OR started_at IS NULL OR ended_at >= started_at)
);

CREATE INDEX resource_usage_subject_idx ON resource_usage (subject_type, subject_id, measured_at DESC);
CREATE INDEX resource_usage_task_id_idx ON resource_usage (task_id, measured_at DESC) WHERE task_id IS NOT NULL;
CREATE INDEX resource_usage_task_execution_id_idx ON resource_usage (task_execution_id) WHERE task_execution_id IS NOT NULL;
CREATE INDEX resource_usage_workflow_execution_id_idx ON resource_usage (workflow_execution_id) WHERE workflow_execution_id IS NOT NULL;
CREATE INDEX resource_usage_organization_id_idx ON resource_usage (organization_id);
CREATE INDEX resource_usage_measured_at_idx ON resource_usage (measured_at);

-- -----------------------------------------------------------------------------
-- Optional trigram search on task names (pg_trgm is created by setup when available)
-- -----------------------------------------------------------------------------
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        EXECUTE 'CREATE INDEX tasks_name_trgm ON tasks USING gin (name gin_trgm_ops)';
    END IF;
END
$$;

-- -----------------------------------------------------------------------------
-- Views
-- -----------------------------------------------------------------------------
CREATE VIEW workflow_execution_stats AS
SELECT w.id AS workflow_id,
       w.organization_id,
       w.name,
       w.status,
       count(we.id)                                          AS execution_count,
       count(we.id) FILTER (WHERE we.status = 'completed')   AS success_count,
       count(we.id) FILTER (WHERE we.status IN ('failed', 'timeout')) AS failure_count,
       count(we.id) FILTER (WHERE we.status IN ('pending', 'running', 'paused')) AS active_count,
       max(we.started_at)                                    AS last_started_at
  FROM workflows w
  LEFT JOIN workflow_executions we ON we.workflow_id = w.id
 WHERE w.deleted_at IS NULL
 GROUP BY w.id;

-- Tasks whose hard prerequisites are all satisfied or completed.
CREATE VIEW ready_tasks AS
SELECT t.id, t.organization_id, t.name, t.status, t.priority, t.root_task_id, t.task_level, t.due_date
  FROM tasks t
 WHERE t.deleted_at IS NULL
   AND t.status IN ('pending', 'assigned')
   AND NOT EXISTS (
        SELECT 1
          FROM dependencies d
          JOIN tasks pre ON pre.id = CASE WHEN d.dependency_type = 'depends_on'
                                          THEN d.target_task_id ELSE d.source_task_id END
         WHERE d.is_hard_dependency
           AND NOT d.is_satisfied
           AND pre.status <> 'completed'
           AND ((d.dependency_type = 'depends_on' AND d.source_task_id = t.id)
             OR (d.dependency_type IN ('blocks', 'triggers') AND d.target_task_id = t.id)));

SELECT gs_install_updated_at_triggers();
