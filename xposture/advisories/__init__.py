"""The offline advisory database: importers (OSV, CSAF, CVE JSON 5, KEV, EPSS), storage and version ranges."""
