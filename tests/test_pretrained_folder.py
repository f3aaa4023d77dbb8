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
