"""Text and link-text lengths of subtrees, read at C speed where lxml allows and once per subtree where they nest."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain
from operator import attrgetter, methodcaller
from typing import cast

import lxml.etree

_TAIL = attrgetter("tail")
_ITERTEXT = methodcaller("itertext")
_ITER_A = methodcaller("iter", "a")


def text_len(el: lxml.etree._Element) -> int:
    """Characters of text (whitespace not counted)."""
    return sum(map(len, map(str.strip, cast("Iterator[str]", el.itertext()))))


def link_len(el: lxml.etree._Element) -> int:
    """Characters of text inside links (a link inside a link counts twice)."""
    return sum(map(len, map(str.strip, chain.from_iterable(map(_ITERTEXT, el.iter("a"))))))  # at C speed


def measure(root: lxml.etree._Element) -> dict[lxml.etree._Element, tuple[int, int, int]]:
    """(text length, link text length, links) of every element under ``root`` in one bottom-up pass (what
    ``text_len``, ``link_len`` and counting ``a`` give, without walking each subtree again)."""
    sizes: dict[lxml.etree._Element, tuple[int, int, int]] = {}
    for _, el in lxml.etree.iterwalk(root, events=("end",)):
        t = el.text
        n = len(t.strip()) if t else 0
        if not len(el):  # a leaf (most elements)
            sizes[el] = (n, n, 1) if el.tag == "a" else (n, 0, 0)
            continue
        links = count = 0
        for child in el:
            cn, cl, cc = sizes[child]
            t = child.tail
            n += cn + (len(t.strip()) if t else 0)
            links += cl
            count += cc
        sizes[el] = (n, n, count + 1) if el.tag == "a" else (n, links, count)
    return sizes


def _text_sum(texts: Iterable[str]) -> int:
    return sum(map(len, map(str.strip, texts)))


def lengths(els: Iterable[lxml.etree._Element]) -> dict[lxml.etree._Element, tuple[int, int]]:
    """``(text_len(el), link_len(el))`` of each element: nested ones (a block and the blocks it holds) reuse their
    inner figures, the rest of a subtree is read at C speed, instead of walking each subtree again."""
    want = set(els)
    out: dict[lxml.etree._Element, tuple[int, int]] = {}
    for top in want:
        stack = [top]
        while stack:  # children before parents, without recursion (trees nest deeper than Python's stack)
            node = stack[-1]
            if node in out:
                stack.pop()
                continue
            inner = [c for c in node if c in want]
            pending = [c for c in inner if c not in out]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            out[node] = _own_lengths(node, out) if inner else (text_len(node), link_len(node))
    return out


def _own_lengths(node: lxml.etree._Element, known: dict[lxml.etree._Element, tuple[int, int]]) -> tuple[int, int]:
    t = node.text
    n = (len(t.strip()) if t else 0) + _text_sum(filter(None, map(_TAIL, node)))
    links = 0
    rest = []
    for child in node:
        got = known.get(child)
        if got is not None:
            n += got[0]
            links += got[1]
        elif isinstance(child.tag, str):  # comments hold no text (their tails are counted above)
            rest.append(child)
    if rest:
        n += _text_sum(chain.from_iterable(map(_ITERTEXT, rest)))
        links += _text_sum(chain.from_iterable(map(_ITERTEXT, chain.from_iterable(map(_ITER_A, rest)))))
    return n, links + n if node.tag == "a" else links


PROSE_MIN = 40  # characters of non-link text: a paragraph this long is prose


def prose_mass(root: lxml.etree._Element) -> tuple[dict[lxml.etree._Element | None, int], int]:
    """Characters of prose (paragraphs less their link text) under each element, the page's total under None; and
    the prose of paragraphs inside no other paragraph (no more than the page's text: a floor for its length)."""
    mass: dict[lxml.etree._Element | None, int] = {}
    total = floor = 0
    direct: dict[lxml.etree._Element, int] = {}  # prose straight under each parent (paragraphs share a few)
    for p in root.iter("p"):
        if len(p):
            n = text_len(p) - link_len(p)
        else:
            t = p.text
            n = len(t.strip()) if t else 0
        if n < PROSE_MIN:
            continue
        total += n
        parent = p.getparent()
        if parent is not None:
            direct[parent] = direct.get(parent, 0) + n
    for parent, n in direct.items():
        mass[parent] = mass.get(parent, 0) + n
        nested = parent.tag == "p"
        for a in parent.iterancestors():
            mass[a] = mass.get(a, 0) + n
            nested = nested or a.tag == "p"
        if not nested:
            floor += n
    mass[None] = total
    return mass, floor
