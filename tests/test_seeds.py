"""The five articles are the primary sources: they must be byte-for-byte the committed copies."""
import hashlib

from briefing import paths


def manifest() -> dict[str, str]:
    lines = (paths.SEEDS / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name.strip(): digest for digest, name in (line.split(maxsplit=1) for line in lines if line.strip())}


def test_manifest_lists_exactly_the_seed_files():
    assert set(manifest()) == {p.name for p in paths.SEEDS.glob("*.txt")}
    assert len(manifest()) == 5


def test_seed_checksums_match_manifest():
    for name, digest in manifest().items():
        assert hashlib.sha256((paths.SEEDS / name).read_bytes()).hexdigest() == digest, f"seeds/{name} was modified"
