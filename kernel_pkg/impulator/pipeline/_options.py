"""The options of one analysis, checked once: :class:`AnalyzeOptions`.

``analyze``, ``batch.score``, ``jobs.submit``, the command line and the dashboards all build
their options here, so a bad value is refused with the same words wherever it is typed, and a
batch job stores (as JSON) exactly what its runner will read back.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from impulator._errors import InvalidInput
from impulator.science import (
    CURATION_MODES,
    DEFAULT_ACTIVITY_TYPES,
    DEFAULT_MODEL,
    MODELS,
    CurationMode,
)

__all__ = ["ANALYZE_OPTIONS", "MAX_SIMILARITY", "MIN_SIMILARITY", "AnalyzeOptions"]

#: Lowest similarity threshold an analysis accepts (the availability probe's floor, and the
#: lowest the ChEMBL web services search).
MIN_SIMILARITY = 0.40
#: Highest similarity threshold (the query itself).
MAX_SIMILARITY = 1.00


@dataclass(frozen=True)
class AnalyzeOptions:
    """How one compound is analysed; every value is checked when the options are made.

    Attributes:
        similarity: lowest Tanimoto similarity of a neighbour, 0.40 to 1.00.
        top_k: keep only the ``top_k`` most similar neighbours (a whole number, at least 1);
            None keeps all.
        activity_types: ChEMBL activity types scored (e.g. ``("IC50", "Ki")``, kept as a
            tuple); None for every type.
        model: scoring model id (``impulator.science.MODELS``).
        curation: ``"curated"`` or ``"prototype"`` (SCIENCE.md section 2).
        pdb: whether to look up PDB structures of the neighbours.

    Raises:
        InvalidInput: a value out of range (a ValueError), in a sentence naming the option,
            what it accepts and the value given.

    Example:
        >>> AnalyzeOptions(similarity=0.8, top_k=50).to_dict()["similarity"]
        0.8
        >>> AnalyzeOptions(similarity=0.2)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        impulator._errors.InvalidInput: similarity must be between 0.40 and 1.00, not 0.2 (...)
    """

    similarity: float = 0.90
    top_k: int | None = None
    activity_types: Sequence[str] | None = DEFAULT_ACTIVITY_TYPES
    model: str = DEFAULT_MODEL
    curation: CurationMode = "curated"
    pdb: bool = True

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "similarity", check_similarity(self.similarity))
        set_(self, "top_k", _top_k(self.top_k))
        set_(self, "activity_types", _activity_types(self.activity_types))
        set_(self, "model", _model(self.model))
        set_(self, "curation", _curation(self.curation))
        set_(self, "pdb", _pdb(self.pdb))

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> AnalyzeOptions:
        """Options from keyword arguments or a stored job's JSON; missing ones take their
        defaults.

        Raises:
            TypeError: a name that is not an analysis option (a misspelling, say).
            ValueError: a value out of range.

        Example:
            >>> AnalyzeOptions.from_mapping({"model": "imp-4", "activity_types": ["Ki"]})
            ... # doctest: +NORMALIZE_WHITESPACE
            AnalyzeOptions(similarity=0.9, top_k=None, activity_types=('Ki',), model='imp-4',
                           curation='curated', pdb=True)
            >>> AnalyzeOptions.from_mapping({"similarty": 0.8})  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            TypeError: unknown option(s) similarty; an analysis takes similarity, top_k, ...
        """
        unknown = sorted(set(options) - set(ANALYZE_OPTIONS))
        if unknown:
            raise TypeError(
                f"unknown option(s) {', '.join(map(str, unknown))}; "
                f"an analysis takes {', '.join(ANALYZE_OPTIONS)}"
            )
        return cls(**options)

    @classmethod
    def combine(
        cls, options: AnalyzeOptions | Mapping[str, Any] | None, keywords: Mapping[str, Any]
    ) -> AnalyzeOptions:
        """The options of a call that takes them either as ``options=`` or as keywords.

        A keyword set to something other than its default next to ``options=`` is a
        TypeError: one of the two would be silently ignored.

        Example:
            >>> AnalyzeOptions.combine(None, {"similarity": 0.7}).similarity
            0.7
            >>> AnalyzeOptions.combine(AnalyzeOptions(pdb=False), {"similarity": 0.7})
            ... # doctest: +ELLIPSIS
            Traceback (most recent call last):
            TypeError: give the analysis options ... (similarity given as a keyword too)
        """
        if options is None:
            return cls.from_mapping(keywords)
        chosen = options if isinstance(options, AnalyzeOptions) else cls.from_mapping(options)
        given = cls.from_mapping(keywords)
        clash = [f.name for f in fields(cls) if getattr(given, f.name) != getattr(_DEFAULT, f.name)]
        if clash:
            raise TypeError(
                "give the analysis options either as options= or as keywords, not both "
                f"({', '.join(clash)} given as a keyword too)"
            )
        return chosen

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (``activity_types`` a list), as a batch job stores them.

        Example:
            >>> AnalyzeOptions.from_mapping(AnalyzeOptions(top_k=5).to_dict()).top_k
            5
        """
        types = list(self.activity_types) if self.activity_types is not None else None
        return {
            "similarity": self.similarity,
            "top_k": self.top_k,
            "activity_types": types,
            "model": self.model,
            "curation": self.curation,
            "pdb": self.pdb,
        }


