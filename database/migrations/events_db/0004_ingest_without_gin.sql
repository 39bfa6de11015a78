-- =============================================================================
-- events_db/0004_ingest_without_gin.sql — events is written thousands of rows a
-- second (webhooks, imports) and read by its normalized columns, which have
-- their btree indexes. The two GIN indexes of the baseline cost about half of
-- every insert (~45 of ~90 µs per GitHub payload), and their pending lists,
-- flushed by whichever insert overflows them, put 100 ms stalls into webhook
-- latency. Nothing reads through them: subscription predicates (payload @> …)
-- are tested on each new row, not searched. A deployment that searches payloads
-- or titles can create an index on the partitions it searches.
-- =============================================================================
DROP INDEX IF EXISTS events_payload_gin;
DROP INDEX IF EXISTS events_title_trgm;
