"""The needs taxonomy: resettlement-pathway needs, Good Lives Model goods and categories.

The taxonomy is package data (``assetmap/data/taxonomy.yaml``); :func:`load_taxonomy` reads and
validates it once and returns an immutable :class:`Taxonomy`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assetmap.errors import TaxonomyError
from assetmap.resources import data_path

__all__ = [
    "DEFAULT_PHRASES_PATH",
    "DEFAULT_TAXONOMY_PATH",
    "Category",
    "GlmGood",
    "HsdsTerm",
    "Need",
    "PhraseBook",
    "Taxonomy",
    "load_phrases",
    "load_taxonomy",
    "read_yaml",
]

DEFAULT_TAXONOMY_PATH = data_path("taxonomy.yaml")
DEFAULT_PHRASES_PATH = data_path("phrases.yaml")


@dataclass(frozen=True, slots=True)
class Need:
    """A resettlement-pathway need a life-plan goal can be tagged with."""

    code: str
    label: str
    pathway: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GlmGood:
    """One of the eleven primary goods of the Good Lives Model."""

    code: str
    label: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HsdsTerm:
    """A term of another taxonomy (Open Referral UK, Open Eligibility...)."""

    vocabulary: str
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Category:
    """A kind of support or place a community asset offers.

    ``osm`` holds rules: a feature matches a rule when every key in it has the
    given value (``"*"`` matches any value).
    """

    code: str
    label: str
    plain_label: str
    needs: tuple[str, ...]
    glm_goods: tuple[str, ...]
    osm: tuple[tuple[tuple[str, str], ...], ...]
    keywords: tuple[str, ...]
    useful_unnamed: bool = False
    hsds_terms: tuple[HsdsTerm, ...] = ()

    def matches_tags(self, tags: Mapping[str, str]) -> bool:
        """Return whether OSM ``tags`` satisfy any of this category's rules.

        Parameters
        ----------
        tags
            OSM tag key -> value.

        Returns
        -------
        bool
            True when all key/values of at least one rule are present.

        Examples
        --------
        >>> lib = load_taxonomy().category("library")
        >>> lib.matches_tags({"amenity": "library", "name": "Oakham Library"})
        True
        >>> lib.matches_tags({"amenity": "cafe"})
        False
        """
        for rule in self.osm:
            if all(key in tags and (value == "*" or tags[key] == value) for key, value in rule):
                return True
        return False


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """The validated taxonomy: needs, GLM goods and categories, each by code."""

    needs: Mapping[str, Need]
    glm_goods: Mapping[str, GlmGood]
    categories: Mapping[str, Category]
    version: int = 1
    _osm_keys: frozenset[str] = field(default=frozenset(), repr=False)

    def category(self, code: str) -> Category:
        """Return the category with this code.

        Raises
        ------
        TaxonomyError
            If no category has this code.
        """
        try:
            return self.categories[code]
        except KeyError:
            known = ", ".join(sorted(self.categories))
            msg = f"Unknown category code {code!r}; known codes: {known}."
            raise TaxonomyError(msg) from None

    def need(self, code: str) -> Need:
        """Return the need with this code.

        Raises
        ------
        TaxonomyError
            If no need has this code.
        """
        try:
            return self.needs[code]
        except KeyError:
            msg = f"Unknown need code {code!r}; known codes: {', '.join(sorted(self.needs))}."
            raise TaxonomyError(msg) from None

    @property
    def osm_keys(self) -> frozenset[str]:
        """Every OSM key any category rule looks at (for filtering while parsing)."""
        return self._osm_keys

    def categories_for_tags(self, tags: Mapping[str, str]) -> tuple[str, ...]:
        """Return the codes of every category whose OSM rules ``tags`` satisfy.

        The generic ``social_facility`` category is dropped when a more specific
        category also matched.

        Examples
        --------
        >>> tax = load_taxonomy()
        >>> tags = {"amenity": "social_facility", "social_facility:for": "homeless"}
        >>> tax.categories_for_tags(tags)
        ('housing_support',)
        >>> tax.categories_for_tags({"amenity": "pub"})
        ()
        """
        codes = [code for code, cat in self.categories.items() if cat.matches_tags(tags)]
        if len(codes) > 1 and "social_facility" in codes:
            codes.remove("social_facility")
        return tuple(codes)

    def categories_for_needs(self, needs: Iterable[str]) -> tuple[str, ...]:
        """Return the codes of categories that serve any of ``needs`` (need or GLM good codes).

        Raises
        ------
        TaxonomyError
            If a code is neither a need nor a GLM good.
        """
        wanted = set()
        for code in needs:
            if code not in self.needs and code not in self.glm_goods:
                msg = f"Unknown need or GLM good code {code!r}."
                raise TaxonomyError(msg)
            wanted.add(code)
        return tuple(
            c.code
            for c in self.categories.values()
            if wanted.intersection(c.needs) or wanted.intersection(c.glm_goods)
        )

    def needs_for_categories(self, categories: Iterable[str]) -> frozenset[str]:
        """Return the need codes served by any of ``categories`` (unknown codes ignored)."""
        out: set[str] = set()
        for code in categories:
            cat = self.categories.get(code)
            if cat is not None:
                out.update(cat.needs)
        return frozenset(out)

    def check_categories(self, codes: Iterable[str]) -> tuple[str, ...]:
        """Return ``codes`` as a tuple after checking each is a known category.

        Raises
        ------
        TaxonomyError
            Naming the first unknown code.
        """
        out = tuple(codes)
        for code in out:
            self.category(code)
        return out


def _strs(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        msg = f"{where} must be a list of strings."
        raise TaxonomyError(msg)
    return tuple(value)


def _require(entry: Any, key: str, where: str) -> str:
    if not isinstance(entry, dict) or not isinstance(entry.get(key), str) or not entry[key]:
        msg = f"{where} needs a non-empty string `{key}`."
        raise TaxonomyError(msg)
    return str(entry[key])


def _parse(raw: Any) -> Taxonomy:
    if not isinstance(raw, dict):
        msg = "The taxonomy file must hold a mapping with `needs`, `glm_goods` and `categories`."
        raise TaxonomyError(msg)
    needs: dict[str, Need] = {}
    for i, entry in enumerate(raw.get("needs") or []):
        where = f"needs[{i}]"
        code = _require(entry, "code", where)
        needs[code] = Need(
            code=code,
            label=_require(entry, "label", where),
            pathway=_require(entry, "pathway", where),
            keywords=_strs(entry.get("keywords"), f"{where}.keywords"),
        )
    goods: dict[str, GlmGood] = {}
    for i, entry in enumerate(raw.get("glm_goods") or []):
        where = f"glm_goods[{i}]"
        code = _require(entry, "code", where)
        goods[code] = GlmGood(
            code=code,
            label=_require(entry, "label", where),
            keywords=_strs(entry.get("keywords"), f"{where}.keywords"),
        )
    categories: dict[str, Category] = {}
    osm_keys: set[str] = set()
    for i, entry in enumerate(raw.get("categories") or []):
        where = f"categories[{i}]"
        code = _require(entry, "code", where)
        if code in categories:
            msg = f"{where}: category code {code!r} appears twice."
            raise TaxonomyError(msg)
        cat_needs = _strs(entry.get("needs"), f"{where}.needs")
        for n in cat_needs:
            if n not in needs:
                msg = f"{where} ({code}) links to unknown need {n!r}."
                raise TaxonomyError(msg)
        cat_goods = _strs(entry.get("glm_goods"), f"{where}.glm_goods")
        for g in cat_goods:
            if g not in goods:
                msg = f"{where} ({code}) links to unknown GLM good {g!r}."
                raise TaxonomyError(msg)
        rules = []
        for j, rule in enumerate(entry.get("osm") or []):
            if not isinstance(rule, dict) or not rule:
                msg = f"{where}.osm[{j}] must be a non-empty mapping of OSM key to value."
                raise TaxonomyError(msg)
            pairs = tuple((str(k), str(v)) for k, v in rule.items())
            osm_keys.update(k for k, _ in pairs)
            rules.append(pairs)
        terms = []
        for j, term in enumerate(entry.get("hsds_terms") or []):
            twhere = f"{where}.hsds_terms[{j}]"
            terms.append(
                HsdsTerm(
                    vocabulary=_require(term, "vocabulary", twhere),
                    code=_require(term, "code", twhere),
                    name=_require(term, "name", twhere),
                )
            )
        categories[code] = Category(
            code=code,
            label=_require(entry, "label", where),
            plain_label=str(entry.get("plain_label") or entry["label"]),
            needs=cat_needs,
            glm_goods=cat_goods,
            osm=tuple(rules),
            keywords=_strs(entry.get("keywords"), f"{where}.keywords"),
            useful_unnamed=bool(entry.get("useful_unnamed", False)),
            hsds_terms=tuple(terms),
        )
    if not needs or not goods or not categories:
        msg = "The taxonomy must define at least one need, one GLM good and one category."
        raise TaxonomyError(msg)
    return Taxonomy(
        needs=needs,
        glm_goods=goods,
        categories=categories,
        version=int(raw.get("version", 1)),
        _osm_keys=frozenset(osm_keys),
    )


def read_yaml(path: Path, what: str) -> Any:
    """Read a YAML data file, or raise one clear :class:`TaxonomyError` naming it.

    Examples
    --------
    >>> read_yaml(DEFAULT_TAXONOMY_PATH, "taxonomy")["version"]
    1
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"Cannot read the {what} file {path}: {exc.strerror or exc}."
        raise TaxonomyError(msg) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        msg = f"The {what} file {path} is not valid YAML: {exc}."
        raise TaxonomyError(msg) from exc


