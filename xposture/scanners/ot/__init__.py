"""OT / edge scanners: passive discovery from packet captures."""
