#!/usr/bin/env bash
# Creates or updates the seven graph_sitter databases: a thin wrapper over `gsdb setup`.
# Configuration comes from the environment (POSTGRES_HOST, POSTGRES_PORT, POSTGRES_ADMIN_USER,
# POSTGRES_ADMIN_PASSWORD or GRAPH_SITTER_DATABASE_URL; nothing set = the embedded server). Exits non-zero when
# setup fails. Passwords are never printed: `gsdb credentials` shows them on request.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if command -v gsdb >/dev/null 2>&1; then
    exec gsdb setup "$@"
elif [ -x "$here/../.venv/bin/gsdb" ]; then
    exec "$here/../.venv/bin/gsdb" setup "$@"
else
    exec python3 -m graph_sitter.cli setup "$@"
fi
