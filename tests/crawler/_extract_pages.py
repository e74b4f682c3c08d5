"""Building blocks for extraction tests: a paragraph of Swedish prose, an agency footer, and a whole page around a body."""

from __future__ import annotations

PROSE = ("Våld i nära relationer är ett allvarligt samhällsproblem som drabbar många kvinnor, och kommunen har ett "
         "särskilt ansvar för att ge stöd, skydd och hjälp till den som utsatts och till barn som bevittnat våldet. ")


def page(body: str, title: str = "Sida") -> bytes:
    return f"<!doctype html><html lang=sv><head><meta charset=utf-8><title>{title}</title></head><body>{body}</body></html>".encode()
