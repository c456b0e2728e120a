"""Addresses down to the door: '12 rue Oberkampf' found offline, and a national address file
(the BAN's CSV) imported for exact doors.

For production at a national scale, addok (the geocoder behind the French national address
service, on Redis) answers the same question from the whole BAN; this one knows the alliance's
map and what was imported into its database, which is what a delivery area needs.
"""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import sqlalchemy as sa
from sqlmodel import Session, col, select

from api.models import HouseNumber
from api.schemas.geo import AddressMatch
from dispatch.geo.doors import KnownDoor, parse_number, split_query, street_key
from dispatch.geo.geography import Geography

BAN_COLUMNS: Final = ("numero", "rep", "nom_voie", "code_postal", "lon", "lat")
"""What the BAN's CSV (adresse.data.gouv.fr, ';'-separated) gives that a door needs."""
BATCH: Final = 5_000
_HOUSES: sa.Table = HouseNumber.__table__  # type: ignore[attr-defined]


def search(session: Session, geography: Geography, query: str, limit: int) -> list[AddressMatch]:
    """Doors (or streets, with no number) matching what the customer typed, best first."""
    number, street_words = split_query(query)
    streets = geography.streets.search(street_words, limit)
    keys = [street_key(s.name) for s in streets]
    imported: dict[str, list[KnownDoor]] = {}
    if number is not None and keys:
        for row in session.exec(select(HouseNumber).where(col(HouseNumber.street_key).in_(keys))):
            imported.setdefault(row.street_key, []).append(
                KnownDoor(row.street, row.number, row.lat, row.lon)
            )
    matches = []
    for street in streets:
        door = geography.doors.find(street, number, imported.get(street_key(street.name), ()))
        matches.append(
            AddressMatch(
                label=door.label,
                street=door.street,
                house_number=door.number,
                lat=door.lat,
                lon=door.lon,
                precision=door.precision,
            )
        )
    return matches


@dataclass(frozen=True)
class ImportReport:
    read: int
    kept: int
    """Within the map's area, with a number the geocoder reads."""


def import_ban(
    session: Session, path: Path, bounds: tuple[tuple[float, float], tuple[float, float]]
) -> ImportReport:
    """Replace the imported doors with the file's that fall within the map (all or nothing:
    in the caller's transaction)."""
    (south, west), (north, east) = bounds
    session.execute(sa.delete(_HOUSES))
    read = kept = 0
    batch: dict[tuple[str, str], dict[str, object]] = {}
    for row in _rows(path):
        read += 1
        try:
            lat, lon = float(row["lat"]), float(row["lon"])
        except ValueError:
            continue
        parsed = parse_number(f"{row['numero']} {row['rep']}".strip())
        if parsed is None or not (south <= lat <= north and west <= lon <= east):
            continue
        key = (street_key(row["nom_voie"]), parsed[1])
        batch[key] = {
            "street_key": key[0],
            "street": row["nom_voie"][:200],
            "number": parsed[1],
            "postcode": row["code_postal"][:10],
            "lat": lat,
            "lon": lon,
        }
        if len(batch) >= BATCH:
            kept += _flush(session, batch)
    kept += _flush(session, batch)
    return ImportReport(read=read, kept=kept)


def _flush(session: Session, batch: dict[tuple[str, str], dict[str, object]]) -> int:
    if not batch:
        return 0
    known = {
        (key, number)
        for key, number in session.execute(
            sa.select(_HOUSES.c.street_key, _HOUSES.c.number).where(
                _HOUSES.c.street_key.in_({k for k, _ in batch})
            )
        ).all()
    }
    rows = [row for key, row in batch.items() if key not in known]  # a repeat keeps the first
    if rows:
        session.execute(sa.insert(_HOUSES), rows)
    batch.clear()
    return len(rows)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    """The file's rows, with the columns a door needs; a file without them is refused."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        missing = [c for c in BAN_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(
                f"{path.name}: not a BAN address file (';'-separated), missing {', '.join(missing)}"
            )
        for row in reader:
            yield {c: (row.get(c) or "").strip() for c in BAN_COLUMNS}
