-- =============================================================================
-- events_db/0001_baseline.sql — event sources, events (time series),
-- idempotent delivery ledger, aggregations (time series), subscriptions and
-- their deliveries, anomalies.
--
-- events and event_aggregations are RANGE partitioned by time (or hypertables
-- under TimescaleDB); every PRIMARY KEY / UNIQUE includes the time column.
-- Nothing references events by foreign key: that would pin partitions and
-- block retention (gs_drop_time_partitions). Rows that point at an event
-- carry (event_id, occurred_at), which is the events primary key.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- event_sources
-- -----------------------------------------------------------------------------
CREATE TABLE event_sources (
    id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id       uuid        REFERENCES organizations (id) ON DELETE CASCADE,
    name                  text        NOT NULL,
    provider              text        NOT NULL,
    description           text,
    configuration         jsonb       NOT NULL DEFAULT '{}'::jsonb,  -- non-secret settings only
    -- Webhook secret / API token, encrypted by the application before it is
    -- stored (the seed kept webhook_secret and an "authentication" jsonb in
    -- plaintext). The key is not in the database; secret_key_id names it so
    -- keys can be rotated.
    secret_encrypted      bytea,
    secret_key_id         text,
    is_active             boolean     NOT NULL DEFAULT true,
    last_sync_at          timestamptz,
    next_sync_at          timestamptz,
    sync_interval_minutes integer     NOT NULL DEFAULT 60,
    batch_size            integer     NOT NULL DEFAULT 100,
    rate_limit_per_hour   integer     NOT NULL DEFAULT 1000,
    health_status         text        NOT NULL DEFAULT 'unknown',
    last_error_at         timestamptz,
    last_error            text,
    error_count           integer     NOT NULL DEFAULT 0,
    external_source_id    text,
    webhook_url           text,
    tags                  text[]      NOT NULL DEFAULT '{}',
    metadata              jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_sources_name_org_unique UNIQUE NULLS NOT DISTINCT (organization_id, name),
    CONSTRAINT event_sources_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT event_sources_provider_valid CHECK (provider IN (
        'github', 'gitlab', 'linear', 'slack', 'notion', 'jira', 'confluence', 'discord',
        'teams', 'graph_sitter', 'webhook', 'api', 'system', 'custom')),
    CONSTRAINT event_sources_secret_key_named CHECK (secret_encrypted IS NULL OR secret_key_id IS NOT NULL),
    CONSTRAINT event_sources_health_valid CHECK (health_status IN ('unknown', 'healthy', 'degraded', 'unhealthy')),
    CONSTRAINT event_sources_limits_positive CHECK (
        sync_interval_minutes > 0 AND batch_size > 0 AND rate_limit_per_hour > 0),
    CONSTRAINT event_sources_error_count_non_negative CHECK (error_count >= 0)
);
-- The seed's total_events_* counters were never maintained: derive them from
-- event_aggregations.

CREATE INDEX event_sources_provider_idx ON event_sources (provider) WHERE is_active;

