"""Genotypes: the variant catalogue (package data), genotype strings, VCF reading, allele-count
tables and genotype QC. A no-call is never the reference genotype. See docs/genotypes.md."""
