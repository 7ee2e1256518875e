"""Near-duplicate detection between seed articles (wire copies) and source independence.

Several seeds repeat the same agency story (seeds 000 and 001 are the same AFP factbox,
001 being an updated version). A fact reported by two reposts of one wire story is one
report, not two, so corroboration must count *independent* sources.

Method (documented in ``data/README.md``):

1. **Normalise** each seed: typographic quotes/apostrophes/dashes → ASCII, lower case, keep
   word characters only (``\\w+``). Page furniture is *not* stripped: it is short and differs
   between sites, so it can only lower the score of a true pair, never create a false one.
2. **Shingle** the word sequence into overlapping word 5-grams (``SHINGLE = 5``).
3. **Score** each pair by *containment*, ``|A ∩ B| / min(|A|, |B|)``: the share of the shorter
   text's shingles found in the longer one. Containment, rather than Jaccard, is used because
   an agency story is often reposted shortened or extended (factbox vs. full story).
4. **Group**: a pair with containment ≥ ``THRESHOLD`` (0.15) is a wire copy; groups are the
   connected components (union-find). A group is named by its smallest ``source_id``.

On the five seeds, 000/001 score 0.34 and every other pair scores ≤ 0.05 (002/003, two AFP
stories sharing two boilerplate sentences, score 0.04), so the threshold sits in a wide gap.
The recorded ``sources.wire_group`` column is checked against :func:`wire_groups` by the
validator.

Per-record independence (:func:`independent_count`) goes one step further: two sources in
different wire groups still count once for a record when *their quotes for that record* are
near-duplicates (sentence-level containment ≥ ``QUOTE_THRESHOLD``), e.g. a boilerplate
sentence shared by two stories of one agency.
"""
from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path
from typing import Iterable, Mapping

SHINGLE = 5
THRESHOLD = 0.15
QUOTE_SHINGLE = 3
QUOTE_THRESHOLD = 0.6

_TYPOGRAPHIC = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u00a0": " ",
})


def normalise(text: str) -> str:
    """Whitespace collapsed, typographic quotes and dashes mapped to ASCII (case kept).

    This is the *only* normalisation allowed when matching quotes and aliases to seeds.
    """
    return " ".join(text.translate(_TYPOGRAPHIC).split())


def words(text: str) -> list[str]:
    """Lower-cased word tokens of ``normalise(text)``."""
    return re.findall(r"\w+", normalise(text).lower())


def shingles(text: str, k: int = SHINGLE) -> set[tuple[str, ...]]:
    """The set of word k-grams (a text shorter than k words yields one shingle)."""
    w = words(text)
    if len(w) < k:
        return {tuple(w)} if w else set()
    return {tuple(w[i:i + k]) for i in range(len(w) - k + 1)}


def containment(a: set, b: set) -> float:
    """``|a ∩ b| / min(|a|, |b|)``; 0 when either set is empty."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def pair_scores(texts: Mapping[str, str], k: int = SHINGLE) -> dict[tuple[str, str], float]:
    """Containment score of every pair of texts, keyed by sorted id pair."""
    sh = {key: shingles(t, k) for key, t in texts.items()}
    return {(a, b): containment(sh[a], sh[b]) for a, b in combinations(sorted(sh), 2)}


def _components(ids: Iterable[str], edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Union-find: map each id to the smallest id of its connected component."""
    parent = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {i: find(i) for i in parent}


def wire_groups(texts: Mapping[str, str], threshold: float = THRESHOLD) -> dict[str, str]:
    """Map each source id to its wire group (the smallest source id among its near-duplicates)."""
    edges = [pair for pair, score in pair_scores(texts).items() if score >= threshold]
    return _components(texts, edges)


def seed_texts(sources: Iterable[tuple[str, str]], seeds_dir: Path) -> dict[str, str]:
    """Read ``{source_id: text}`` from ``(source_id, seed_file)`` pairs."""
    return {sid: (Path(seeds_dir) / name).read_text(encoding="utf-8") for sid, name in sources}


def independent_count(quotes: Iterable[tuple[str, str]], wire_group: Mapping[str, str]) -> int:
    """How many independent sources back one record.

    ``quotes`` are the record's ``(source_id, quote)`` evidence rows. Sources collapse into one
    when they share a wire group, or when their quotes for this record are near-duplicates
    (word 3-gram containment ≥ ``QUOTE_THRESHOLD``).
    """
    quotes = list(quotes)
    by_source: dict[str, list[set]] = {}
    for sid, q in quotes:
        by_source.setdefault(sid, []).append(shingles(q, QUOTE_SHINGLE))
    ids = sorted(by_source)
    edges = []
    for a, b in combinations(ids, 2):
        if wire_group.get(a, a) == wire_group.get(b, b) or any(
            containment(x, y) >= QUOTE_THRESHOLD for x in by_source[a] for y in by_source[b]
        ):
            edges.append((a, b))
    return len(set(_components(ids, edges).values()))
