"""SBOM reading, quality facts and VEX: format-neutral documents that scanners, enrichers and the CI gate share."""
