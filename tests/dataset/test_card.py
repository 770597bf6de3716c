"""simgen compare --update-card writes the gaps it found into the card, and leaves the manifest alone."""

from __future__ import annotations

from pathlib import Path

from tests.dataset.conftest import H, W, write_reference


def test_update_card_writes_gaps_and_size_flags(clean_dataset: Path, tmp_path: Path, run_cli) -> None:
    boxes = [(i % 3, 2, 2, 40, 30) for i in range(9)]
    ref = write_reference(tmp_path / "real.json", ["crate", "ball", "defect"], boxes, size=(W, H))
    manifest_before = (clean_dataset / "manifest.json").read_bytes()
    code, out, err = run_cli("compare", str(clean_dataset), "--reference", str(ref), "--update-card")
    assert code == 0, err
    card = (clean_dataset / "DATASET_CARD.md").read_text()
    assert "## Known gaps to reality" in card and "`size`: mean" in card
    # Reference boxes are all 40x30 = 1200 px (COCO 'medium'); ours: 6 small, one 64x48 (medium).
    assert "| small | 85.7 % | 0.0 % |  |" in card
    assert "| medium | 14.3 % | 100.0 % | under-represented |" in card
    assert "synthetic: true" in card and "| defect | 1 | 14.3 % |" in card
    assert (clean_dataset / "manifest.json").read_bytes() == manifest_before


def test_update_card_refuses_plain_coco(tmp_path: Path, run_cli) -> None:
    ref = write_reference(tmp_path / "real.json", ["a"], [(0, 1, 1, 4, 4)])
    code, _, err = run_cli("compare", str(ref), "--reference", str(ref), "--update-card")
    assert code == 2 and "--update-card needs a simgen dataset folder" in err
