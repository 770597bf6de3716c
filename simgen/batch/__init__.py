"""Batch stage: run episodes across processes, resume interrupted runs, assemble datasets."""