-- -----------------------------------------------------------------------------
-- events (TIME SERIES by occurred_at)
-- -----------------------------------------------------------------------------
SELECT gs_create_time_series_table('events', 'occurred_at', $ddl$
CREATE TABLE events (
    id                  uuid        NOT NULL DEFAULT gen_random_uuid(),
    organization_id     uuid        REFERENCES organizations (id) ON DELETE CASCADE,
    -- history outlives a source's configuration
    event_source_id     uuid        REFERENCES event_sources (id) ON DELETE SET NULL,
    source              text        NOT NULL,   -- provider: github, linear, slack, ...
    event_type          text        NOT NULL,   -- e.g. pull_request, issue, push, message
    action              text,                   -- e.g. opened, closed, edited
    external_id         text,                   -- the provider's id of this event (e.g. GitHub delivery GUID)
    delivery_id         text,                   -- transport delivery id, see event_deliveries
    title               text,
    -- who: actor_id is a users.id when known; not a foreign key, because a
    -- webhook may arrive before the person is copied into this database
    actor_id            uuid,
    actor_external_id   text,
    actor_name          text,
    -- what it is about
    target_type         text,                   -- repository, issue, pull_request, page, channel, ...
    target_id           text,
    target_name         text,
    target_url          text,
    repository          text,                   -- "owner/repo" when relevant
    occurred_at         timestamptz NOT NULL,
    received_at         timestamptz NOT NULL DEFAULT now(),
    processed_at        timestamptz,
    status              text        NOT NULL DEFAULT 'received',
    processing_attempts integer     NOT NULL DEFAULT 0,
    parent_event_id     uuid,                   -- (parent_event_id, occurred_at of parent) not enforced
    thread_id           text,
    payload             jsonb       NOT NULL DEFAULT '{}'::jsonb,
    event_fingerprint   text,                   -- content hash for fuzzy dedupe across sources
    error_message       text,
    tags                text[]      NOT NULL DEFAULT '{}',
    metadata            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_pkey PRIMARY KEY (id, occurred_at),
    -- dedupe of provider events (NULL external_id = no provider id, not deduped here)
    CONSTRAINT events_source_external_id_key UNIQUE (source, external_id, occurred_at),
    CONSTRAINT events_source_valid CHECK (source IN (
        'github', 'gitlab', 'linear', 'slack', 'notion', 'jira', 'confluence', 'discord',
        'teams', 'graph_sitter', 'webhook', 'api', 'system', 'custom')),
    CONSTRAINT events_event_type_format CHECK (event_type ~ '^[A-Za-z0-9][A-Za-z0-9_.:/-]*$'),
    CONSTRAINT events_status_valid CHECK (status IN (
        'received', 'processing', 'processed', 'failed', 'ignored', 'archived')),
    CONSTRAINT events_processing_attempts_non_negative CHECK (processing_attempts >= 0),
    CONSTRAINT events_payload_object CHECK (jsonb_typeof(payload) IN ('object', 'array'))
)
$ddl$);
-- (The seed's CHECK (occurred_at <= NOW() + INTERVAL '1 hour') is gone: a
-- CHECK must be immutable. One that reads the clock holds only at write time
-- and can make a dump fail to restore on a server whose clock is behind.)

COMMENT ON TABLE events IS
    'Time series, RANGE partitioned by occurred_at into events_pYYYYMM + events_default (or a TimescaleDB hypertable). Idempotent ingestion goes through event_deliveries first.';

CREATE INDEX events_source_type_idx ON events (source, event_type, occurred_at DESC);
CREATE INDEX events_event_source_id_idx ON events (event_source_id, occurred_at DESC);
CREATE INDEX events_organization_idx ON events (organization_id, occurred_at DESC);
CREATE INDEX events_target_idx ON events (target_type, target_id, occurred_at DESC);
CREATE INDEX events_actor_idx ON events (actor_external_id, occurred_at DESC) WHERE actor_external_id IS NOT NULL;
CREATE INDEX events_actor_id_idx ON events (actor_id) WHERE actor_id IS NOT NULL;
CREATE INDEX events_thread_idx ON events (thread_id, occurred_at) WHERE thread_id IS NOT NULL;
CREATE INDEX events_pending_idx ON events (received_at) WHERE status IN ('received', 'processing', 'failed');
CREATE INDEX events_fingerprint_idx ON events (event_fingerprint) WHERE event_fingerprint IS NOT NULL;
CREATE INDEX events_payload_gin ON events USING gin (payload jsonb_path_ops);

-- -----------------------------------------------------------------------------
-- event_deliveries: idempotency ledger (small, NOT partitioned)
-- -----------------------------------------------------------------------------
-- A redelivered webhook can carry a different occurred_at (or none), so a
-- unique key on the partitioned events table (which must include the time
-- column) cannot alone guarantee "once". Ingest does, in one transaction:
--   INSERT INTO event_deliveries (source, delivery_id, event_id, occurred_at)
--   VALUES (...) ON CONFLICT DO NOTHING RETURNING event_id;
-- and inserts into events only when a row came back.
CREATE TABLE event_deliveries (
    source          text        NOT NULL,
    delivery_id     text        NOT NULL,
    event_id        uuid        NOT NULL,
    occurred_at     timestamptz NOT NULL,   -- with event_id: the events primary key
    received_at     timestamptz NOT NULL DEFAULT now(),
    event_source_id uuid        REFERENCES event_sources (id) ON DELETE SET NULL,
    CONSTRAINT event_deliveries_pkey PRIMARY KEY (source, delivery_id),
    CONSTRAINT event_deliveries_delivery_id_not_empty CHECK (delivery_id <> '')
);

