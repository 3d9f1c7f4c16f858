"""Line numbers for things found in a document's text, so findings point at the line in the SBOM."""

from __future__ import annotations

import bisect
import json


class LineIndex:
    """Maps byte-less character offsets of a text to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._cursor = 0
        self._starts = [0]
        position = text.find("\n")
        while position != -1:
            self._starts.append(position + 1)
            position = text.find("\n", position + 1)

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)

    def find_line(self, *needles: str, json_quoted: bool = True) -> int | None:
        """Line of the first needle found (JSON-quoted by default, as it appears in a JSON file).

        Components are looked up in document order, so the search starts where
        the previous one was found (linear, not quadratic, on 10k-component
        SBOMs) and only falls back to the whole text when that fails.
        """
        for needle in needles:
            if not needle:
                continue
            probe = json.dumps(needle) if json_quoted else needle
            offset = self.text.find(probe, self._cursor)
            if offset == -1:
                offset = self.text.find(probe)
            if offset != -1:
                self._cursor = offset + len(probe)
                return self.line_of(offset)
        return None
