-- =============================================================================
-- prompts_db/0001_baseline.sql — prompt templates with immutable versions and
-- movable labels, executions, context sources, A/B experiments.
--
-- Model: a template is a name; its text lives in prompt_versions, which never
-- change once written (an execution or an experiment result always refers to
-- exactly the text that ran). Labels such as 'production' and 'latest' are
-- pointers that move between versions. (The seed kept the text on the template
-- and copied it into template_versions; the two could silently diverge.)
-- =============================================================================

-- -----------------------------------------------------------------------------
-- prompt_templates
-- -----------------------------------------------------------------------------
CREATE TABLE prompt_templates (
    id                   uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id      uuid         REFERENCES organizations (id) ON DELETE CASCADE,
    name                 text         NOT NULL,
    slug                 text,
    description          text,
    prompt_type          text         NOT NULL DEFAULT 'template',
    status               text         NOT NULL DEFAULT 'draft',
    is_default           boolean      NOT NULL DEFAULT false,
    fallback_template_id uuid         REFERENCES prompt_templates (id) ON DELETE SET NULL,
    category             text,
    tags                 text[]       NOT NULL DEFAULT '{}',
    created_by           uuid         REFERENCES users (id) ON DELETE SET NULL,
    updated_by           uuid         REFERENCES users (id) ON DELETE SET NULL,
    external_template_id text,
    source_url           text,
    metadata             jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at           timestamptz  NOT NULL DEFAULT now(),
    updated_at           timestamptz  NOT NULL DEFAULT now(),
    deleted_at           timestamptz,
    CONSTRAINT prompt_templates_name_org_unique UNIQUE NULLS NOT DISTINCT (organization_id, name),
    CONSTRAINT prompt_templates_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT prompt_templates_prompt_type_valid CHECK (prompt_type IN (
        'system', 'user', 'assistant', 'function', 'template', 'conditional')),
    CONSTRAINT prompt_templates_status_valid CHECK (status IN ('draft', 'active', 'deprecated', 'archived')),
    CONSTRAINT prompt_templates_not_own_fallback CHECK (fallback_template_id <> id)
);
-- The seed's usage_count / success_rate / average_rating were never
-- maintained; view template_effectiveness derives them from executions.

CREATE UNIQUE INDEX prompt_templates_slug_org_unique ON prompt_templates (organization_id, slug)
    NULLS NOT DISTINCT WHERE slug IS NOT NULL;
CREATE INDEX prompt_templates_status_idx ON prompt_templates (status) WHERE deleted_at IS NULL;
CREATE INDEX prompt_templates_category_idx ON prompt_templates (category);
CREATE INDEX prompt_templates_fallback_idx ON prompt_templates (fallback_template_id) WHERE fallback_template_id IS NOT NULL;
CREATE INDEX prompt_templates_created_by_idx ON prompt_templates (created_by);
CREATE INDEX prompt_templates_updated_by_idx ON prompt_templates (updated_by);
CREATE INDEX prompt_templates_tags_gin ON prompt_templates USING gin (tags);

-- -----------------------------------------------------------------------------
-- prompt_versions: immutable
-- -----------------------------------------------------------------------------
CREATE TABLE prompt_versions (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    -- deleting a template deletes its versions (the only way a version goes)
    template_id      uuid        NOT NULL REFERENCES prompt_templates (id) ON DELETE CASCADE,
    version_number   integer     NOT NULL,  -- omitted on INSERT: next number, assigned by trigger
    template_content text        NOT NULL,
    variables        jsonb       NOT NULL DEFAULT '[]'::jsonb,
    conditions       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    model_config     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    content_sha256   text        NOT NULL,  -- set by trigger from the content columns
    -- mutable annotations
    version_name     text,
    description      text,
    changes_summary  text,
    created_by       uuid        REFERENCES users (id) ON DELETE SET NULL,
    metadata         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT prompt_versions_unique UNIQUE (template_id, version_number),
    -- target of composite foreign keys that pin "a version OF this template"
    CONSTRAINT prompt_versions_template_id_id_key UNIQUE (template_id, id),
    CONSTRAINT prompt_versions_version_positive CHECK (version_number > 0),
    CONSTRAINT prompt_versions_content_not_empty CHECK (btrim(template_content) <> ''),
    CONSTRAINT prompt_versions_variables_array CHECK (jsonb_typeof(variables) = 'array')
);