COMMENT ON TABLE event_deliveries IS
    'Idempotency ledger: one row per (source, delivery_id) ever ingested, pointing at (event_id, occurred_at) in events. Prune rows older than the providers'' redelivery window by received_at.';

CREATE INDEX event_deliveries_event_idx ON event_deliveries (event_id, occurred_at);
CREATE INDEX event_deliveries_received_at_idx ON event_deliveries (received_at);
CREATE INDEX event_deliveries_event_source_id_idx ON event_deliveries (event_source_id) WHERE event_source_id IS NOT NULL;

-- -----------------------------------------------------------------------------
-- event_aggregations (TIME SERIES by period_start)
-- -----------------------------------------------------------------------------
-- NULL source / event_type = "all" (NULLS NOT DISTINCT keeps those rows unique).
SELECT gs_create_time_series_table('event_aggregations', 'period_start', $ddl$
CREATE TABLE event_aggregations (
    id                         uuid        NOT NULL DEFAULT gen_random_uuid(),
    organization_id            uuid        REFERENCES organizations (id) ON DELETE CASCADE,
    source                     text,
    event_type                 text,
    bucket                     text        NOT NULL,
    period_start               timestamptz NOT NULL,
    period_end                 timestamptz NOT NULL,
    event_count                bigint      NOT NULL DEFAULT 0,
    unique_actors              integer     NOT NULL DEFAULT 0,
    unique_targets             integer     NOT NULL DEFAULT 0,
    action_breakdown           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    actor_breakdown            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    target_breakdown           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    processing_success_rate    numeric(5,2),
    average_processing_time_ms double precision,
    metadata                   jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_aggregations_pkey PRIMARY KEY (id, period_start),
    CONSTRAINT event_aggregations_unique UNIQUE NULLS NOT DISTINCT
        (organization_id, source, event_type, bucket, period_start),
    CONSTRAINT event_aggregations_bucket_valid CHECK (bucket IN ('hour', 'day')),
    -- buckets are aligned in UTC and exactly one bucket long
    CONSTRAINT event_aggregations_period_aligned CHECK (
        date_trunc(bucket, period_start AT TIME ZONE 'UTC') = period_start AT TIME ZONE 'UTC'
        AND period_end = period_start + CASE bucket WHEN 'hour' THEN interval '1 hour'
                                                    ELSE interval '24 hours' END),
    CONSTRAINT event_aggregations_counts_non_negative CHECK (
        event_count >= 0 AND unique_actors >= 0 AND unique_targets >= 0
        AND coalesce(average_processing_time_ms, 0) >= 0),
    CONSTRAINT event_aggregations_success_rate_valid CHECK (processing_success_rate BETWEEN 0 AND 100)
)
$ddl$);

COMMENT ON TABLE event_aggregations IS
    'Event counts per (organization, source, event_type, bucket hour|day, period_start); NULL source/event_type means all. Time series partitioned by period_start.';

CREATE INDEX event_aggregations_type_idx ON event_aggregations (source, event_type, bucket, period_start DESC);

-- -----------------------------------------------------------------------------
-- subscriptions and subscription_deliveries
-- -----------------------------------------------------------------------------
CREATE TABLE subscriptions (
    id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid        REFERENCES organizations (id) ON DELETE CASCADE,
    name                text        NOT NULL,
    description         text,
    -- filters; an empty array matches everything
    sources             text[]      NOT NULL DEFAULT '{}',
    event_types         text[]      NOT NULL DEFAULT '{}',
    actions             text[]      NOT NULL DEFAULT '{}',
    -- jsonb predicate on the event: matches when events.payload @> predicate
    predicate           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    delivery_method     text        NOT NULL DEFAULT 'webhook',
    callback_url        text,
    delivery_config     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    secret_encrypted    bytea,      -- signing secret for callbacks, encrypted by the application
    secret_key_id       text,
    status              text        NOT NULL DEFAULT 'active',
    max_events_per_hour integer     NOT NULL DEFAULT 100,
    max_attempts        integer     NOT NULL DEFAULT 5,
    last_delivery_at    timestamptz,
    created_by          uuid        REFERENCES users (id) ON DELETE SET NULL,
    tags                text[]      NOT NULL DEFAULT '{}',
    metadata            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT subscriptions_name_org_unique UNIQUE NULLS NOT DISTINCT (organization_id, name),
    CONSTRAINT subscriptions_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT subscriptions_status_valid CHECK (status IN ('active', 'paused', 'disabled', 'error')),
    CONSTRAINT subscriptions_delivery_method_valid CHECK (delivery_method IN ('webhook', 'email', 'slack', 'internal')),
    CONSTRAINT subscriptions_webhook_has_url CHECK (delivery_method <> 'webhook' OR callback_url IS NOT NULL),
    CONSTRAINT subscriptions_callback_url_format CHECK (callback_url IS NULL OR callback_url ~* '^https?://'),
    CONSTRAINT subscriptions_predicate_object CHECK (jsonb_typeof(predicate) = 'object'),
    CONSTRAINT subscriptions_secret_key_named CHECK (secret_encrypted IS NULL OR secret_key_id IS NOT NULL),
    CONSTRAINT subscriptions_limits_positive CHECK (max_events_per_hour > 0 AND max_attempts > 0)
);

