"""Sub-commands of the CLI, one module each; each module has ``register(subparsers)``.

A module's ``register`` adds its parser(s) and sets ``handler=run`` where
``run(args) -> int`` returns the exit code. Add a module here to add a command.
"""

MODULES = (
    "xposture.commands.scan",
    "xposture.commands.history",
    "xposture.commands.rules",
    "xposture.commands.tui",
    "xposture.commands.advisories",
    "xposture.commands.sbom",
    "xposture.commands.report",
    "xposture.commands.attest",
)
