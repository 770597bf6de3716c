"""Hugging Face ``imagefolder``: ``hf/<split>/*.png`` + ``hf/<split>/metadata.jsonl`` + ``hf/README.md``.

``datasets.load_dataset("imagefolder", data_dir="OUT/hf")`` reads it as is: one row per image
with ``image``, provenance (``image_id``, ``episode``, ``frame``, ``camera``, ``time``,
``scenario``, ``simgen_version``, ``synthetic``) and ``objects``, a dict of per-box lists (the
Hub's object-detection layout): ``bbox`` COCO ``[x, y, w, h]`` pixels, ``category`` the class
name, ``category_id`` the COCO id, ``id`` the COCO annotation id, ``area``, ``iscrowd`` (crowd
and ego ignore regions, 1), ``visibility``, ``truncation`` and ``instance_id``. Image and
annotation ids equal the COCO exporter's. ``README.md`` is a dataset card whose YAML header
declares the splits and features (``category`` a ``ClassLabel`` naming the scenario's classes),
so ``load_dataset("OUT/hf")`` or a Hub upload of the folder gives typed columns too.

Folder ``val`` is split ``validation`` (the name ``datasets`` infers for it). Per-frame images
are written under their frame stems and never renamed, so a resumed run needs no undo.
"""

from __future__ import annotations

import json
from typing import Any

from simgen.core.fileio import write_bytes, write_text
from simgen.export.base import Exporter, Record, register_exporter
from simgen.export.encode import encoded_rgb
from simgen.frame import Frame, InstanceLabel

# Folder names `datasets` maps to split names when it infers splits from a data_dir.
HF_SPLIT = {"train": "train", "val": "validation", "validation": "validation", "test": "test"}

# Per-object fields in metadata order, with their `datasets` feature (category is a ClassLabel).
OBJECT_FIELDS = {
    "id": "int64",
    "bbox": None,
    "category": None,
    "category_id": "int64",
    "area": "int64",
    "iscrowd": "int64",
    "visibility": "float64",
    "truncation": "float64",
    "instance_id": "int64",
}
IMAGE_FIELDS = {
    "image_id": "int64",
    "width": "int64",
    "height": "int64",
    "episode": "int64",
    "frame": "int64",
    "camera": "string",
    "time": "float64",
    "scenario": "string",
    "simgen_version": "string",
    "synthetic": "bool",
}


def _object(lab: InstanceLabel) -> dict[str, Any]:
    """One box's fields (ids assigned at finish); floats stay floats so JSON types never vary."""
    return {
        "bbox": [float(v) for v in lab.bbox],
        "category": lab.class_name,
        "category_id": lab.category_id,
        "area": int(lab.area),
        "iscrowd": 1 if lab.ignore else 0,
        "visibility": None if lab.visibility is None else float(lab.visibility),
        "truncation": float(lab.truncation),
        "instance_id": lab.instance_id,
    }


