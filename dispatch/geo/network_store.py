"""Loading a profile's network from its processed-array cache, building it when stale."""

import hashlib
from pathlib import Path

from dispatch.geo.maps import network_file
from dispatch.geo.network import FORMAT_VERSION, StreetNetwork
from dispatch.geo.osm_import import KPH_TO_MPS, edges_from_osm
from dispatch.geo.profiles import Profile


class MapFileMissingError(FileNotFoundError):
    pass


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_path(cache_dir: Path, map_name: str, profile: Profile, source_sha256: str) -> Path:
    """The cache file of a source file, profile and format: any change makes a new name."""
    key = hashlib.sha256(
        f"{source_sha256}|{profile.cache_key()}|{FORMAT_VERSION}".encode()
    ).hexdigest()[:16]
    return cache_dir / f"{map_name}_{profile.name}_{key}.npz"


def build_network(source: Path, profile: Profile, source_sha256: str) -> StreetNetwork:
    return StreetNetwork.from_edges(
        profile.name,
        edges_from_osm(source, profile),
        access_speed_mps=profile.access_speed_kph * KPH_TO_MPS,
        source_sha256=source_sha256,
    )


def load_network(map_dir: Path, map_name: str, profile: Profile, cache_dir: Path) -> StreetNetwork:
    """The profile's network, from cache when its source file is unchanged."""
    source = network_file(map_dir, map_name, profile.network)
    if source is None:
        raise MapFileMissingError(f"no {map_name}_{profile.network}.osm[.bz2] in {map_dir}")
    source_sha256 = file_sha256(source)
    path = cache_path(cache_dir, map_name, profile, source_sha256)
    if path.is_file():
        try:
            return StreetNetwork.load(path)
        except (OSError, ValueError, KeyError):
            pass  # unreadable or from another format: rebuilt below
    network = build_network(source, profile, source_sha256)
    network.save(path)
    for stale in cache_dir.glob(f"{map_name}_{profile.name}_*.npz"):
        if stale != path:
            stale.unlink(missing_ok=True)
    return network
