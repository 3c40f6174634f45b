"""Writing: the one way data gets into a store, for the loader, the CLI, the harvester, the spreadsheet importer
and the stewards' web pages alike.

- `gate.py` — `WriteGate`: validate the state a change makes (SHACL), keep its version, record it with PROV-O and
  apply it in one update — or refuse with the report; serialised, and refused when made from an old version.
- `history.py` — `History`: the graphs, their recorded versions and current content, the next version number.
- `drafts.py` — an editor's change held for review, published through the gate or rejected with a reason.
"""