CREATE INDEX prompt_versions_content_sha256_idx ON prompt_versions (template_id, content_sha256);
CREATE INDEX prompt_versions_created_by_idx ON prompt_versions (created_by);

CREATE FUNCTION prompt_versions_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.version_number IS NULL THEN
            -- lock the template row so concurrent inserts number 1, 2, 3... without gaps or clashes
            PERFORM 1 FROM public.prompt_templates WHERE id = NEW.template_id FOR UPDATE;
            SELECT coalesce(max(v.version_number), 0) + 1 INTO NEW.version_number
              FROM public.prompt_versions v WHERE v.template_id = NEW.template_id;
        END IF;
        NEW.content_sha256 := encode(sha256(convert_to(
            concat_ws(E'\x1f', NEW.template_content, NEW.variables::text,
                      NEW.conditions::text, NEW.model_config::text), 'UTF8')), 'hex');
        RETURN NEW;
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.template_id      IS DISTINCT FROM OLD.template_id
        OR NEW.version_number   IS DISTINCT FROM OLD.version_number
        OR NEW.template_content IS DISTINCT FROM OLD.template_content
        OR NEW.variables        IS DISTINCT FROM OLD.variables
        OR NEW.conditions       IS DISTINCT FROM OLD.conditions
        OR NEW.model_config     IS DISTINCT FROM OLD.model_config
        OR NEW.content_sha256   IS DISTINCT FROM OLD.content_sha256
        OR NEW.created_at       IS DISTINCT FROM OLD.created_at THEN
            RAISE EXCEPTION 'prompt_versions are immutable: version % of template % cannot be changed; insert a new version',
                            OLD.version_number, OLD.template_id
                USING ERRCODE = 'restrict_violation', TABLE = 'prompt_versions',
                      HINT = 'only version_name, description, changes_summary, created_by and metadata may be updated';
        END IF;
        RETURN NEW;
    ELSE  -- DELETE
        -- Allowed only as part of deleting the whole template (FK cascade:
        -- by then the template row is already gone).
        IF EXISTS (SELECT 1 FROM public.prompt_templates t WHERE t.id = OLD.template_id) THEN
            RAISE EXCEPTION 'prompt_versions are immutable: version % of template % cannot be deleted',
                            OLD.version_number, OLD.template_id
                USING ERRCODE = 'restrict_violation', TABLE = 'prompt_versions',
                      HINT = 'delete the template to remove all its versions, or move its labels';
        END IF;
        RETURN OLD;
    END IF;
END
$$;

CREATE TRIGGER prompt_versions_guard
    BEFORE INSERT OR UPDATE OR DELETE ON prompt_versions
    FOR EACH ROW EXECUTE FUNCTION prompt_versions_guard();

-- -----------------------------------------------------------------------------
-- prompt_labels: movable named pointers ('production', 'latest', 'staging', ...)
-- -----------------------------------------------------------------------------
CREATE TABLE prompt_labels (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    template_id uuid        NOT NULL REFERENCES prompt_templates (id) ON DELETE CASCADE,
    version_id  uuid        NOT NULL,
    label       text        NOT NULL,
    updated_by  uuid        REFERENCES users (id) ON DELETE SET NULL,
    metadata    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT prompt_labels_template_label_unique UNIQUE (template_id, label),
    -- a label can only point at a version of its own template
    CONSTRAINT prompt_labels_version_fk FOREIGN KEY (template_id, version_id)
        REFERENCES prompt_versions (template_id, id) ON DELETE CASCADE,
    CONSTRAINT prompt_labels_label_format CHECK (label ~ '^[a-z0-9][a-z0-9._-]*$')
);