@functools.lru_cache(maxsize=8)
def _load_cached(path: Path) -> Taxonomy:
    return _parse(read_yaml(path, "taxonomy"))


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load and validate the needs taxonomy.

    Parameters
    ----------
    path
        A taxonomy YAML file; the package's ``assetmap/data/taxonomy.yaml`` by default.

    Returns
    -------
    Taxonomy
        Immutable; loaded once per path.

    Raises
    ------
    TaxonomyError
        If the file is missing, not YAML, or links to unknown codes.

    Examples
    --------
    >>> tax = load_taxonomy()
    >>> len(tax.glm_goods)
    11
    >>> "accommodation" in tax.needs
    True
    """
    return _load_cached(Path(path or DEFAULT_TAXONOMY_PATH).resolve())


# -- everyday phrases ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhraseBook:
    """The everyday words of ``assetmap/data/phrases.yaml``, checked against the taxonomy.

    Phrases are kept as written; :mod:`assetmap.match.phrases` normalises and
    matches them on whole words.

    Attributes
    ----------
    needs, goods, categories
        Code -> phrases that ask for it (the taxonomy's own keywords included).
    narrow
        Category code -> phrases naming something more specific than the category.
    ignore
        Words that say nothing about what is wanted.
    general_categories
        Categories that serve many needs a little (ranked below specialists).
    urgent
        Words that make a need urgent.
    days
        Two-letter day code -> its words.
    weekend
        Words for Saturday and Sunday together.
    day_parts
        ``"HH:MM-HH:MM"`` -> its words ("morning").
    older_people
        Words in a place's name that say it is for older people.
    prefer
        Query phrase -> words in a place's own text that make it the very kind
        of place asked for.
    weekdays
        Words for Monday to Friday together.
    narrow_means
        Narrow phrase -> other words a place's own text may use for it ("quaker"
        -> "friends meeting house").
    for_children
        Categories for children themselves (a school, a youth club): they answer
        words about children, not an adult's wish to learn or play.
    shorthand
        Staff shorthand -> the plain words it stands for ("drr" -> "drug
        rehabilitation requirement"; "" for shorthand that asks for nothing).
    compound_heads
        Words naming a kind of place ("park", "centre") that another word before
        them may turn into a different kind ("trampoline park").
    apart
        Groups of sub-needs that exclude each other (alcohol and drugs; sexual
        violence and domestic abuse): per side, the phrases that ask for it and
        the phrases by which a place's own text says it serves it. A place that
        says only other sides of a group than the words ask for does not answer.
    adults_only
        Words in a place's name or description that say it is for adults only
        (an Alcoholics Anonymous meeting), used when the record gives no ages.
    kind_words
        Generic kind words ("office", "centre", "group") that name no place by
        themselves: they never make a place relevant through its name or text.
    qualifiers
        Words that say whom a service must be for (a language, a nationality, a
        community): a place must say so itself.
    empty
        Phrases whose words ask for nothing and name no time ("car park" is not
        a park, "last night" not a time the person can go).
    """

    needs: Mapping[str, tuple[str, ...]]
    goods: Mapping[str, tuple[str, ...]]
    categories: Mapping[str, tuple[str, ...]]
    narrow: Mapping[str, tuple[str, ...]]
    ignore: tuple[str, ...]
    general_categories: tuple[str, ...]
    urgent: tuple[str, ...]
    days: Mapping[str, tuple[str, ...]]
    weekend: tuple[str, ...]
    day_parts: Mapping[str, tuple[str, ...]]
    older_people: tuple[str, ...]
    prefer: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    weekdays: tuple[str, ...] = ()
    narrow_means: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    empty: tuple[str, ...] = ()
    qualifiers: tuple[str, ...] = ()
    for_children: tuple[str, ...] = ()
    shorthand: Mapping[str, str] = field(default_factory=dict)
    compound_heads: tuple[str, ...] = ()
    apart: tuple[Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]], ...] = ()
    kind_words: tuple[str, ...] = ()
    adults_only: tuple[str, ...] = ()


def _apart(raw: Any) -> tuple[dict[str, tuple[tuple[str, ...], tuple[str, ...]]], ...]:
    """Return the ``apart`` groups (side -> (phrases asking for it, phrases a place says)).

    Examples
    --------
    >>> _apart({"apart": [{"a": {"asks": ["x"], "says": ["y"]}, "b": {"asks": ["z"]}}]})
    ({'a': (('x',), ('y',)), 'b': (('z',), ())},)
    """
    groups = raw.get("apart") or []
    if not isinstance(groups, list):
        msg = "phrases: `apart` must be a list of groups (side -> asks, says)."
        raise TaxonomyError(msg)
    out: list[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = []
    for number, group in enumerate(groups, start=1):
        if not isinstance(group, dict) or len(group) < 2:
            msg = f"phrases: `apart` group {number} must map two or more sides to asks/says."
            raise TaxonomyError(msg)
        sides: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        for side, spec in group.items():
            where = f"phrases.apart.{side}"
            if not isinstance(spec, dict):
                msg = f"{where} must have `asks` and `says` lists."
                raise TaxonomyError(msg)
            sides[str(side)] = (
                _strs(spec.get("asks"), f"{where}.asks"),
                _strs(spec.get("says"), f"{where}.says"),
            )
        out.append(sides)
    return tuple(out)


def _shorthand(raw: Any) -> dict[str, str]:
    """Return the ``shorthand`` mapping (abbreviation -> plain words), checked."""
    value = raw.get("shorthand") or {}
    if not isinstance(value, dict):
        msg = "phrases: `shorthand` must map abbreviations to the words they stand for."
        raise TaxonomyError(msg)
    out: dict[str, str] = {}
    for key, words in value.items():
        if not isinstance(words, str | None):
            msg = f"phrases: `shorthand.{key}` must be plain words, got {words!r}."
            raise TaxonomyError(msg)
        out[str(key)] = words or ""
    return out


def _category_codes(raw: Any, key: str, taxonomy: Taxonomy) -> tuple[str, ...]:
    codes = _strs(raw.get(key), f"phrases.{key}")
    for code in codes:
        taxonomy.category(code)
    return codes


def _label_words(label: str, code: str) -> tuple[str, ...]:
    """Return a need's or good's own name as people write it.

    Its label (before any bracket) and its code in words ("excellence_play" ->
    "excellence play").

    Examples
    --------
    >>> _label_words("Inner peace (freedom from emotional turmoil and stress)", "inner_peace")
    ('Inner peace', 'inner peace')
    """
    return (label.split("(")[0].strip(), code.replace("_", " "))


def _phrase_map(raw: Any, key: str, known: Iterable[str]) -> dict[str, tuple[str, ...]]:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        msg = f"phrases: `{key}` must map codes to lists of phrases."
        raise TaxonomyError(msg)
    codes = set(known)
    out: dict[str, tuple[str, ...]] = {}
    for code, phrases in value.items():
        if str(code) not in codes:
            msg = f"phrases: `{key}` names unknown code {code!r}."
            raise TaxonomyError(msg)
        out[str(code)] = _strs(phrases, f"phrases.{key}.{code}")
    return out


def _parse_phrases(raw: Any, taxonomy: Taxonomy) -> PhraseBook:
    if not isinstance(raw, dict):
        msg = "The phrases file must hold a mapping (needs, goods, categories, ...)."
        raise TaxonomyError(msg)
    needs = _phrase_map(raw, "needs", taxonomy.needs)
    goods = _phrase_map(raw, "goods", taxonomy.glm_goods)
    categories = _phrase_map(raw, "categories", taxonomy.categories)
    for code, need in taxonomy.needs.items():
        needs[code] = (*_label_words(need.label, code), *need.keywords, *needs.get(code, ()))
    for code, good in taxonomy.glm_goods.items():
        goods[code] = (*_label_words(good.label, code), *good.keywords, *goods.get(code, ()))
    for code, cat in taxonomy.categories.items():
        categories[code] = (cat.plain_label, *cat.keywords, *categories.get(code, ()))
    general = _strs(raw.get("general_categories"), "phrases.general_categories")
    for code in general:
        taxonomy.category(code)
    days = _phrase_map(raw, "days", ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"))
    parts = raw.get("day_parts") or {}
    if not isinstance(parts, dict):
        msg = "phrases: `day_parts` must map 'HH:MM-HH:MM' to lists of words."
        raise TaxonomyError(msg)
    return PhraseBook(
        needs=needs,
        goods=goods,
        categories=categories,
        narrow=_phrase_map(raw, "narrow", taxonomy.categories),
        ignore=_strs(raw.get("ignore"), "phrases.ignore"),
        general_categories=general,
        urgent=_strs(raw.get("urgent"), "phrases.urgent"),
        days=days,
        weekend=_strs(raw.get("weekend"), "phrases.weekend"),
        day_parts={str(k): _strs(v, f"phrases.day_parts.{k}") for k, v in parts.items()},
        older_people=_strs(raw.get("older_people"), "phrases.older_people"),
        prefer=_phrase_map(raw, "prefer", [str(k) for k in (raw.get("prefer") or {})]),
        weekdays=_strs(raw.get("weekdays"), "phrases.weekdays"),
        empty=_strs(raw.get("empty"), "phrases.empty"),
        qualifiers=_strs(raw.get("qualifiers"), "phrases.qualifiers"),
        for_children=_category_codes(raw, "for_children", taxonomy),
        shorthand=_shorthand(raw),
        compound_heads=_strs(raw.get("compound_heads"), "phrases.compound_heads"),
        apart=_apart(raw),
        kind_words=_strs(raw.get("kind_words"), "phrases.kind_words"),
        adults_only=_strs(raw.get("adults_only"), "phrases.adults_only"),
        narrow_means=_phrase_map(
            raw, "narrow_means", [str(k) for k in (raw.get("narrow_means") or {})]
        ),
    )


@functools.lru_cache(maxsize=8)
def _load_phrases_cached(path: Path, taxonomy_path: Path) -> PhraseBook:
    return _parse_phrases(read_yaml(path, "phrases"), _load_cached(taxonomy_path))


def load_phrases(
    path: str | Path | None = None, *, taxonomy_path: str | Path | None = None
) -> PhraseBook:
    """Load and check the everyday phrases (``assetmap/data/phrases.yaml`` by default).

    Parameters
    ----------
    path
        A phrases YAML file.
    taxonomy_path
        The taxonomy the phrases' codes must exist in (the default taxonomy).

    Returns
    -------
    PhraseBook
        Loaded once per file.

    Raises
    ------
    TaxonomyError
        If the file is missing, not YAML, or names an unknown code.

    Examples
    --------
    >>> book = load_phrases()
    >>> "toothache" in book.categories["dentist"]
    True
    >>> "heart" in book.categories["arts_culture"]
    False
    """
    return _load_phrases_cached(
        Path(path or DEFAULT_PHRASES_PATH).resolve(),
        Path(taxonomy_path or DEFAULT_TAXONOMY_PATH).resolve(),
    )
