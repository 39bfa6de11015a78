"""Fixtures for the prompts tests: a PromptStore on prompts_db and unique names, since the session shares one server."""

from __future__ import annotations

import uuid
from typing import Iterator

import pytest

from graph_sitter.adapters.database import Cluster
from graph_sitter.adapters.prompts_db import PromptStore
from graph_sitter.adapters.setup import organization_id
from graph_sitter.config import Settings


@pytest.fixture()
def store(cluster: Cluster, settings: Settings) -> Iterator[PromptStore]:
    """A PromptStore for the session's organization."""
    with cluster.connect("prompts_db", "owner", autocommit=True) as conn:
        yield PromptStore(conn, organization_id(settings.organization))


@pytest.fixture()
def name() -> str:
    """A prompt name no other test uses."""
    return f"p-{uuid.uuid4().hex[:10]}"
