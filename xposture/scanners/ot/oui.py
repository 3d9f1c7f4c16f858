"""MAC address vendor (OUI) lookup: Wireshark's ``manuf`` file when present, a built-in ICS table otherwise.

Only the prefixes actually seen are looked up, so the 50k-line file is
scanned once per scan and never held in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

MANUF_PATHS = (Path("/usr/share/wireshark/manuf"), Path("/usr/local/share/wireshark/manuf"))

BUILTIN = {
    "00:00:bc": "Rockwell Automation",
    "00:1d:9c": "Rockwell Automation",
    "5c:88:16": "Rockwell Automation",
    "e4:90:69": "Rockwell Automation",
    "f4:54:33": "Rockwell Automation",
    "00:0e:8c": "Siemens AG",
    "00:1b:1b": "Siemens AG",
    "00:1c:06": "Siemens AG",
    "28:63:36": "Siemens AG",
    "ac:64:17": "Siemens AG",
    "00:80:f4": "Schneider Electric (Telemecanique)",
    "00:00:54": "Schneider Electric (Modicon)",
    "00:30:de": "WAGO",
    "00:a0:45": "Phoenix Contact",
    "00:01:05": "Beckhoff Automation",
    "00:00:23": "ABB",
    "00:0b:ab": "Advantech",
    "00:20:4a": "Pronet",
    "00:60:35": "Dallas Semiconductor",
    "00:90:e8": "Moxa",
    "00:30:11": "HMS Industrial Networks",
    "00:e0:4b": "Jump Industrielle Computertechnik",
    "00:1e:f6": "Cisco Systems",
    "00:21:91": "D-Link",
    "08:00:27": "Oracle VirtualBox",
    "00:0c:29": "VMware",
    "00:50:56": "VMware",
}


def vendors(macs: Iterable[str], manuf: Path | None = None) -> dict[str, str]:
    """Vendor per MAC (``aa:bb:cc:dd:ee:ff``) for the MACs given; unknown ones are left out."""
    wanted = {m[:8].lower() for m in macs if len(m) == 17}
    found = {prefix: BUILTIN[prefix] for prefix in wanted if prefix in BUILTIN}
    path = manuf or next((p for p in MANUF_PATHS if p.is_file()), None)
    if path is not None and wanted:
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    if len(line) < 10 or line[0] == "#" or line[8] != "\t":
                        continue
                    prefix = line[:8].lower()
                    if prefix in wanted:
                        parts = line.rstrip("\n").split("\t")
                        name = parts[2] if len(parts) > 2 and parts[2] else parts[1]
                        found[prefix] = name.strip().rstrip(",.;").strip()
        except OSError:
            pass
    return {m: found[m[:8].lower()] for m in macs if m[:8].lower() in found}