CREATE INDEX subscriptions_active_idx ON subscriptions (organization_id) WHERE status = 'active';
CREATE INDEX subscriptions_created_by_idx ON subscriptions (created_by);

-- Outbox of notifications: one row per (subscription, event), retried with backoff.
CREATE TABLE subscription_deliveries (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    subscription_id  uuid        NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    event_id         uuid        NOT NULL,
    event_occurred_at timestamptz NOT NULL,  -- with event_id: the events primary key
    status           text        NOT NULL DEFAULT 'pending',
    attempts         integer     NOT NULL DEFAULT 0,
    max_attempts     integer     NOT NULL DEFAULT 5,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz,
    delivered_at     timestamptz,
    last_error       text,
    response_status  integer,
    payload          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    response_data    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    metadata         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT subscription_deliveries_unique UNIQUE (subscription_id, event_id),
    CONSTRAINT subscription_deliveries_status_valid CHECK (status IN (
        'pending', 'in_flight', 'delivered', 'failed', 'dead')),
    CONSTRAINT subscription_deliveries_attempts_valid CHECK (
        attempts >= 0 AND max_attempts > 0 AND attempts <= max_attempts),
    CONSTRAINT subscription_deliveries_delivered_consistent CHECK ((status = 'delivered') = (delivered_at IS NOT NULL)),
    CONSTRAINT subscription_deliveries_response_status_valid CHECK (response_status BETWEEN 100 AND 599)
);

-- the delivery worker's queue: SELECT ... WHERE status IN ('pending','failed')
-- AND next_attempt_at <= now() ORDER BY next_attempt_at FOR UPDATE SKIP LOCKED
CREATE INDEX subscription_deliveries_due_idx ON subscription_deliveries (next_attempt_at)
    WHERE status IN ('pending', 'failed');
CREATE INDEX subscription_deliveries_event_idx ON subscription_deliveries (event_id, event_occurred_at);

CREATE TRIGGER subscription_deliveries_status_transition
    BEFORE INSERT OR UPDATE OF status ON subscription_deliveries
    FOR EACH ROW EXECUTE FUNCTION gs_enforce_status_transition(
        '{"pending":   ["in_flight", "delivered", "failed", "dead"],
          "in_flight": ["delivered", "failed", "dead", "pending"],
          "failed":    ["in_flight", "pending", "delivered", "dead"],
          "delivered": [], "dead": []}',
        '', 'delivered_at', '');

