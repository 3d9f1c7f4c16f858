"""Inventory: what to look at, where, and under which policy."""

from xposture.inventory.loader import load_inventory
from xposture.inventory.model import Conduit, DeclaredAsset, Inventory, Link, Site

__all__ = ["Conduit", "DeclaredAsset", "Inventory", "Link", "Site", "load_inventory"]
