"""A graph's content as N-Triples text, the form every step of a write reads: the validator parses N-Triples,
the history keeps N-Triples files, Oxigraph's bulk loader and SPARQL `INSERT DATA` take N-Triples. Kept as
bytes (parsed and re-written by Oxigraph, in Rust), a graph costs a fraction of the memory and time it would as
Python objects that would only be serialised again.

The text is Oxigraph's own serialisation: one triple per line, written the one canonical way, so two graphs'
lines can be compared as they are and a pattern can be searched for in the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox


class NTriples:
    """Triples as canonical N-Triples bytes; iterating parses them back into `ox.Triple`s, one at a time."""

    __slots__ = ("data", "_length")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._length: int | None = None

    @classmethod
    def of(cls, triples: Iterable[ox.Triple] | Iterable[ox.Quad]) -> NTriples:
        """`triples` as N-Triples (as they are when they already are). Quads must be in the default graph, as a
        parser's are when it is told `without_named_graphs`; a parser's syntax error comes through unchanged."""
        if isinstance(triples, NTriples):
            return triples
        return cls(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")

    def __len__(self) -> int:
        if self._length is None:
            self._length = self.data.count(b"\n")
        return self._length

    def __bool__(self) -> bool:
        return bool(self.data)

    def __iter__(self) -> Iterator[ox.Triple]:
        return (quad.triple for quad in ox.parse(input=self.data, format=ox.RdfFormat.N_TRIPLES))

    def lines(self) -> set[bytes]:
        """The distinct triples as lines, to compare two graphs without parsing either.

        >>> sorted(NTriples(b"<http://e/a> <http://e/p> <http://e/b> .\\n" * 2).lines())
        [b'<http://e/a> <http://e/p> <http://e/b> .']
        """
        found = set(self.data.split(b"\n"))
        found.discard(b"")
        return found

    def has_blank_nodes(self) -> bool:
        """Whether any triple may have a blank node (a literal containing "_:" also says yes)."""
        return b"_:" in self.data

    def contains(self, predicate: str, obj: str) -> bool:
        """Whether some triple has this predicate IRI and this object IRI."""
        return f" <{predicate}> <{obj}> .\n".encode() in self.data

    def parts(self, count: int) -> list[bytes]:
        """The text in about `count` equal parts, each a whole number of lines, none empty. Every triple with a
        blank node goes into the first part, so that a reader who gives each part fresh blank nodes never splits
        a blank node from its own triples.

        >>> text = NTriples(b"<http://e/a> <http://e/p> <http://e/b> .\\n<http://e/c> <http://e/p> <http://e/d> .\\n"
        ...                 b"<http://e/e> <http://e/p> _:b .\\n")
        >>> [part.count(b"\\n") for part in text.parts(2)]
        [2, 1]
        >>> text.parts(2)[0].startswith(b"<http://e/e>")  # the blank node's triple first, in the first part
        True
        """
        if count < 2 or not self.data:
            return [self.data] if self.data else []
        if not self.has_blank_nodes():  # cut at line ends, without looking at each line
            size = len(self.data) // count
            cuts = [0]
            for _ in range(count - 1):
                end = self.data.find(b"\n", cuts[-1] + size)
                cuts.append(len(self.data) if end == -1 else end + 1)
            cuts.append(len(self.data))
            return [self.data[a:b] for a, b in zip(cuts, cuts[1:], strict=False) if a < b]
        lines = [line + b"\n" for line in self.data.split(b"\n") if line]
        blank = [line for line in lines if b"_:" in line]
        plain = [line for line in lines if b"_:" not in line]
        texts = [b"".join(blank + plain[0::count])] + [b"".join(plain[i::count]) for i in range(1, count)]
        return [text for text in texts if text]


def as_ntriples(triples: Iterable[ox.Triple] | None) -> NTriples | None:
    """A graph's new content as N-Triples, None (drop the graph) staying None."""
    return None if triples is None else NTriples.of(triples)