#: The option names, in the order of ``impulator.analyze``'s keywords.
ANALYZE_OPTIONS: tuple[str, ...] = tuple(f.name for f in fields(AnalyzeOptions))


def check_similarity(value: Any) -> float:
    """``value`` as a similarity threshold (a float from 0.40 to 1.00), else ValueError.

    Example:
        >>> check_similarity(1)
        1.0
    """
    if _number(value):
        number = float(value)
        if MIN_SIMILARITY <= number <= MAX_SIMILARITY:
            return number
    raise InvalidInput(
        f"similarity must be between {MIN_SIMILARITY:.2f} and {MAX_SIMILARITY:.2f}, "
        f"not {_shown(value)} (it is the lowest Tanimoto similarity of a neighbour)"
    )


def _top_k(value: Any) -> int | None:
    if value is None:
        return None
    if _number(value) and isinstance(value, numbers.Integral) and int(value) >= 1:
        return int(value)
    raise InvalidInput(
        f"top_k must be a whole number of at least 1, or None, not {_shown(value)} "
        "(it keeps only the top_k most similar neighbours; None keeps them all)"
    )


def _activity_types(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput(
            "activity_types must be a list of ChEMBL activity types such as ['IC50', 'Ki'], "
            f"or None for every type, not {_shown(value)}"
        )
    types = tuple(value)
    wrong = [t for t in types if not isinstance(t, str) or not t.strip()]
    if wrong:
        raise InvalidInput(
            "activity_types must be ChEMBL activity type names such as 'IC50' or 'Ki', "
            f"not {_shown(wrong[0])}"
        )
    if not types:
        raise InvalidInput(
            "activity_types is empty: choose at least one ChEMBL activity type (e.g. IC50), "
            "or None for every type"
        )
    return types


def _model(value: Any) -> str:
    if isinstance(value, str) and value in MODELS:
        return value
    raise InvalidInput(
        f"unknown scoring model {_shown(value)}: model must be one of "
        + ", ".join(f"{m.id} ({m.title})" for m in MODELS.values())
    )


def _curation(value: Any) -> CurationMode:
    for mode in CURATION_MODES:
        if isinstance(value, str) and value == mode:
            return mode
    raise InvalidInput(
        f"curation must be {' or '.join(repr(m) for m in CURATION_MODES)}, not {_shown(value)}"
    )


def _pdb(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise InvalidInput(
        f"pdb must be True or False, not {_shown(value)} (whether to look up PDB structures)"
    )


def _number(value: Any) -> bool:
    """Whether ``value`` is a real number (numpy's included), True and False not."""
    if isinstance(value, bool | np.bool_):
        return False
    return isinstance(value, numbers.Real)


def _shown(value: Any) -> str:
    """A given value for a message: numbers as typed, anything else quoted, cut when long."""
    if _number(value):
        return str(value)
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:55]}...{text[-1]}"


_DEFAULT = AnalyzeOptions()
