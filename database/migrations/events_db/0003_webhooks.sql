-- =============================================================================
-- events_db/0003_webhooks.sql — what the webhook service (`gsdb serve`) and
-- `gsdb events import` need on top of the baseline:
--   * webhook_rejections: requests refused for a missing, wrong or stale
--     signature, counted per source, reason and hour (nothing else of them is
--     stored);
--   * gs_normalize_webhook(): one provider payload -> the normalized columns of
--     events. Webhooks and bulk imports both go through it, so the two paths
--     can never disagree on what a payload means.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- webhook_rejections
-- -----------------------------------------------------------------------------
CREATE TABLE webhook_rejections (
    source           text        NOT NULL,
    reason           text        NOT NULL,
    period_start     timestamptz NOT NULL,   -- the UTC hour of the rejections
    rejection_count  bigint      NOT NULL DEFAULT 0,
    first_rejected_at timestamptz NOT NULL DEFAULT now(),
    last_rejected_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_rejections_pkey PRIMARY KEY (source, reason, period_start),
    CONSTRAINT webhook_rejections_reason_valid CHECK (reason IN (
        'missing_signature', 'bad_signature', 'stale_timestamp', 'no_secret', 'handshake_refused')),
    CONSTRAINT webhook_rejections_count_non_negative CHECK (rejection_count >= 0),
    CONSTRAINT webhook_rejections_hour_aligned CHECK (
        date_trunc('hour', period_start AT TIME ZONE 'UTC') = period_start AT TIME ZONE 'UTC')
);

COMMENT ON TABLE webhook_rejections IS
    'Webhook requests refused with 401 (missing, wrong or stale signature, no secret configured), counted per source, reason and UTC hour. The request itself is never stored.';