CREATE INDEX prompt_labels_version_idx ON prompt_labels (template_id, version_id);
CREATE INDEX prompt_labels_updated_by_idx ON prompt_labels (updated_by);

-- -----------------------------------------------------------------------------
-- context_sources
-- -----------------------------------------------------------------------------
CREATE TABLE context_sources (
    id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id    uuid        REFERENCES organizations (id) ON DELETE CASCADE,
    name               text        NOT NULL,
    description        text,
    context_type       text        NOT NULL DEFAULT 'custom',
    source_config      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    access_config      jsonb       NOT NULL DEFAULT '{}'::jsonb,  -- no secrets here
    content            text,
    content_hash       text,
    content_size_bytes bigint,
    is_active          boolean     NOT NULL DEFAULT true,
    last_updated_at    timestamptz,
    last_accessed_at   timestamptz,
    external_source_id text,
    source_url         text,
    tags               text[]      NOT NULL DEFAULT '{}',
    metadata           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz,
    CONSTRAINT context_sources_name_org_unique UNIQUE NULLS NOT DISTINCT (organization_id, name),
    CONSTRAINT context_sources_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT context_sources_context_type_valid CHECK (context_type IN (
        'code', 'documentation', 'conversation', 'file', 'database', 'api', 'web', 'custom')),
    CONSTRAINT context_sources_size_non_negative CHECK (content_size_bytes >= 0)
);

CREATE INDEX context_sources_type_idx ON context_sources (context_type) WHERE is_active AND deleted_at IS NULL;

-- -----------------------------------------------------------------------------
-- A/B experiments (created before executions, which record their variant)
-- -----------------------------------------------------------------------------
CREATE TABLE ab_experiments (
    id                       uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id          uuid         REFERENCES organizations (id) ON DELETE CASCADE,
    template_id              uuid         REFERENCES prompt_templates (id) ON DELETE CASCADE,
    name                     text         NOT NULL,
    description              text,
    hypothesis               text,
    primary_metric           text         NOT NULL DEFAULT 'rating',
    success_metrics          jsonb        NOT NULL DEFAULT '[]'::jsonb,
    status                   text         NOT NULL DEFAULT 'draft',
    start_date               timestamptz,
    end_date                 timestamptz,
    traffic_percentage       numeric(5,2) NOT NULL DEFAULT 100,
    confidence_level         numeric(5,2) NOT NULL DEFAULT 95,
    minimum_sample_size      integer      NOT NULL DEFAULT 100,
    statistical_significance boolean      NOT NULL DEFAULT false,
    winner_variant_id        uuid,        -- FK added below (ab_variants is created next)
    created_by               uuid         REFERENCES users (id) ON DELETE SET NULL,
    metadata                 jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at               timestamptz  NOT NULL DEFAULT now(),
    updated_at               timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT ab_experiments_name_org_unique UNIQUE NULLS NOT DISTINCT (organization_id, name),
    CONSTRAINT ab_experiments_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT ab_experiments_status_valid CHECK (status IN ('draft', 'running', 'paused', 'completed', 'cancelled')),
    CONSTRAINT ab_experiments_dates_valid CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date),
    CONSTRAINT ab_experiments_traffic_valid CHECK (traffic_percentage BETWEEN 0 AND 100),
    CONSTRAINT ab_experiments_confidence_valid CHECK (confidence_level > 0 AND confidence_level < 100),
    CONSTRAINT ab_experiments_sample_size_positive CHECK (minimum_sample_size > 0)
);

CREATE INDEX ab_experiments_template_id_idx ON ab_experiments (template_id);
CREATE INDEX ab_experiments_status_idx ON ab_experiments (status);
CREATE INDEX ab_experiments_created_by_idx ON ab_experiments (created_by);

