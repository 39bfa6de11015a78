"""`gsdb serve`: the webhook service (GitHub, Linear, Slack, Notion) over events_db, as an ASGI app."""
