"""The ``params:`` block of a voter scenario."""

from pydantic import Field

from collapsesim import DomainParams


class VoterParams(DomainParams):
    """Parameters of the voter model (unknown keys are errors)."""

    N: int = Field(100, gt=1, description="number of voters")
    K: int = Field(5, ge=1, description="opinions, initially held by N/K voters each "
                                        "(the remainder by the first opinions)")
