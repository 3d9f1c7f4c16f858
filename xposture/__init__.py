"""xposture: one posture scan across cloud, OT/edge, comms links and silicon supply chain."""

__version__ = "0.1.0"
