"""Numerics: numerical differentiation, the one comparison routine, seeded
instances, and the consistency check of truth vs closed forms vs numerics."""
