"""SNMP posture: which versions and communities an agent accepts, and what the device says it is.

Live agents are queried with pysnmp 7's asyncio API; offline recordings
(snmpsim ``.snmprec`` files and net-snmp walk output) go through the same
record builder, so a copied recording shows the same posture as the device.
"""
