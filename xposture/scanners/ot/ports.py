"""Which protocol a server port usually speaks, and which end of a new flow is the server.

The map is a starting point: analyzers re-label a conversation when its
payload says otherwise (TLS on 502, OPC UA on a non-standard port), so a port
number alone never decides what a finding says.
"""

from __future__ import annotations

TCP_PORTS = {
    502: "modbus",
    802: "modbus_tls",
    102: "iso_tsap",
    44818: "enip",
    2221: "cip_security",
    20000: "dnp3",
    19999: "dnp3_tls",
    2404: "iec104",
    4840: "opcua",
    4843: "opcua_tls",
    1883: "mqtt",
    8883: "mqtt_tls",
    1911: "fox",
    4911: "fox_tls",
    9600: "fins",
    48898: "ads",
    5094: "hart_ip",
    4712: "c37_118",
    4713: "c37_118",
    18245: "ge_srtp",
    18246: "ge_srtp",
    789: "crimson",
    1962: "pcworx",
    5007: "melsec",
    5006: "melsec",
    2455: "codesys",
    1217: "codesys",
    11740: "codesys",
    20547: "proconos",
    34962: "profinet_rt",
    34964: "profinet_cm",
    47808: "bacnet",
    1089: "ff_hse",
    1090: "ff_hse",
    1091: "ff_hse",
    5450: "pi_historian",
    23: "telnet",
    21: "ftp",
    22: "ssh",
    3389: "rdp",
    5900: "vnc",
    5901: "vnc",
    5902: "vnc",
    5800: "vnc_http",
    5938: "teamviewer",
    80: "http",
    8080: "http",
    8000: "http",
    443: "https",
    8443: "https",
    445: "smb",
    139: "netbios",
    135: "msrpc",
    25: "smtp",
    110: "pop3",
    143: "imap",
    389: "ldap",
    636: "ldaps",
    3306: "mysql",
    1433: "mssql",
    5432: "postgresql",
    53: "dns",
    179: "bgp",
    514: "rsh",
    513: "rlogin",
    512: "rexec",
    5985: "winrm",
    5986: "winrm_tls",
    6379: "redis",
    9100: "jetdirect",
    69: "tftp",
}
UDP_PORTS = {
    47808: "bacnet",
    44818: "enip",
    2222: "cip_io",
    20000: "dnp3",
    161: "snmp",
    162: "snmp_trap",
    69: "tftp",
    53: "dns",
    123: "ntp",
    514: "syslog",
    67: "dhcp",
    68: "dhcp",
    137: "netbios",
    138: "netbios",
    1900: "ssdp",
    5353: "mdns",
    319: "ptp",
    320: "ptp",
    4840: "opcua",
    9600: "fins",
    34964: "profinet_cm",
    5094: "hart_ip",
    4713: "c37_118",
    18246: "ge_srtp",
    1911: "fox",
    500: "isakmp",
    4500: "ipsec_nat_t",
    1194: "openvpn",
    51820: "wireguard",
    3389: "rdp",
    5683: "coap",
    2404: "iec104",
}
WELL_KNOWN = frozenset(TCP_PORTS) | frozenset(UDP_PORTS)

SECURE_OT = frozenset({"modbus_tls", "opcua_tls", "mqtt_tls", "dnp3_tls", "cip_security", "fox_tls"})
"""Industrial protocols carried inside TLS (their own secure ports)."""

CLEARTEXT_OT = frozenset(
    {
        "modbus", "iso_tsap", "s7comm", "s7comm_plus", "mms", "enip", "cip_io", "dnp3", "iec104", "opcua", "bacnet",
        "fox", "fins", "ads", "hart_ip", "c37_118", "ge_srtp", "crimson", "pcworx", "melsec", "codesys", "proconos",
        "profinet_rt", "profinet_cm", "profinet", "goose", "iec61850_sv", "ff_hse", "mqtt", "ethercat", "powerlink",
        "pi_historian",
    }
)  # fmt: skip
"""OT protocols without transport security (OPC UA counts unless its secure channel is signed/encrypted)."""

OT_PROTOCOLS = CLEARTEXT_OT | SECURE_OT
"""Industrial and IIoT protocols: a conversation speaking one of these is OT traffic."""

REMOTE_ACCESS = frozenset(
    {
        "telnet",
        "ssh",
        "rdp",
        "vnc",
        "vnc_http",
        "ftp",
        "tftp",
        "teamviewer",
        "rlogin",
        "rsh",
        "rexec",
        "winrm",
        "winrm_tls",
    }
)
TLS_WRAPPED = SECURE_OT | {"https", "tls", "ldaps", "winrm_tls"}
"""Protocols whose conversations open with a TLS handshake."""
HANDSHAKES = TLS_WRAPPED | {"ssh", "vnc", "rdp"}
"""Protocols whose first payloads identify the session (TLS hello, SSH banner, RFB greeting, RDP cookie)."""
ENCRYPTED = TLS_WRAPPED | {"ssh", "isakmp", "ipsec_nat_t", "openvpn", "wireguard", "teamviewer"}


def protocol(transport: str, port: int) -> str:
    """The protocol a server port usually speaks, or ``unknown``."""
    table = TCP_PORTS if transport == "tcp" else UDP_PORTS if transport == "udp" else None
    if table is None:
        return transport
    return table.get(port, "unknown")


def server_is_destination(proto: int, sport: int, dport: int) -> bool:
    """For a flow whose first packet is not a SYN: is its destination the server?

    A well-known port marks the server; between two unknown (or two known)
    ports the lower one is the server, since clients use ephemeral ports.
    """
    known = TCP_PORTS if proto == 6 else UDP_PORTS
    dst_known = dport in known
    src_known = sport in known
    if dst_known != src_known:
        return dst_known
    return dport <= sport
