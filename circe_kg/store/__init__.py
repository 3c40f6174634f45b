"""Where the data is kept, behind one interface (`Store`, base.py), so nothing outside this package asks which store
it talks to:

- `embedded.py` — Oxigraph on disk in a folder of generations (`folder.py`), or in memory; the default;
- `remote.py` — any SPARQL 1.1 server (Oxigraph server, Virtuoso) through the Query and Update protocols;
- `federated.py` — several servers at once, read-only, each query answered over what it reads at all of them;
- `open.py` — `open_store`: which one the options and settings name.

What differs between them is said by the interface (`query_engine`, `answers_max_age`, `faithful_literals`,
`missing_sources`), not by their types.
"""

from .base import Change, ChangeJournal, QueryResult, Store, Write, change_of_write, listed_write, replace_graphs_update
from .embedded import EmbeddedStore

__all__ = [
    "Change",
    "ChangeJournal",
    "EmbeddedStore",
    "QueryResult",
    "Store",
    "Write",
    "change_of_write",
    "listed_write",
    "replace_graphs_update",
]
