"""Safe, read-only identity probes for OT devices: one identity request per asset and protocol.

Modbus Read Device Identification, EtherNet/IP ListIdentity, S7 Read-SZL
0x0011 and BACnet ReadProperty(Multiple) on the Device object. Nothing here
writes, sweeps unit ids, starts IEC 104 transfers or sets PROFINET names.
"""
