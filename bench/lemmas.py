"""Benchmark search's lemma dictionaries: simplemma's stream dictionaries (the baseline, what lemmas.py used before)
against the marisa tries lemmas.py opens from the user's cache, in the same run, each in a fresh process.

For each kind it prints the median over --runs fresh processes of: opening the nine partner languages' dictionaries,
and looking up the words of the shipped data's search texts (each word in each language, as building the search
index does), with the process's peak memory. The tries are built first if the cache lacks them (once per machine;
that time is printed too).

Run: .venv/bin/python bench/lemmas.py --runs 3
This is a benchmark, not a test: it prints figures and never fails on speed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import pyoxigraph as ox

CHILD = r"""
import json, resource, sys, time
from simplemma import Lemmatizer
from simplemma.strategies.default import DefaultStrategy
from simplemma.strategies.dictionaries import StreamDictionaryFactory
from circe_kg import lemmas
kind, words = sys.argv[1], json.loads(sys.stdin.read())
start = time.perf_counter()
if kind == "stream":
    factory = StreamDictionaryFactory(cache_max_size=len(lemmas.LANGUAGES))
    lemmatizer = Lemmatizer(cache_max_size=0, lemmatization_strategy=DefaultStrategy(dictionary_factory=factory))
else:
    lemmatizer = lemmas._lemmatizer()
for language in lemmas.LANGUAGES:
    lemmatizer.lemmatize("circular", lang=language)
opened = time.perf_counter()
for word in words:
    for language in lemmas.LANGUAGES:
        lemmatizer.lemmatize(word, lang=language)
done = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"open": opened - start, "lookups": done - opened, "peak_mb": peak}))
"""


def shipped_words() -> list[str]:
    """The distinct words of the shipped data's literals (what the search index lemmatises)."""
    from circe_kg.config import shipped_files
    from circe_kg.lemmas import MAX_WORD, words
    from circe_kg.rdf_files import parse_file

    found: set[str] = set()
    for path in shipped_files():
        for triple in parse_file(path).triples:
            if isinstance(triple.object, ox.Literal):
                found.update(w for w in words(triple.object.value) if len(w) <= MAX_WORD and not w.isdigit())
    return sorted(found)


def run(kind: str, words: list[str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind], input=json.dumps(words), capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    words = shipped_words()
    start = time.perf_counter()
    from circe_kg import lemmas

    lemmas.load()
    ready = time.perf_counter() - start
    print(f"tries ready in {ready:.2f} s (built now if the cache lacked them): {lemmas.trie_folder()}")
    print(f"{len(words):,} distinct words of the shipped data, each looked up in {len(lemmas.LANGUAGES)} languages")
    figures = {kind: [run(kind, words) for _ in range(runs)] for kind in ("stream", "tries")}
    print("\n| dictionaries | open (s) | lookups (s) | peak memory (MB) |\n|---|---|---|---|")
    medians = {}
    for kind, rows in figures.items():
        medians[kind] = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
        m = medians[kind]
        print(f"| {kind} | {m['open']:.2f} | {m['lookups']:.2f} | {m['peak_mb']:.0f} |")
    base, new = medians["stream"], medians["tries"]
    total = (base["open"] + base["lookups"]) / (new["open"] + new["lookups"])
    print(f"\nopen + lookups: {total:.1f}x faster with tries; memory {new['peak_mb'] / base['peak_mb']:.2f}x")


if __name__ == "__main__":
    main()
