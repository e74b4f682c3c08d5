"""Swedish for what argparse itself prints ("usage:", "options", its error messages): librarians read kb's help."""

from __future__ import annotations

import argparse

SWEDISH = {
    "usage: ": "användning: ",
    "positional arguments": "argument",
    "options": "flaggor",
    "show this help message and exit": "visa den här hjälpen och avsluta",
    "argument %(argument_name)s: %(message)s": "argumentet %(argument_name)s: %(message)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s: fel: %(message)s\n",
    "unrecognized arguments: %s": "okända argument: %s",
    "the following arguments are required: %s": "de här argumenten saknas: %s",
    "one of the arguments %s is required": "ett av argumenten %s krävs",
    "not allowed with argument %s": "går inte ihop med argumentet %s",
    "expected one argument": "ett värde krävs",
    "expected at most one argument": "högst ett värde",
    "expected at least one argument": "minst ett värde krävs",
    "ambiguous option: %(option)s could match %(matches)s": "flaggan %(option)s är tvetydig: %(matches)s",
    "invalid %(type)s value: %(value)r": "ogiltigt värde (%(type)s): %(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)": "ogiltigt val %(value)r (välj bland %(choices)s)",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "okänt kommando %(parser_name)r (välj bland %(choices)s)",
    "can't open '%(filename)s': %(error)s": "kan inte öppna '%(filename)s': %(error)s",
}


def _swedish(text: str) -> str:
    return SWEDISH.get(text, text)


def use_swedish() -> None:
    """Make argparse print its own words in Swedish (it looks them up through its module's ``_`` when it prints)."""
    argparse._ = _swedish  # type: ignore[attr-defined]
