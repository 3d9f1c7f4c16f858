"""Cross-record steps that run after every scanner and before the rules."""