CREATE TABLE ab_variants (
    id             uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    experiment_id  uuid         NOT NULL REFERENCES ab_experiments (id) ON DELETE CASCADE,
    variant_name   text         NOT NULL,
    description    text,
    template_id    uuid         NOT NULL,
    version_id     uuid         NOT NULL,
    is_control     boolean      NOT NULL DEFAULT false,
    traffic_weight numeric(7,3) NOT NULL DEFAULT 1,
    metadata       jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    updated_at     timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT ab_variants_name_exp_unique UNIQUE (experiment_id, variant_name),
    CONSTRAINT ab_variants_experiment_id_id_key UNIQUE (experiment_id, id),
    -- An experiment's record of what ran must not vanish under it: a
    -- version only goes with its template, and deleting a template is
    -- refused while another experiment's variant uses it. NO ACTION
    -- DEFERRED = restrict, checked at commit: when the experiment goes away in
    -- the same transaction (it is of this very template, or the whole
    -- organization is deleted) the cascade succeeds whatever order
    -- PostgreSQL runs the cascades in; an immediate check would not.
    CONSTRAINT ab_variants_version_fk FOREIGN KEY (template_id, version_id)
        REFERENCES prompt_versions (template_id, id) ON DELETE NO ACTION
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT ab_variants_name_not_empty CHECK (btrim(variant_name) <> ''),
    CONSTRAINT ab_variants_weight_non_negative CHECK (traffic_weight >= 0)
);

CREATE INDEX ab_variants_version_idx ON ab_variants (template_id, version_id);
CREATE UNIQUE INDEX ab_variants_one_control ON ab_variants (experiment_id) WHERE is_control;

ALTER TABLE ab_experiments
    ADD CONSTRAINT ab_experiments_winner_fk FOREIGN KEY (id, winner_variant_id)
        REFERENCES ab_variants (experiment_id, id) ON DELETE SET NULL (winner_variant_id);
CREATE INDEX ab_experiments_winner_idx ON ab_experiments (winner_variant_id) WHERE winner_variant_id IS NOT NULL;

-- Sticky assignment of a unit (user, session, repository...) to a variant.
CREATE TABLE ab_assignments (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    experiment_id uuid        NOT NULL REFERENCES ab_experiments (id) ON DELETE CASCADE,
    variant_id    uuid        NOT NULL,
    unit_id       text        NOT NULL,
    assigned_at   timestamptz NOT NULL DEFAULT now(),
    metadata      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ab_assignments_unit_unique UNIQUE (experiment_id, unit_id),
    CONSTRAINT ab_assignments_variant_fk FOREIGN KEY (experiment_id, variant_id)
        REFERENCES ab_variants (experiment_id, id) ON DELETE CASCADE,
    CONSTRAINT ab_assignments_unit_not_empty CHECK (btrim(unit_id) <> '')
);

CREATE INDEX ab_assignments_variant_idx ON ab_assignments (experiment_id, variant_id);

