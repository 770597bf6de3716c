"""Pascal VOC detection layout: ``Annotations/*.xml``, ``JPEGImages/*.jpg``, ``ImageSets/Main/<split>.txt``.

Boxes are integer pixel coordinates, 1-based and inclusive as VOC's devkit uses them: the
visible pixels x..x+w-1 (0-based) become ``xmin = x + 1``, ``xmax = x + w``. ``truncated`` is 1
when more than 15 % of the object's box lies outside the image, ``occluded`` when its KITTI
occlusion level is 1 or 2, ``difficult`` marks crowd/ignore regions. ``labelmap.txt`` lists
the (non-VOC) classes in the scenario's order, after ``background``, in datumaro's format.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from simgen.core.fileio import write_bytes, write_text
from simgen.export.base import Exporter, Record, empty_split_notes, register_exporter
from simgen.export.encode import encoded_rgb
from simgen.frame import Frame, InstanceLabel

# Distinct, deterministic colours for labelmap.txt (VOC's own palette construction).


def _palette(i: int) -> tuple[int, int, int]:
    r = g = b = 0
    c = i
    for j in range(8):
        r |= ((c >> 0) & 1) << (7 - j)
        g |= ((c >> 1) & 1) << (7 - j)
        b |= ((c >> 2) & 1) << (7 - j)
        c >>= 3
    return r, g, b


def _object_xml(lab: InstanceLabel) -> str:
    return object_xml(lab.class_name, lab.bbox, truncation=lab.truncation, occlusion=lab.occlusion, ignore=lab.ignore)


def object_xml(
    name: str,
    bbox: tuple[float, float, float, float] | list[float],
    *,
    truncation: float | None = 0.0,
    occlusion: int | None = 0,
    ignore: bool = False,
) -> str:
    """One ``<object>`` element from a COCO-style ``[x, y, w, h]`` pixel box (also used by ``simgen mix``)."""
    x, y, w, h = (int(round(v)) for v in bbox)
    truncated = 1 if (truncation or 0.0) > 0.15 else 0
    occluded = 1 if occlusion in (1, 2) else 0
    return (
        "  <object>\n"
        f"    <name>{escape(name)}</name>\n"
        "    <pose>Unspecified</pose>\n"
        f"    <truncated>{truncated}</truncated>\n"
        f"    <occluded>{occluded}</occluded>\n"
        f"    <difficult>{1 if ignore else 0}</difficult>\n"
        "    <bndbox>\n"
        f"      <xmin>{x + 1}</xmin>\n      <ymin>{y + 1}</ymin>\n"
        f"      <xmax>{x + w}</xmax>\n      <ymax>{y + h}</ymax>\n"
        "    </bndbox>\n"
        "  </object>\n"
    )


def labelmap(class_names: list[str]) -> str:
    """``labelmap.txt`` text in datumaro's format: background, then the classes in id order."""
    lines = ["# label:color_rgb:parts:actions", "background:0,0,0::"]
    for i, name in enumerate(class_names, start=1):
        r, g, b = _palette(i)
        lines.append(f"{name}:{r},{g},{b}::")
    return "\n".join(lines) + "\n"


def annotation_xml(frame: Frame, file_name: str) -> str:
    """The VOC XML document of one frame."""
    h, w = frame.instance.shape
    objects = "".join(_object_xml(lab) for lab in frame.labels)
    return (
        "<annotation>\n"
        "  <folder>JPEGImages</folder>\n"
        f"  <filename>{escape(file_name)}</filename>\n"
        "  <source><database>simgen (synthetic)</database></source>\n"
        f"  <size><width>{w}</width><height>{h}</height><depth>3</depth></size>\n"
        "  <segmented>0</segmented>\n"
        f"{objects}"
        "</annotation>\n"
    )


@register_exporter
class VocExporter(Exporter):
    """Pascal VOC detection annotations with JPEG images."""

    name = "voc"
    summary = "Pascal VOC: Annotations/*.xml, JPEGImages, ImageSets/Main/<split>.txt, labelmap.txt"

    def add(self, frame: Frame) -> Record:
        """Write the JPEG and its XML."""
        file_name = f"{frame.stem}.jpg"
        write_bytes(self.root / "JPEGImages" / file_name, encoded_rgb(frame, "jpg"), durable=False)
        write_text(self.root / "Annotations" / f"{frame.stem}.xml", annotation_xml(frame, file_name), durable=False)
        return {"split": frame.split, "stem": frame.stem}

    def notes(self, records: list[Record]) -> list[str]:
        """Name the splits that got no images and so no list."""
        return empty_split_notes(self.name, self.info.splits, records, "ImageSets/Main/{}.txt")

    def finish(self, records: list[Record]) -> None:
        """Write ``ImageSets/Main/<split>.txt`` and ``labelmap.txt``."""
        per_split: dict[str, list[str]] = {s: [] for s in self.info.splits}
        for rec in records:
            per_split[rec["split"]].append(rec["stem"])
        for split, stems in per_split.items():
            if stems:  # an empty list would be read as a split to evaluate on
                write_text(self.root / "ImageSets" / "Main" / f"{split}.txt", "".join(f"{s}\n" for s in stems))
        write_text(self.root / "labelmap.txt", labelmap(list(self.info.class_names)))
