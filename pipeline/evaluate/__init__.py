"""Accuracy against hand gold: `score_doc` (one paper by the shared scoring rules) and `make accuracy`
(`python -m pipeline.evaluate`: the whole corpus, per-paper figures, the ratchet floors)."""

from pipeline.evaluate.accuracy import all_figures, check_floors, read_floors, score_corpus
from pipeline.evaluate.score import DocScore, read_run, score_doc

__all__ = ["DocScore", "all_figures", "check_floors", "read_floors", "read_run", "score_corpus", "score_doc"]
