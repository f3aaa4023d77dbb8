"""pretrained/ as a whole: under the 40 MB the project allows, and every shipped file made by a
project command, recorded in a sidecar whose sha256 matches the bytes that ship."""
import json

from gan_core.files import PRETRAINED, sha256_file

LIMIT_BYTES = 40_000_000


def _sidecars() -> dict:
    return {p: json.loads(p.read_text(encoding="utf-8")) for p in sorted(PRETRAINED.glob("*.json"))}


def test_pretrained_stays_under_40_mb():
    total = sum(p.stat().st_size for p in PRETRAINED.rglob("*") if p.is_file())
    assert total < LIMIT_BYTES, f"pretrained/ holds {total:,} bytes"


def test_every_shipped_file_has_a_sidecar_with_its_sha256_and_command():
    recorded: dict[str, str] = {}
    for path, side in _sidecars().items():
        assert side["command"].startswith("python -m gan_core "), path.name
        for name, digest in side.get("files", {}).items():
            recorded[name] = digest
        if "sha256" in side:
            twins = [p for p in PRETRAINED.glob(path.stem + ".*") if p.suffix != ".json"]
            assert len(twins) == 1, f"{path.name} describes no single file: {twins}"
            recorded[twins[0].name] = side["sha256"]
    shipped = [p for p in PRETRAINED.iterdir() if p.is_file() and p.suffix != ".json"]
    assert shipped, "pretrained/ is empty"
    for p in shipped:
        assert p.name in recorded, f"{p.name} has no sidecar"
        assert recorded[p.name] == sha256_file(p), f"{p.name} does not match its sidecar"


def test_checked_sidecar_accepts_the_recorded_bytes_and_names_a_changed_file(tmp_path):
    import hashlib

    import pytest

    from gan_core.files import SidecarMismatch, checked_sidecar

    weights = tmp_path / "model.pt"
    weights.write_bytes(b"abc")
    digest = hashlib.sha256(b"abc").hexdigest()  # ba7816bf... (FIPS 180-2's example)
    (tmp_path / "model.json").write_text(json.dumps({"sha256": digest, "what": "x"}))
    assert checked_sidecar(weights) == {"sha256": digest, "what": "x"}
    weights.write_bytes(b"abd")
    with pytest.raises(SidecarMismatch, match="model.pt does not match the SHA-256"):
        checked_sidecar(weights)


def test_shipped_models_refuse_a_changed_copy_in_one_sentence(tmp_path):
    import shutil

    import pytest

    from gan_core import superres
    from gan_core.cyclegan import digits

    for module, name, error in ((digits, "cycle_digits", digits.DigitsModelError),
                                (superres, "superres", superres.SuperResError)):
        for suffix in (".pt", ".json"):
            shutil.copy(PRETRAINED / f"{name}{suffix}", tmp_path / f"{name}{suffix}")
        copy = tmp_path / f"{name}.pt"
        raw = copy.read_bytes()
        copy.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))  # one bit of the last byte flipped
        with pytest.raises(error, match=f"{name}.pt does not match the SHA-256 in its sidecar"):
            module.load(copy)