-- -----------------------------------------------------------------------------
-- gs_normalize_webhook(source, kind, payload, received_at)
-- -----------------------------------------------------------------------------
-- `kind` is what the transport says the payload is, when the payload does not
-- say it itself (GitHub's X-GitHub-Event header); NULL otherwise.
-- `derived_id` is the provider's own id of the event found in the payload
-- (Slack event_id, Notion id, ...), used as the delivery id when no delivery
-- header was given (bulk imports of bare payloads).
-- A set-returning LANGUAGE sql function with one SELECT is inlined by the
-- planner: it costs what the expressions cost, no function call per row. Pass
-- `payload` as a plain column (materialize the ::jsonb cast first), or the
-- inlined expressions would parse it once per reference.
CREATE FUNCTION gs_normalize_webhook(p_source text, p_kind text, p jsonb, p_received timestamptz)
RETURNS TABLE (event_type text, action text, derived_id text, occurred_at timestamptz, title text,
               actor_external_id text, actor_name text, target_type text, target_id text, target_name text,
               target_url text, repository text, thread_id text, metadata jsonb)
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
SELECT
    -- event_type
    CASE p_source
        WHEN 'github' THEN coalesce(p_kind, 'unknown')
        -- Linear's entity names are CamelCase (Issue, IssueLabel): stored as issue, issue_label
        WHEN 'linear' THEN lower(regexp_replace(coalesce(p ->> 'type', p_kind, 'unknown'),
                                                '([a-z0-9])([A-Z])', '\1_\2', 'g'))
        WHEN 'slack'  THEN coalesce(p #>> '{event,type}', p ->> 'type', p_kind, 'unknown')
        -- Notion: page.content_updated -> page / content_updated
        WHEN 'notion' THEN split_part(coalesce(p ->> 'type', p_kind, 'unknown'), '.', 1)
        ELSE coalesce(p_kind, p ->> 'type', 'unknown')
    END,
    -- action
    CASE p_source
        WHEN 'slack'  THEN p #>> '{event,subtype}'
        WHEN 'notion' THEN nullif(substr(p ->> 'type', length(split_part(p ->> 'type', '.', 1)) + 2), '')
        ELSE p ->> 'action'
    END,
    -- derived_id
    CASE p_source
        WHEN 'slack'  THEN p ->> 'event_id'
        WHEN 'notion' THEN p ->> 'id'
        WHEN 'linear' THEN 'linear:' || (p ->> 'webhookTimestamp') || ':' || (p #>> '{data,id}')
                           || ':' || coalesce(p ->> 'action', '')
        ELSE NULL
    END,
    -- occurred_at
    CASE p_source
        WHEN 'linear' THEN coalesce((p ->> 'createdAt')::timestamptz,
                                    to_timestamp((p ->> 'webhookTimestamp')::double precision / 1000), p_received)
        WHEN 'slack'  THEN coalesce(to_timestamp((p ->> 'event_time')::double precision),
                                    to_timestamp((p #>> '{event,event_ts}')::double precision), p_received)
        WHEN 'notion' THEN coalesce((p ->> 'timestamp')::timestamptz, p_received)
        -- GitHub sends no time of the event itself: it happened when it was delivered
        ELSE p_received
    END,
    -- title
    left(CASE p_source
        WHEN 'github' THEN coalesce(p #>> '{pull_request,title}', p #>> '{issue,title}',
                                    p #>> '{discussion,title}', p #>> '{release,name}',
                                    split_part(p #>> '{head_commit,message}', E'\n', 1),
                                    p_kind || ' ' || (p ->> 'ref'), p_kind)
        WHEN 'linear' THEN coalesce(p #>> '{data,title}', p #>> '{data,name}', p #>> '{data,body}')
        WHEN 'slack'  THEN coalesce(p #>> '{event,text}', p #>> '{event,type}')
        WHEN 'notion' THEN p ->> 'type'
        ELSE coalesce(p ->> 'title', p ->> 'type')
    END, 500),
    -- actor_external_id, actor_name
    CASE p_source
        WHEN 'github' THEN p #>> '{sender,id}'
        WHEN 'linear' THEN p #>> '{actor,id}'
        WHEN 'slack'  THEN coalesce(p #>> '{event,user}', p #>> '{event,bot_id}')
        WHEN 'notion' THEN p #>> '{authors,0,id}'
    END,
    CASE p_source
        WHEN 'github' THEN p #>> '{sender,login}'
        WHEN 'linear' THEN p #>> '{actor,name}'
        WHEN 'slack'  THEN p #>> '{event,user_profile,name}'
    END,
    -- target_type, target_id, target_name, target_url
    CASE p_source
        WHEN 'github' THEN CASE WHEN p ? 'pull_request' THEN 'pull_request' WHEN p ? 'issue' THEN 'issue'
                                WHEN p ? 'discussion' THEN 'discussion' WHEN p ? 'release' THEN 'release'
                                WHEN p ? 'repository' THEN 'repository' WHEN p ? 'organization' THEN 'organization' END
        WHEN 'linear' THEN lower(regexp_replace(coalesce(p ->> 'type', p_kind), '([a-z0-9])([A-Z])', '\1_\2', 'g'))
        WHEN 'slack'  THEN CASE WHEN p #>> '{event,channel}' IS NOT NULL THEN 'channel' END
        WHEN 'notion' THEN p #>> '{entity,type}'
    END,
    CASE p_source
        WHEN 'github' THEN coalesce(p #>> '{pull_request,id}', p #>> '{issue,id}', p #>> '{discussion,id}',
                                    p #>> '{release,id}', p #>> '{repository,id}', p #>> '{organization,id}')
        WHEN 'linear' THEN p #>> '{data,id}'
        WHEN 'slack'  THEN p #>> '{event,channel}'
        WHEN 'notion' THEN p #>> '{entity,id}'
    END,
    CASE p_source
        WHEN 'github' THEN coalesce((p #>> '{repository,full_name}') || '#' || coalesce(
                                        p #>> '{pull_request,number}', p #>> '{issue,number}',
                                        p #>> '{discussion,number}'),
                                    (p #>> '{repository,full_name}') || '@' || (p #>> '{release,tag_name}'),
                                    p #>> '{repository,full_name}', p #>> '{organization,login}')
        WHEN 'linear' THEN coalesce(p #>> '{data,identifier}', p #>> '{data,title}', p #>> '{data,name}')
        WHEN 'slack'  THEN p #>> '{event,channel}'
        WHEN 'notion' THEN p #>> '{entity,id}'
    END,
    CASE p_source
        WHEN 'github' THEN coalesce(p #>> '{pull_request,html_url}', p #>> '{issue,html_url}',
                                    p #>> '{discussion,html_url}', p #>> '{release,html_url}',
                                    p ->> 'compare', p #>> '{repository,html_url}')
        WHEN 'linear' THEN coalesce(p ->> 'url', p #>> '{data,url}')
    END,
    -- repository: "owner/repo"
    CASE p_source WHEN 'github' THEN p #>> '{repository,full_name}' END,
    -- thread_id: what a conversation hangs off (the issue or PR, the Slack thread, the Linear issue)
    CASE p_source
        WHEN 'github' THEN (p #>> '{repository,full_name}') || '#' || coalesce(
                               p #>> '{pull_request,number}', p #>> '{issue,number}', p #>> '{discussion,number}')
        WHEN 'linear' THEN coalesce(p #>> '{data,issueId}', p #>> '{data,issue,id}', p #>> '{data,id}')
        WHEN 'slack'  THEN coalesce(p #>> '{event,thread_ts}', p #>> '{event,ts}')
        WHEN 'notion' THEN coalesce(p #>> '{data,page_id}', p #>> '{entity,id}')
    END,
    -- metadata: what consumers need without digging in the payload (analysis triggers want the
    -- repository, ref and clone URL of pushes and pull requests)
    jsonb_strip_nulls(CASE p_source
        WHEN 'github' THEN jsonb_build_object(
            'repository', p #>> '{repository,full_name}',
            'clone_url', p #>> '{repository,clone_url}',
            'default_branch', p #>> '{repository,default_branch}',
            -- a pull request's head is fetchable from the base repository, forks included
            'ref', coalesce(p ->> 'ref', 'refs/pull/' || (p #>> '{pull_request,number}') || '/head'),
            'head_ref', p #>> '{pull_request,head,ref}',
            'before', p ->> 'before',
            'after', coalesce(p ->> 'after', p #>> '{pull_request,head,sha}'),
            'base_ref', p #>> '{pull_request,base,ref}',
            'head_repository', p #>> '{pull_request,head,repo,full_name}',
            'head_clone_url', p #>> '{pull_request,head,repo,clone_url}',
            'installation_id', p #>> '{installation,id}')
        WHEN 'linear' THEN jsonb_build_object(
            'organization_id', p ->> 'organizationId',
            'webhook_id', p ->> 'webhookId',
            'identifier', p #>> '{data,identifier}',
            'team', p #>> '{data,team,key}')
        WHEN 'slack'  THEN jsonb_build_object(
            'team_id', p ->> 'team_id',
            'api_app_id', p ->> 'api_app_id',
            'channel_type', p #>> '{event,channel_type}')
        WHEN 'notion' THEN jsonb_build_object(
            'workspace_id', p ->> 'workspace_id',
            'workspace_name', p ->> 'workspace_name',
            'subscription_id', p ->> 'subscription_id',
            'attempt_number', p -> 'attempt_number')
        ELSE '{}'::jsonb
    END)
$fn$;

COMMENT ON FUNCTION gs_normalize_webhook(text, text, jsonb, timestamptz) IS
    'One provider payload (github, linear, slack, notion) -> the normalized columns of events: type, action, the provider''s event id, occurred_at, title, actor, target, repository, thread, metadata (repository, ref and clone_url for GitHub). Inlined by the planner.';

-- -----------------------------------------------------------------------------
-- subscription_deliveries: the baseline's trigger stamped delivered_at on every
-- terminal state, 'dead' included, which subscription_deliveries_delivered_consistent
-- refuses. The delivery worker sets delivered_at itself when a callback succeeds.
-- -----------------------------------------------------------------------------
DROP TRIGGER subscription_deliveries_status_transition ON subscription_deliveries;
CREATE TRIGGER subscription_deliveries_status_transition
    BEFORE INSERT OR UPDATE OF status ON subscription_deliveries
    FOR EACH ROW EXECUTE FUNCTION gs_enforce_status_transition(
        '{"pending":   ["in_flight", "delivered", "failed", "dead"],
          "in_flight": ["delivered", "failed", "dead", "pending"],
          "failed":    ["in_flight", "pending", "delivered", "dead"],
          "delivered": [], "dead": []}',
        '', '', '');
