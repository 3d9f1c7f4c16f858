"""Helpers every active OT scanner shares: scope-checked target expansion and rate limiting.

Kept apart from any one protocol so that the SNMP scanner and the identity
probes obey exactly the same safety rules.
"""
