"""Regression tests of the bugs issue 23 (writes that cost what they change) named in its closing notes.

Kept with their subject, each naming the bug and this issue in its docstring: a plain string reaching the validator
as xsd:string (tests/test_validation_incremental.py, the random writes), Virtuoso answering the record kinds' flags
as 1/0 (tests/test_counts_agree.py, the home page's counts)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from circe_kg import queries, reach


@pytest.mark.slow
def test_queries_read_in_several_threads_at_once_are_read_right():
    """Pages ask in several threads; rdflib's SPARQL parser is not safe to run in two at once: reading the kept
    answers' queries in several threads made 500s under load."""
    names = [q.name for q in queries.available() if q.row_variable]
    reach._query_reach_cached.cache_clear()
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(lambda n: reach.reach_of_query(queries.get(n).text, queries.get(n).row_variable), names))
    reach._query_reach_cached.cache_clear()
    assert found == [reach.reach_of_query(queries.get(n).text, queries.get(n).row_variable) for n in names]
