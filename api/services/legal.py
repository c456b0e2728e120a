"""A French business as its invoices must name it: its SIRET (14 digits) and its
intra-community VAT number (FR and 11 characters), each checked by its check digits with
python-stdnum; '' when not given."""

from typing import Annotated

from pydantic import AfterValidator
from stdnum.fr import siret, tva


def checked_siret(value: str) -> str:
    """The SIRET as 14 digits, or '' for none; ValueError saying why it is not one."""
    if not value.strip():
        return ""
    try:
        return str(siret.validate(value))
    except ValueError as error:
        raise ValueError(f"not a SIRET: {error}") from None


def checked_vat_number(value: str) -> str:
    """The French VAT number as FR and 11 characters, or '' for none."""
    if not value.strip():
        return ""
    try:
        return "FR" + str(tva.validate(value))
    except ValueError as error:
        raise ValueError(f"not a French VAT number: {error}") from None


Siret = Annotated[str, AfterValidator(checked_siret)]
VatNumber = Annotated[str, AfterValidator(checked_vat_number)]
