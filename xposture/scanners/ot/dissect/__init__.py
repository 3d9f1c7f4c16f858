"""Small payload parsers, one module per protocol.

Each parser takes the bytes of one application PDU (or a TCP segment's
payload) and returns plain values; anything malformed raises
:class:`~xposture.scanners.ot.dissect.base.ParseError` and nothing else, which
the hypothesis tests in ``tests/scanners/ot/test_dissect_fuzz.py`` hold them to.
"""
