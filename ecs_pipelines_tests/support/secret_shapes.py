"""A secret shaped to break renderers, and every encoding in which it could leak.

Each character a renderer transforms (HTML ``& < > " '``, the shell's ``' \\ $`` and space,
JSON's ``" \\`` and newline) sits between two distinct words. A renderer that masks after
encoding misses the encoded whole, and the words between the characters, which are the same
in every encoding, show up: ``leaks`` looks for both. ``sha`` is what a task prints instead
of a secret to prove it received the value.
"""

from __future__ import annotations

import hashlib
import html
import json
import shlex
from collections.abc import Iterable

RENDERER_CHARACTERS = "&<>\"'\\$ \n"
PIECES = [f"piece{n}-5ecret" for n in range(len(RENDERER_CHARACTERS) + 1)]
SHAPED_SECRET = "".join(p + c for p, c in zip(PIECES, RENDERER_CHARACTERS, strict=False))
SHAPED_SECRET += PIECES[-1]


def encodings(secret: str) -> set[str]:
    """The secret and each of its lines: raw, HTML-escaped, shell-quoted, JSON- and repr-escaped."""
    forms: set[str] = set()
    for value in {secret, *secret.splitlines()}:
        forms |= {
            value,
            html.escape(value),
            html.escape(value, quote=False),  # what a browser serialises a text node to
            shlex.quote(value),
            value.replace("'", "'\"'\"'"),  # inside a longer shell-quoted word
            json.dumps(value)[1:-1],
            json.dumps(value, ensure_ascii=False)[1:-1],
            repr(value)[1:-1],
        }
    return forms


def leaks(text: str, secrets: Iterable[str] = (SHAPED_SECRET,)) -> list[str]:
    """Every encoding of a secret, and every piece of the shaped one, found in ``text``."""
    found = [form for secret in secrets for form in sorted(encodings(secret)) if form in text]
    return found + [piece for piece in PIECES if piece in text]


def sha(value: str) -> str:
    """The SHA-256 hex digest of ``value``: proof of a secret that does not reveal it."""
    return hashlib.sha256(value.encode()).hexdigest()
