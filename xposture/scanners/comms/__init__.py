"""Comms-link scanners: TLS, SSH, MQTT, OPC UA and IKE endpoints, probed the way sslyze and ssh-audit do."""