-- -----------------------------------------------------------------------------
-- executions: one row per rendered prompt sent to a model
-- -----------------------------------------------------------------------------
CREATE TABLE executions (
    id                    uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id       uuid          REFERENCES organizations (id) ON DELETE CASCADE,
    -- history outlives templates: references are cleared, the rendered prompt stays
    template_id           uuid          REFERENCES prompt_templates (id) ON DELETE SET NULL,
    version_id            uuid          REFERENCES prompt_versions (id) ON DELETE SET NULL,
    label                 text,         -- label resolved to pick the version, e.g. 'production'
    experiment_id         uuid          REFERENCES ab_experiments (id) ON DELETE SET NULL,
    variant_id            uuid          REFERENCES ab_variants (id) ON DELETE SET NULL,
    execution_name        text,
    session_id            uuid,
    status                text          NOT NULL DEFAULT 'pending',
    prompt_type           text,
    rendered_prompt       text          NOT NULL,
    variables_used        jsonb         NOT NULL DEFAULT '{}'::jsonb,
    context_data          jsonb         NOT NULL DEFAULT '{}'::jsonb,
    model_used            text,
    model_config          jsonb         NOT NULL DEFAULT '{}'::jsonb,
    started_at            timestamptz   NOT NULL DEFAULT now(),
    completed_at          timestamptz,
    latency_ms            integer,
    input_tokens          integer,
    output_tokens         integer,
    total_tokens          integer       GENERATED ALWAYS AS (input_tokens + output_tokens) STORED,
    response_content      text,
    response_metadata     jsonb         NOT NULL DEFAULT '{}'::jsonb,
    rating                smallint,     -- 1..5, from a user or an evaluator
    quality_score         numeric(5,2),
    user_feedback         text,
    error_message         text,
    error_code            text,
    retry_count           integer       NOT NULL DEFAULT 0,
    cost_usd              numeric(12,6),
    user_id               uuid          REFERENCES users (id) ON DELETE SET NULL,
    user_agent            text,
    ip_address            inet,
    external_execution_id text,
    metadata              jsonb         NOT NULL DEFAULT '{}'::jsonb,
    created_at            timestamptz   NOT NULL DEFAULT now(),
    updated_at            timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT executions_status_valid CHECK (status IN (
        'pending', 'running', 'completed', 'failed', 'cancelled', 'timeout')),
    CONSTRAINT executions_prompt_type_valid CHECK (prompt_type IS NULL OR prompt_type IN (
        'system', 'user', 'assistant', 'function', 'template', 'conditional')),
    CONSTRAINT executions_latency_non_negative CHECK (latency_ms >= 0),
    CONSTRAINT executions_tokens_non_negative CHECK (input_tokens >= 0 AND output_tokens >= 0),
    CONSTRAINT executions_rating_valid CHECK (rating BETWEEN 1 AND 5),
    CONSTRAINT executions_quality_score_valid CHECK (quality_score BETWEEN 0 AND 100),
    CONSTRAINT executions_retry_count_non_negative CHECK (retry_count >= 0),
    CONSTRAINT executions_cost_non_negative CHECK (cost_usd >= 0),
    CONSTRAINT executions_completed_after_started CHECK (completed_at IS NULL OR completed_at >= started_at)
);

CREATE INDEX executions_template_id_idx ON executions (template_id, created_at DESC);
CREATE INDEX executions_version_id_idx ON executions (version_id);
CREATE INDEX executions_organization_id_idx ON executions (organization_id, created_at DESC);
CREATE INDEX executions_experiment_idx ON executions (experiment_id, variant_id) WHERE experiment_id IS NOT NULL;
CREATE INDEX executions_variant_id_idx ON executions (variant_id) WHERE variant_id IS NOT NULL;
CREATE INDEX executions_session_id_idx ON executions (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX executions_user_id_idx ON executions (user_id);
CREATE INDEX executions_created_at_idx ON executions (created_at);
CREATE INDEX executions_status_idx ON executions (status) WHERE status IN ('pending', 'running', 'failed');

-- Which context sources fed an execution.
CREATE TABLE execution_contexts (
    id                uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    execution_id      uuid         NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    context_source_id uuid         NOT NULL REFERENCES context_sources (id) ON DELETE CASCADE,
    context_portion   text,
    relevance_score   numeric(5,2),
    usage_metadata    jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at        timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT execution_contexts_unique UNIQUE (execution_id, context_source_id),
    CONSTRAINT execution_contexts_relevance_valid CHECK (relevance_score BETWEEN 0 AND 100)
);

CREATE INDEX execution_contexts_context_source_id_idx ON execution_contexts (context_source_id);

-- Observations of an experiment's metrics, per unit and variant.
CREATE TABLE ab_results (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    experiment_id uuid        NOT NULL REFERENCES ab_experiments (id) ON DELETE CASCADE,
    variant_id    uuid        NOT NULL,
    assignment_id uuid        REFERENCES ab_assignments (id) ON DELETE SET NULL,
    execution_id  uuid        REFERENCES executions (id) ON DELETE SET NULL,
    unit_id       text,
    metric_name   text        NOT NULL,
    value         double precision NOT NULL,
    observed_at   timestamptz NOT NULL DEFAULT now(),
    metadata      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ab_results_variant_fk FOREIGN KEY (experiment_id, variant_id)
        REFERENCES ab_variants (experiment_id, id) ON DELETE CASCADE,
    CONSTRAINT ab_results_metric_not_empty CHECK (btrim(metric_name) <> ''),
    CONSTRAINT ab_results_value_finite CHECK (value NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8))
);

