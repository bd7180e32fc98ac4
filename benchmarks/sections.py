"""Imports every module that registers a benchmark section (in report order)."""

from . import engine  # noqa: F401
from . import particle_filter  # noqa: F401
from . import ga  # noqa: F401
from . import drift  # noqa: F401
from . import hikers  # noqa: F401
from . import sweep  # noqa: F401
from . import gan  # noqa: F401
from . import beam  # noqa: F401
from . import psiblast  # noqa: F401
from . import model_collapse  # noqa: F401
from . import runner  # noqa: F401
from . import scaling  # noqa: F401  (scaling, then memory: last, they use the others' points)
