"""The Ultralytics ``data.yaml`` simgen writes, shared by the YOLO exporters and ``simgen mix``.

Its own module, importing nothing but file I/O, so dataset tools can write it without
reaching the labels stage.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from simgen.core.fileio import write_text


def write_data_yaml(root: Path, splits: list[str], class_names: Sequence[str], what: str) -> str:
    """``root/data.yaml``, the one Ultralytics dataset file simgen writes (exporter and ``simgen mix``).

    JSON-style YAML (every JSON document is valid YAML); split paths are relative to the file
    (no ``path:``), so the folder can move; ``val`` falls back to ``train``'s images when there
    is no val split (the caller says so). Returns the text.
    """
    doc: dict[str, object] = {}
    for key in ("train", "val", "test"):
        if key in splits:
            doc[key] = f"images/{key}"
    for extra in splits:
        if extra not in ("train", "val", "test"):
            doc[extra] = f"images/{extra}"
    doc.setdefault("train", f"images/{splits[0]}")
    doc.setdefault("val", doc["train"])
    doc["nc"] = len(class_names)
    names = "\n".join(f"  {i}: {json.dumps(n)}" for i, n in enumerate(class_names))
    head = "\n".join(f"{k}: {json.dumps(v)}" for k, v in doc.items())
    text = f"# Ultralytics YOLO dataset written by simgen ({what})\n{head}\nnames:\n{names}\n"
    write_text(root / "data.yaml", text)
    return text


__all__ = ["write_data_yaml"]