-- -----------------------------------------------------------------------------
-- event_anomalies
-- -----------------------------------------------------------------------------
CREATE TABLE event_anomalies (
    id               uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id  uuid         REFERENCES organizations (id) ON DELETE CASCADE,
    event_source_id  uuid         REFERENCES event_sources (id) ON DELETE SET NULL,
    anomaly_type     text         NOT NULL,   -- spike, drop, silence, new_actor, ...
    severity         text         NOT NULL DEFAULT 'medium',
    source           text,
    event_type       text,
    description      text,
    window_start     timestamptz,
    window_end       timestamptz,
    expected_value   double precision,
    observed_value   double precision,
    anomaly_data     jsonb        NOT NULL DEFAULT '{}'::jsonb,
    detected_at      timestamptz  NOT NULL DEFAULT now(),
    detection_method text,
    confidence_score numeric(5,2),
    related_events   jsonb        NOT NULL DEFAULT '[]'::jsonb,  -- [{"id": ..., "occurred_at": ...}]
    event_count      integer      NOT NULL DEFAULT 0,
    is_resolved      boolean      NOT NULL DEFAULT false,
    resolved_at      timestamptz,
    resolution_notes text,
    metadata         jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    updated_at       timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT event_anomalies_type_not_empty CHECK (btrim(anomaly_type) <> ''),
    CONSTRAINT event_anomalies_severity_valid CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    CONSTRAINT event_anomalies_window_valid CHECK (window_end IS NULL OR window_start IS NULL OR window_end >= window_start),
    CONSTRAINT event_anomalies_confidence_valid CHECK (confidence_score BETWEEN 0 AND 100),
    CONSTRAINT event_anomalies_event_count_non_negative CHECK (event_count >= 0),
    CONSTRAINT event_anomalies_resolved_consistent CHECK (is_resolved = (resolved_at IS NOT NULL))
);

CREATE INDEX event_anomalies_open_idx ON event_anomalies (organization_id, detected_at DESC) WHERE NOT is_resolved;
CREATE INDEX event_anomalies_detected_at_idx ON event_anomalies (detected_at);
CREATE INDEX event_anomalies_event_source_id_idx ON event_anomalies (event_source_id) WHERE event_source_id IS NOT NULL;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        EXECUTE 'CREATE INDEX events_title_trgm ON events USING gin (title gin_trgm_ops)';
    END IF;
END
$$;

-- -----------------------------------------------------------------------------
-- Views. The seed's recent_events selected e.* plus u.name AS actor_name, and
-- subscription_performance selected s.* plus COUNT(...) AS
-- successful_deliveries / failed_deliveries: both failed with "column
-- specified more than once". Explicit column lists here.
-- -----------------------------------------------------------------------------
CREATE VIEW recent_events AS
SELECT e.id, e.occurred_at, e.received_at, e.organization_id,
       e.source, e.event_type, e.action, e.external_id, e.title,
       e.actor_id, e.actor_external_id,
       coalesce(u.display_name, e.actor_name) AS actor_name,
       e.target_type, e.target_id, e.target_name, e.repository,
       e.status, e.event_source_id,
       es.name     AS source_name,
       es.provider AS source_provider
  FROM events e
  LEFT JOIN event_sources es ON es.id = e.event_source_id
  LEFT JOIN users u          ON u.id = e.actor_id
 WHERE e.occurred_at >= now() - interval '24 hours';

CREATE VIEW event_source_health AS
SELECT es.id, es.organization_id, es.name, es.provider, es.is_active,
       es.health_status, es.last_sync_at, es.last_error_at, es.error_count,
       o.name AS organization_name,
       CASE
           WHEN NOT es.is_active THEN 'inactive'
           WHEN es.last_sync_at < now() - interval '2 hours' THEN 'stale'
           WHEN es.error_count > 10 THEN 'unhealthy'
           WHEN es.error_count > 0 THEN 'degraded'
           ELSE 'healthy'
       END AS computed_health_status,
       (SELECT count(*) FROM events e
         WHERE e.event_source_id = es.id
           AND e.occurred_at >= now() - interval '1 hour') AS events_last_hour
  FROM event_sources es
  LEFT JOIN organizations o ON o.id = es.organization_id;

CREATE VIEW subscription_performance AS
SELECT s.id, s.organization_id, s.name, s.status, s.delivery_method, s.callback_url, s.last_delivery_at,
       count(sd.id)                                            AS total_deliveries_24h,
       count(sd.id) FILTER (WHERE sd.status = 'delivered')     AS successful_deliveries_24h,
       count(sd.id) FILTER (WHERE sd.status IN ('failed', 'dead')) AS failed_deliveries_24h,
       count(sd.id) FILTER (WHERE sd.status IN ('pending', 'in_flight')) AS pending_deliveries_24h,
       round(100.0 * count(sd.id) FILTER (WHERE sd.status = 'delivered') / nullif(count(sd.id), 0), 2)
                                                               AS success_rate_percentage
  FROM subscriptions s
  LEFT JOIN subscription_deliveries sd
         ON sd.subscription_id = s.id
        AND sd.created_at >= now() - interval '24 hours'
 GROUP BY s.id;

SELECT gs_install_updated_at_triggers();
