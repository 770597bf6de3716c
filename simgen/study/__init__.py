"""The utility study: how well a detector trained on a scenario's data works where it was not trained.

``simgen study SCENARIO --out DIR [--quick]`` renders a training set per *arm* (source with
randomization off; source with randomization and sensor effects; photoreal when Blender is
installed; an oracle trained on the target domain), trains the same small torchvision detector
from scratch on each with the same image and step budget, evaluates COCO mAP with pycocotools
on held-out target scenes (and ``--real`` data), and reports each arm's gap to the oracle.

Modules, in the order the study uses them: :mod:`~simgen.study.domains` (scenario transforms,
the randomization hook), :mod:`~simgen.study.data` (COCO sets), :mod:`~simgen.study.model`
(torch, imported lazily), :mod:`~simgen.study.evaluate` (pycocotools), :mod:`~simgen.study.run`
(the experiment), :mod:`~simgen.study.report` (JSON, markdown, plots). torch and torchvision come
with the ``simgen[study]`` extra; importing this package does not import them.
"""
