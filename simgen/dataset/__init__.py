"""Dataset tools: statistics, fidelity against real data, HTML reports.

Everything here reads finished datasets through one reader (:mod:`simgen.dataset.reader`) of
simgen's own layout (``coco/``, ``raw/``, ``manifest.json``) and of plain COCO files. It never
imports the simulator, the sensors or the batch runner: a dataset copied to another machine, or a
real COCO file, is all it needs.

- :mod:`simgen.dataset.stats`: counts, distributions, near-duplicates, label sanity.
- :mod:`simgen.dataset.compare`: KL divergence and 1-D Wasserstein per feature against a reference.
- :mod:`simgen.dataset.report`: one self-contained HTML file with plots and labeled samples.
- :mod:`simgen.dataset.rebalance`: target class/variant shares -> variant weights and episodes.
"""