@register_exporter
class HfExporter(Exporter):
    """Hugging Face datasets ``imagefolder`` with object-detection metadata and a dataset card."""

    name = "hf"
    summary = "Hugging Face imagefolder: <split>/*.png + metadata.jsonl (COCO xywh boxes, class names) + README.md"

    def add(self, frame: Frame) -> Record:
        """Write the image; return its provenance and boxes (ids assigned at finish)."""
        file_name = f"{frame.stem}.png"
        write_bytes(self.root / frame.split / file_name, encoded_rgb(frame, "png"), durable=False)
        h, w = frame.rgb.shape[:2]
        image = {"width": w, "height": h, "episode": frame.episode, "frame": frame.index}
        image |= {"camera": frame.camera.name, "time": round(float(frame.time), 9)}
        return {
            "split": frame.split,
            "file_name": file_name,
            "image": image,
            "objects": [_object(lab) for lab in frame.labels],
        }

    def _rows(self, records: list[Record]) -> dict[str, list[str]]:
        """metadata.jsonl lines per split, ids numbered in dataset order like the COCO exporter's."""
        rows: dict[str, list[str]] = {}
        ann_id = 0
        for image_id, rec in enumerate(records, start=1):
            objects: dict[str, list[Any]] = {key: [] for key in OBJECT_FIELDS}
            for obj in rec["objects"]:
                ann_id += 1
                for key, value in {"id": ann_id, **obj}.items():
                    objects[key].append(value)
            row = {"file_name": rec["file_name"], "image_id": image_id, **rec["image"]}
            row |= {"scenario": self.info.name, "simgen_version": self.info.version, "synthetic": True}
            row["objects"] = objects
            rows.setdefault(rec["split"], []).append(json.dumps(row, ensure_ascii=False, allow_nan=False))
        return rows

    def finish(self, records: list[Record]) -> None:
        """Write each split's ``metadata.jsonl`` (splits with images only) and the dataset card."""
        rows = self._rows(records)
        for split, lines in rows.items():
            write_text(self.root / split / "metadata.jsonl", "".join(f"{line}\n" for line in lines))
        write_text(self.root / "README.md", self.card([s for s in self.info.splits if s in rows]))

    def features(self) -> list[str]:
        """The ``datasets`` features as YAML list lines (``category`` a ClassLabel of the scenario's classes)."""
        lines = ["- name: image", "  dtype: image"]
        lines += [f"- name: {key}\n  dtype: {dtype}" for key, dtype in IMAGE_FIELDS.items()]
        lines += ["- name: objects", "  struct:"]
        for key, dtype in OBJECT_FIELDS.items():
            lines.append(f"  - name: {key}")
            if key == "bbox":
                lines += ["    list:", "      list: float64", "      length: 4"]
            elif key == "category":
                lines += ["    list:", "      class_label:", "        names:"]
                lines += [f"          '{i}': {json.dumps(n)}" for i, n in enumerate(self.info.class_names)]
            else:
                lines.append(f"    list: {dtype}")
        return "\n".join(lines).splitlines()

    def card(self, splits: list[str]) -> str:
        """The dataset card: YAML header (configs with typed features, class names), then a short text.

        The features sit in the config (``datasets`` applies them when loading the folder) and in
        ``dataset_info`` (what the Hub shows).
        """
        features = self.features()
        head = ["---", "task_categories:", "- object-detection", "tags:", "- synthetic", "- simgen"]
        if splits:  # a config needs data files; a run whose episodes all failed has none
            head += ["configs:", "- config_name: default", "  data_files:"]
            for split in splits:
                head += [f"  - split: {HF_SPLIT.get(split, split)}", f"    path: {json.dumps(split + '/**')}"]
            head += ["  features:", *(f"  {line}" for line in features)]
        head += ["dataset_info:", "  features:", *(f"  {line}" for line in features), "---"]
        body = (
            f"\n# {self.info.name} (synthetic, simgen {self.info.version})\n\n"
            f"{self.info.description or ''}\n\n"
            "Rendered by simgen from a scenario file: every image is synthetic and every label comes from the\n"
            "simulator's ground truth. Boxes are COCO `[x, y, width, height]` pixels of the visible pixels;\n"
            "`iscrowd: 1` marks crowd or ignore regions, not objects to detect.\n\n"
            "```python\n"
            "import datasets\n\n"
            'ds = datasets.load_dataset("imagefolder", data_dir="hf")  # or datasets.load_dataset("hf")\n'
            "```\n"
        )
        return "\n".join(head) + "\n" + body

    def notes(self, records: list[Record]) -> list[str]:
        """Splits ``imagefolder`` cannot infer from a folder name, or whose boxes it cannot type."""
        out = []
        for split in sorted({rec["split"] for rec in records}):
            if split not in HF_SPLIT:
                out.append(
                    f"hf: split '{split}' is not a name datasets infers; load with datasets.load_dataset('OUT/hf')"
                )
            elif not any(rec["objects"] for rec in records if rec["split"] == split):
                out.append(
                    f"hf: split '{split}' has no boxes, so datasets cannot type its metadata like the others'; "
                    f"load it alone: load_dataset('imagefolder', data_dir='OUT/hf/{split}')"
                )
        return out
