"""A frozen whole-list analyser, the oracle the streaming engine is checked against."""

from .engine import DEDUP_TOLERANCE_MS, collection_order, reference_analyze

__all__ = ["DEDUP_TOLERANCE_MS", "collection_order", "reference_analyze"]
