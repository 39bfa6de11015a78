"""COPY text formatting survives a round trip through PostgreSQL, whatever the characters."""

from __future__ import annotations

from graph_sitter.adapters import copy_text as ct
from graph_sitter.adapters.database import Cluster

AWKWARD = ["plain", "tab\there", "new\nline", "back\\slash", "cr\rlf", 'quote"s', "{braces},comma", "NUL\0gone", "ünï"]


def test_text_and_arrays_round_trip(cluster: Cluster) -> None:
    with cluster.connect("codebase_db", autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE copy_probe (n int, t text, a text[])")
        with conn.cursor().copy("COPY copy_probe (n, t, a) FROM STDIN") as copy:
            lines = [f"{ct.number(i)}\t{ct.text(v)}\t{ct.text_array([v, v])}\n" for i, v in enumerate(AWKWARD)]
            lines.append(f"{ct.number(None)}\t{ct.text(None)}\t{ct.text_array(None)}\n")
            assert ct.write_lines(copy, lines, chunk_chars=16) == len(AWKWARD) + 1
        rows = conn.execute("SELECT n, t, a FROM copy_probe ORDER BY n NULLS LAST").fetchall()
    expected = [v.replace("\0", "") for v in AWKWARD]
    assert [r[1] for r in rows[:-1]] == expected
    assert [r[2] for r in rows[:-1]] == [[v, v] for v in expected]
    assert rows[-1] == (None, None, None)
