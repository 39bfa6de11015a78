"""projects_db: which registered repositories a hosting provider's repository is — by "owner/repo" full name or
by any of its clone URLs — and where their checkouts are."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Iterable

import psycopg


@dataclass(frozen=True)
class RegisteredCheckout:
    """A registered repository that has a local checkout to analyse."""

    id: uuid.UUID
    name: str
    full_name: str | None
    local_path: str
    default_branch: str


def normalise_remote(url: str) -> str:
    """A clone URL reduced to host/owner/repo in lower case: https, ssh and scp-like spellings compare equal."""
    text = url.strip().lower().removesuffix("/").removesuffix(".git")
    for prefix in ("https://", "http://", "ssh://", "git://"):
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    if "@" in text.split("/", 1)[0]:
        text = text.split("@", 1)[1]
    return text.replace(":", "/", 1) if ":" in text.split("/", 1)[0] else text


@dataclass(frozen=True)
class RegisteredRemote:
    """A registered repository with a local checkout, as matched against a provider's repository."""

    checkout: RegisteredCheckout
    clone_url: str | None


def match_remotes(remotes: Iterable[RegisteredRemote], full_name: str | None,
                  urls: Iterable[str]) -> list[RegisteredCheckout]:
    """The checkouts whose full name or normalised clone URL matches (URLs come in too many spellings to
    compare in SQL; an organization registers hundreds of repositories, not millions)."""
    wanted = {normalise_remote(u) for u in urls if u}
    name = full_name.lower() if full_name else None
    found = []
    for remote in remotes:
        known = remote.checkout.full_name
        if (name and known and known.lower() == name) or (remote.clone_url and normalise_remote(remote.clone_url) in wanted):
            found.append(remote.checkout)
    return found


class RemoteLookup:
    """Finds registered repositories by remote identity (any role that may read projects_db)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def remotes(self) -> list[RegisteredRemote]:
        """Every active repository that has a local checkout, most recently updated first."""
        rows = self.conn.execute(
            "SELECT id, name, full_name, clone_url, local_path, default_branch FROM repositories"
            " WHERE deleted_at IS NULL AND status = 'active' AND local_path IS NOT NULL ORDER BY updated_at DESC"
        ).fetchall()
        return [RegisteredRemote(RegisteredCheckout(rid, name, fname, path, branch), clone_url)
                for rid, name, fname, clone_url, path, branch in rows]

    def checkouts_for(self, full_name: str | None, urls: Iterable[str]) -> list[RegisteredCheckout]:
        """Active repositories with a local path whose full name or normalised clone URL matches."""
        return match_remotes(self.remotes(), full_name, urls)
