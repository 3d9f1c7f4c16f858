"""SNMP posture: which versions and communities an agent accepts, and what the device says it is.

Live agents: SNMPv3 users go through pysnmp 7's asyncio API
(``pysnmp.hlapi.v3arch.asyncio``); v1/v2c requests, which carry no keys, go out
on one asyncio UDP socket per scan with a small BER codec (``ber.py``) because
pysnmp's per-target configuration and pyasn1 decoding cost milliseconds per
request, which at fleet scale is the whole budget. Engine-id discovery uses
pysnmp's message classes. Offline recordings (snmpsim ``.snmprec`` files and
net-snmp walk output) go through the same record builder, so a copied
recording shows the same identity as the device.
"""
