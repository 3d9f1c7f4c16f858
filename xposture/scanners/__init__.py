"""Scanner plugins: the contract lives in ``base``; built-ins register through entry points."""
