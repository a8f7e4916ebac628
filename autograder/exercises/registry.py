"""The exercise catalogue (SPEC §2, §3): every family module's exercises, collected in course order.

Each family module (:mod:`.grayscale`, :mod:`.channels`, :mod:`.pooling`, :mod:`.variants`, :mod:`.sizes`,
:mod:`.backward`)
defines its exercises whole (:class:`~.model.Exercise`); this module only collects them. Adding an
exercise is adding it to its family's ``EXERCISES`` (or a new family to :data:`FAMILIES`): see
docs/course.md.
"""

from __future__ import annotations

from . import architectures, backward, channels, grayscale, pooling, sizes, variants
from .model import Exercise

__all__ = ["FAMILIES", "EXERCISES", "get", "exercise_of"]

#: The family modules, in the order the catalogue lists them.
FAMILIES = (grayscale, channels, pooling, variants, sizes, backward, architectures)

EXERCISES: tuple[Exercise, ...] = tuple(e for family in FAMILIES for e in family.EXERCISES)

_BY_SLUG = {e.slug: e for e in EXERCISES}
_BY_NAME = {n: e for e in EXERCISES for n in e.names}
if len(_BY_SLUG) != len(EXERCISES) or len(_BY_NAME) != sum(len(e.names) for e in EXERCISES):
    raise RuntimeError("two exercises share a slug, a function name or an answer name")


def get(slug: str) -> Exercise:
    """The exercise with this slug; ``KeyError`` lists the valid ones."""
    try:
        return _BY_SLUG[slug]
    except KeyError:
        raise KeyError(f"no exercise {slug!r}; the catalogue has: {', '.join(_BY_SLUG)}") from None


def exercise_of(name: str) -> Exercise | None:
    """The exercise that asks for the function or answer ``name``, or None."""
    return _BY_NAME.get(name)
