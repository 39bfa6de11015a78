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


def test_relationship_ids_are_uuids_ascending_from_batch_to_batch() -> None:
    """Numbered batches give ids that ascend in load order (the primary key is then built from presorted rows)."""
    import uuid

    from graph_sitter.adapters.codebase_db_adapter import new_id_prefix, relationship_row_lines

    codebase = uuid.uuid4()
    rows = [("calls", "a.py", 0, "a.py", 1, "f", None, None, line, True) for line in range(5000)]
    prefix = new_id_prefix()
    ids = []
    for number in (0, 1, 0x1234):  # 5000 rows cross the 4096-row step of the id counter
        text = relationship_row_lines(codebase, None, rows, lambda path: ["e0", "e1"], (prefix, number)).text
        ids += [line.split("\t", 1)[0] for line in text.splitlines()]
    assert all(str(uuid.UUID(i)) == i and uuid.UUID(i).version == 4 for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids) == 15000
    unnumbered = relationship_row_lines(codebase, None, rows, lambda path: ["e0", "e1"]).text
    assert not {line.split("\t", 1)[0] for line in unnumbered.splitlines()} & set(ids)