CREATE INDEX ab_results_variant_metric_idx ON ab_results (experiment_id, variant_id, metric_name);
CREATE INDEX ab_results_assignment_id_idx ON ab_results (assignment_id) WHERE assignment_id IS NOT NULL;
CREATE INDEX ab_results_execution_id_idx ON ab_results (execution_id) WHERE execution_id IS NOT NULL;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        EXECUTE 'CREATE INDEX prompt_templates_name_trgm ON prompt_templates USING gin (name gin_trgm_ops)';
    END IF;
END
$$;

-- -----------------------------------------------------------------------------
-- Views
-- -----------------------------------------------------------------------------
-- The version a label currently resolves to, with its text.
CREATE VIEW labeled_prompt_versions AS
SELECT t.id AS template_id, t.organization_id, t.name AS template_name, l.label,
       v.id AS version_id, v.version_number, v.template_content, v.variables,
       v.conditions, v.model_config, v.content_sha256, l.updated_at AS label_moved_at
  FROM prompt_labels l
  JOIN prompt_templates t ON t.id = l.template_id
  JOIN prompt_versions v  ON v.id = l.version_id;

CREATE VIEW template_effectiveness AS
SELECT t.id, t.organization_id, t.name, t.category, t.status,
       count(e.id)                                         AS total_executions,
       count(e.id) FILTER (WHERE e.status = 'completed')   AS successful_executions,
       round(100.0 * count(e.id) FILTER (WHERE e.status = 'completed') / nullif(count(e.id), 0), 2) AS success_rate,
       avg(e.rating)::numeric(4,2)                         AS average_rating,
       avg(e.latency_ms)::numeric(12,2)                    AS avg_latency_ms,
       sum(e.input_tokens)                                 AS total_input_tokens,
       sum(e.output_tokens)                                AS total_output_tokens,
       sum(e.cost_usd)                                     AS total_cost_usd,
       max(e.created_at)                                   AS last_executed_at
  FROM prompt_templates t
  LEFT JOIN executions e ON e.template_id = t.id
 WHERE t.deleted_at IS NULL
 GROUP BY t.id;

CREATE VIEW recent_executions AS
SELECT e.id, e.organization_id, e.template_id, e.version_id, e.label, e.status, e.model_used,
       e.latency_ms, e.input_tokens, e.output_tokens, e.total_tokens, e.cost_usd, e.rating,
       e.error_message, e.created_at,
       t.name     AS template_name,
       t.category AS template_category,
       v.version_number,
       u.display_name AS user_name
  FROM executions e
  LEFT JOIN prompt_templates t ON t.id = e.template_id
  LEFT JOIN prompt_versions v  ON v.id = e.version_id
  LEFT JOIN users u            ON u.id = e.user_id
 WHERE e.created_at >= now() - interval '7 days';

CREATE VIEW ab_variant_summary AS
SELECT x.id AS experiment_id, x.name AS experiment_name, x.status AS experiment_status,
       va.id AS variant_id, va.variant_name, va.is_control, va.version_id,
       (SELECT count(*) FROM ab_assignments a WHERE a.variant_id = va.id) AS assigned_units,
       r.metric_name,
       count(r.id)       AS observations,
       avg(r.value)      AS mean_value,
       stddev_samp(r.value) AS stddev_value
  FROM ab_experiments x
  JOIN ab_variants va ON va.experiment_id = x.id
  LEFT JOIN ab_results r ON r.variant_id = va.id AND r.experiment_id = x.id
 GROUP BY x.id, va.id, r.metric_name;

SELECT gs_install_updated_at_triggers();
