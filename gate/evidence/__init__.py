"""Evidence: streaming hashes, the integrity of every artifact, and the digests decisions pin.

Nothing is imported here on purpose: `gate.evidence.quick` (the pre-commit path) must not pay for
the models, which `digests` and `integrity` pull in.
"""
