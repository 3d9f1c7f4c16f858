"""The one error the protocol parsers raise for malformed or hostile replies."""

from __future__ import annotations


class ProbeReplyError(ValueError):
    """A reply that does not parse; the scanner records it and moves on."""
