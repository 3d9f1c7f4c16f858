"""Textual terminal UI: triage a whole scan from the keyboard (``xposture tui``)."""

from xposture.tui.app import XpostureApp

__all__ = ["XpostureApp"]
