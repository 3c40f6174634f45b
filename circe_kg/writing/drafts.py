"""Review before publication: an editor's change is held as a draft — kept beside the history in
`{history}/drafts/{number}/`, invisible to readers, recorded — until a reviewer publishes it through the gate or
rejects it with a reason.

`Drafts` is part of the write gate (`WriteGate` inherits it): a draft is made, published and rejected under the
gate's lock and with its checks, so a draft made from an old state cannot undo someone else's write.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from ..errors import NoSuchVersion, UsageError, WriteRefused
from ..ntriples import NTriples, as_ntriples
from ..rdf_files import kind_of_graph
from ..validation import Report, validate_state

if TYPE_CHECKING:
    from .gate import Change


def _write_whole(path: Path, text: str) -> None:
    """Write a file whole or not at all (a process killed mid-write leaves the old file, never half of one)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    os.replace(partial, path)


class Drafts:
    """Drafts of changes and their review, on the write gate (which provides what is declared below)."""

    store: Any
    history_dir: Path | None
    _lock: threading.RLock

    if TYPE_CHECKING:

        def commit(self, *args: Any, **kwargs: Any) -> Change: ...
        def base(self, *args: Any, **kwargs: Any) -> str: ...
        def _still(self, *args: Any, **kwargs: Any) -> None: ...
        def _writable(self, *args: Any, **kwargs: Any) -> dict[str, NTriples | None]: ...
        def _compare(self, *args: Any, **kwargs: Any) -> Any: ...
        def _record(self, *args: Any, **kwargs: Any) -> None: ...
        def _about_this_change(self, *args: Any, **kwargs: Any) -> Report: ...

    def propose(
        self,
        new_graphs: Mapping[str, Iterable[ox.Triple] | None],
        operation: str,
        agent: str,
        details: Mapping[str, str] | None = None,
        expect: Mapping[str, str] | None = None,
    ) -> int:
        """Hold a change as a draft for review: kept beside the history, invisible to readers, recorded.

        `details` (e.g. an imported file's name and checksum) are kept with the draft and in its record; `expect`
        as for `commit`. Publishing refuses (Conflict) if a graph the draft writes has changed since."""
        if self.history_dir is None:
            raise WriteRefused("drafts need a history folder", "run the server over an on-disk store")
        new = self._writable(new_graphs)
        with self._lock:
            self._still(expect or {})
            same = self._pending_like(new, operation, agent)
            if same is not None:  # the same change sent twice (a double click, a retried request): one draft
                return same
            drafts = self.history_dir / "drafts"
            drafts.mkdir(parents=True, exist_ok=True)
            number = max([0] + [int(f.name) for f in drafts.iterdir() if f.name.isdigit()]) + 1
            folder = drafts / str(number)
            folder.mkdir()
            for index, triples in enumerate(new.values()):
                if triples is not None:
                    (folder / f"{index}.nt").write_bytes(triples.data)
            meta = {
                "number": number,
                "operation": operation,
                "agent": agent,
                "status": "pending",
                # What each graph held when the draft was made: publishing refuses if it has changed since.
                "bases": {g: self.base(g) for g in new},
                "time": datetime.now(UTC).replace(microsecond=0).isoformat(),
                "graphs": [
                    {"graph": g, "file": f"{i}.nt" if t is not None else None} for i, (g, t) in enumerate(new.items())
                ],
                **dict(details or {}),
            }
            _write_whole(folder / "draft.json", json.dumps(meta, indent=2))
            self._record(f"draft {number} ({operation})", agent, "draft", {"draft": number, **dict(details or {})})
            return number

    def _pending_like(self, new: Mapping[str, NTriples | None], operation: str, agent: str) -> int | None:
        """The pending draft by `agent` that makes exactly this change from the same versions, or None."""
        bases = {g: self.base(g) for g in new}
        for meta in self.drafts():
            if (meta["status"], meta["agent"], meta["operation"], meta["bases"]) != (
                "pending",
                agent,
                operation,
                bases,
            ):
                continue
            folder = self.history_dir / "drafts" / str(meta["number"])  # type: ignore[operator]
            files = {item["graph"]: item["file"] for item in meta["graphs"]}
            if set(files) == set(new) and all(
                (t is None and files[g] is None)
                or (
                    t is not None
                    and files[g] is not None
                    and NTriples((folder / files[g]).read_bytes()).lines() == t.lines()
                )
                for g, t in new.items()
            ):
                return int(meta["number"])
        return None

    def drafts(self) -> list[dict]:
        folder = None if self.history_dir is None else self.history_dir / "drafts"
        if folder is None or not folder.exists():
            return []
        # A folder without draft.json is a submission killed before it was complete: not a draft.
        return [
            json.loads((f / "draft.json").read_text())
            for f in sorted(folder.iterdir(), key=lambda f: int(f.name))
            if f.name.isdigit() and (f / "draft.json").exists()
        ]

    def draft(self, number: int) -> tuple[dict, dict[str, list[ox.Triple] | None]]:
        folder = None if self.history_dir is None else self.history_dir / "drafts" / str(number)
        if folder is None or not (folder / "draft.json").exists():
            raise NoSuchVersion(f"there is no draft {number}", "GET /drafts lists them")
        meta = json.loads((folder / "draft.json").read_text())
        content: dict[str, list[ox.Triple] | None] = {}
        for item in meta["graphs"]:
            data = (folder / item["file"]).read_bytes() if item["file"] else None
            content[item["graph"]] = (
                None if data is None else [q.triple for q in ox.parse(input=data, format=ox.RdfFormat.N_TRIPLES)]
            )
        return meta, content

    def review(self, number: int) -> dict:
        """What a reviewer sees: the draft, its diff against the published graphs, and its validation report."""
        meta, content = self.draft(number)
        present = set(self.store.named_graphs())
        diff = []
        for graph, triples in content.items():
            before = {str(t) for t in self.store.triples(graph)} if graph in present else set()
            after = {str(t) for t in triples or []}
            diff.append({"graph": graph, "added": sorted(after - before), "removed": sorted(before - after)})
        state = {g: list(self.store.triples(g)) for g in present if g not in content and kind_of_graph(g) != "system"}
        state.update({g: t for g, t in content.items() if t is not None})
        compared = [self._compare(g, as_ntriples(t), present) for g, t in content.items()]
        subjects = set().union(*(c.subjects for c in compared))
        return {**meta, "diff": diff, "report": self._about_this_change(validate_state(state), subjects).to_dict()}

    def publish(self, number: int, reviewer: str) -> Change:
        meta, content = self._pending(number)
        change = self.commit(
            content,
            f"publish draft {number} by {meta['agent']}",
            reviewer,
            upload_checksum=meta.get("checksum"),
            upload_name=meta.get("file"),
            expect=meta.get("bases"),  # drafts made before this rule carry none
        )
        self._set_status(number, "published", reviewer, change.number)
        return change

    def reject(self, number: int, reviewer: str, reason: str = "") -> dict:
        """Mark a pending draft rejected; the reason (for its author) is kept with the draft and in the history."""
        meta, _ = self._pending(number)
        extra = {"draft": number, **({"reason": reason.strip()} if reason.strip() else {})}
        with self._lock:
            self._record(f"reject draft {number}", reviewer, "reject", extra)
        return self._set_status(number, "rejected", reviewer, None, reason.strip() or None)

    def _pending(self, number: int) -> tuple[dict, dict[str, list[ox.Triple] | None]]:
        meta, content = self.draft(number)
        if meta["status"] != "pending":
            raise UsageError(f"draft {number} is already {meta['status']}", "only pending drafts can be reviewed")
        return meta, content

    def _set_status(
        self, number: int, status: str, reviewer: str, version: int | None, reason: str | None = None
    ) -> dict:
        path = self.history_dir / "drafts" / str(number) / "draft.json"  # type: ignore[operator]
        meta = json.loads(path.read_text())
        meta.update(status=status, reviewer=reviewer, version=version, **({"reason": reason} if reason else {}))
        _write_whole(path, json.dumps(meta, indent=2))
        return meta
