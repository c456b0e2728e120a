"""Where a street map lives on disk and which files make one."""

from pathlib import Path
from typing import Final

BUNDLED_MAP_DIR: Final = Path(__file__).parent / "data" / "osm"
BUNDLED_MAP_NAME: Final = "paris_bss"

# One OSM XML file per network: each is already filtered the way osmnx's network types are,
# because graph_from_xml reads whatever ways it is given.
NETWORKS: Final = ("bike", "drive", "walk")
OSM_SUFFIXES: Final = (".osm.bz2", ".osm")


def network_file(map_dir: Path, map_name: str, network: str) -> Path | None:
    """The OSM XML file of one network of a map, compressed or not, or None when absent."""
    for suffix in OSM_SUFFIXES:
        candidate = map_dir / f"{map_name}_{network}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def missing_networks(map_dir: Path, map_name: str) -> list[str]:
    """The networks of a map that have no file, as the expected file names."""
    return [
        f"{map_name}_{network}{OSM_SUFFIXES[0]}"
        for network in NETWORKS
        if network_file(map_dir, map_name, network) is None
    ]
