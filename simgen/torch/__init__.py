"""Train straight from the generator: labeled frames streamed into PyTorch, nothing written.

Needs the ``study`` extra (torch, torchvision); ``import simgen`` never imports torch.

    >>> from simgen.torch import SimDataset  # doctest: +SKIP
    >>> loader = torch.utils.data.DataLoader(SimDataset("quickstart"), batch_size=4, num_workers=2,
    ...                                      collate_fn=lambda b: tuple(zip(*b)))  # doctest: +SKIP
"""

from simgen.torch.dataset import SimDataset
from simgen.torch.target import TARGET_EXTRAS, detection_target

__all__ = ["TARGET_EXTRAS", "SimDataset", "detection_target"]
