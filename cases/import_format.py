"""The fields of one line of the case import, declared (``contracts/case-import.md``).

``cases.importer`` reads a line in two steps. This module is the first: what each field is.

- The models: ``LineModel`` (the top level), ``PersonModel`` and one model per event type.
  Types are strict (a number is not a text, a bool is not a count, a date is a text
  ``JJJJ-MM-DD``), unknown fields are refused. The event models are built from the
  ``EventField`` declarations of ``EVENT_TYPES`` and of the later versions' event types
  (``importer.register_extension``), once per version of the format (``LineFormat``).
- The messages: pydantic's errors become the contract's field paths (``person.v_number``,
  ``events[3].date``; event indexes count from 0) and the Dutch messages below, in the order
  the contract's fields are listed. A field's message for pydantic's own errors is declared
  with the field (``Says``); a check of our own raises its message itself (``_error``).

The second step, the rules across fields and events (the order of the events, the transition
table, the covenant, a later version's rules, one place per person), is the importer's.
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from annotated_types import Interval
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    Tag,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from cases import services
from cases.models import (
    BIRTH_DATE_FUTURE,
    DURABLE_CATEGORIES,
    MRT_NO_DURABLE_SOLUTION,
    V_NUMBER_INVALID,
    Case,
    CaseType,
    CooperationResult,
    Direction,
    DossierPartKind,
    ExceptionGround,
    OutflowCategory,
    Person,
    Sex,
)
from lvv import text
from lvv.params import NOT_A_DATE, within_date_range

# --- Messages (shared with the tests, through cases.importer) -----------------------------------
REQUIRED = _("Dit veld ontbreekt.")
UNKNOWN_FIELD = _("Onbekend veld (schema lvv-case/1).")
WRONG_SCHEMA = _("Het schema moet precies “lvv-case/1” zijn.")
WRONG_SCHEMA_ONE_OF = _("Het schema moet een van deze zijn: %(schemas)s.")
NOT_TEXT = _("Geef een tekst.")
NOT_EMPTY = _("Dit veld mag niet leeg zijn.")
CONTROL_CHARACTER = _("Dit veld bevat een ongeldig teken (een stuurteken).")
TOO_LONG = _("Maximaal %(max)s tekens.")
EXTERNAL_ID_LENGTH = _("Het externe kenmerk is 1 tot 64 tekens lang.")
UNKNOWN_LVV = _("Er is geen LVV met deze code.")
NOT_BOOLEAN = _("Geef true of false.")
NOT_AN_OBJECT_FIELD = _("Geef een JSON-object.")
INVALID_CHOICE = _("Kies uit: %(choices)s.")
COUNTRY_INVALID = _("Geef een landcode volgens ISO 3166-1 alpha-2, in hoofdletters (zoals ER).")
NOT_A_LIST = _("Geef een lijst.")
DUPLICATE_CASE_TYPE = _("Dit casustype staat al eerder in de lijst.")
NOT_A_COUNT = _("Geef een geheel getal van 0 of meer.")
EVENTS_EMPTY = _("Geef minstens één gebeurtenis.")
VERIFIED_NOT_DURABLE = _(
    "Alleen een bestendige uitstroom (departure_origin, onward_migration, residence_granted) "
    "wordt door de IND of de DT&V bevestigd."
)
REASON_WITHOUT_EXCEPTION = _("Een reden van uitzondering hoort alleen bij een uitzondering.")
# The services' own messages, where the import finds the same fault before calling them.
DATE_IN_FUTURE = services.DATE_IN_FUTURE
COUNTRY_REQUIRED = services.COUNTRY_REQUIRED

SCHEMA = "lvv-case/1"
NAME_MAX_LENGTH = Person._meta.get_field("family_name").max_length
TEXT_MAX = text.TEXT_MAX  # a reason in an event, as on the pages and in the API
EXTERNAL_ID_MAX_LENGTH = Case._meta.get_field("external_id").max_length
MAX_PRIOR_PROCEDURES = 2_147_483_647  # PositiveIntegerField
COUNTRY_CODES = tuple(sorted(code for code, _name in countries))
CASE_TYPES = tuple(CaseType.values)
DEPARTURES = ("departure_origin", "onward_migration")
_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")  # none in names and ids; free text may hold line breaks


# --- The event types of version 1 -----------------------------------------------------------------
@dataclass(frozen=True)
class EventField:
    """An event type's extra field: ``kind`` choice (one of ``choices``), text, country (ISO
    3166-1 alpha-2), bool (default false) or date (2000 to 2099, kept as its ISO text)."""

    name: str
    choices: tuple[str, ...] | None = None  # None: free text (or a country / a bool / a date, see kind)
    required: bool = False
    kind: str = "choice"  # choice | text | country | bool | date


OUTCOMES = (MRT_NO_DURABLE_SOLUTION,)
EVENT_TYPES: dict[str, tuple[EventField, ...]] = {
    "registered": (),
    "admitted": (
        EventField("exception", tuple(ExceptionGround.values)),
        # Not in the contract's table: an optional reason for the exception (else a fixed text).
        EventField("exception_reason", kind="text"),
    ),
    "rejected": (EventField("reason", kind="text", required=True),),
    "waitlisted": (),
    "shelter_started": (),
    "dossier_delivered": (EventField("by", tuple(DossierPartKind.values), required=True),),
    "scenario_set": (EventField("direction", tuple(Direction.values), required=True),),
    "cooperation_checked": (EventField("result", tuple(CooperationResult.values), required=True),),
    "mrt_discussed": (EventField("outcome", OUTCOMES),),
    "outflow": (
        EventField("category", tuple(OutflowCategory.values), required=True),
        EventField("country", kind="country"),
        EventField("verified", kind="bool"),
    ),
}


# --- How a field says what is wrong -----------------------------------------------------------------
Message = Promise | Callable[[], str]


@dataclass(frozen=True)
class Says:
    """The message for pydantic's own errors on a field (a wrong type, a choice not offered),
    declared with the field: ``message`` for any of them, ``empty`` for a list that must not
    be empty, ``item`` for the items of a list. A null is a missing value (``REQUIRED``) unless
    ``null_is_missing`` is false. A missing field is ``REQUIRED``, an unknown one
    ``UNKNOWN_FIELD``, whatever the field."""

    message: Message
    empty: Message | None = None
    item: "Says | None" = None
    null_is_missing: bool = True


def _say(message: Message) -> str:
    return str(message) if isinstance(message, Promise | str) else message()


def _choice(choices: tuple[str, ...], *, null_is_missing: bool = True) -> Says:
    return Says(lambda: str(INVALID_CHOICE % {"choices": ", ".join(choices)}), null_is_missing=null_is_missing)


_OWN_ERROR = "lvv_import"


def _error(message, *, field_name: str = "") -> PydanticCustomError:
    """A check of our own that failed: its message, and for a rule on a whole event the field it names."""
    return PydanticCustomError(_OWN_ERROR, "{message}", {"message": str(message), "field": field_name})


# --- The field types ---------------------------------------------------------------------------------
def _text(*, max_length: int, one_line: bool, required: bool) -> Callable[[str], str | None]:
    """Stripped; no NUL (and in a name or id no control character at all), not empty, not too long."""

    def clean(value: str) -> str | None:
        if "\x00" in value or (one_line and _CONTROL_RE.search(value)):
            raise _error(CONTROL_CHARACTER)
        value = value.strip()
        if not value:
            if required:
                raise _error(NOT_EMPTY)
            return None
        if len(value) > max_length:
            raise _error(TOO_LONG % {"max": max_length})
        return value

    return clean


def _external_id(value: str) -> str:
    """Kept as given: 1 to 64 characters, not only spaces, no control character."""
    if not value.strip() or len(value) > EXTERNAL_ID_MAX_LENGTH:
        raise _error(EXTERNAL_ID_LENGTH)
    if _CONTROL_RE.search(value):
        raise _error(CONTROL_CHARACTER)
    return value


def _known_lvv(value: str, info: ValidationInfo) -> str:
    if value not in info.context["locations"]:
        raise _error(UNKNOWN_LVV)
    return value


def _not_after_today(future: Promise) -> Callable[[str, ValidationInfo], datetime.date]:
    """A real day (not 2019-02-30), not after the day of the import."""

    def check(value: str, info: ValidationInfo) -> datetime.date:
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            raise _error(NOT_A_DATE) from None
        if day > info.context["today"]:
            raise _error(future)
        return day

    return check


def _in_date_range(value: str) -> str:
    """A real day from 2000 to 2099 (it may lie ahead), kept as its ISO text."""
    try:
        within_date_range(datetime.date.fromisoformat(value))
    except ValueError:
        raise _error(NOT_A_DATE) from None
    except DjangoValidationError as error:
        raise _error(error.messages[0]) from None
    return value


def _default(default: bool) -> Callable[[bool | None], bool]:
    return lambda value: default if value is None else value


# Each type: pydantic's (strict) type and constraints, our own check of the value where pydantic
# has none (``AfterValidator``), and what pydantic's errors on it say (``Says``).
IsoDate = Annotated[str, StringConstraints(strict=True, pattern=_DATE_PATTERN)]
Name = Annotated[
    StrictStr,
    AfterValidator(_text(max_length=NAME_MAX_LENGTH, one_line=True, required=True)),
    Says(NOT_TEXT),
]
ExternalId = Annotated[StrictStr, AfterValidator(_external_id), Says(NOT_TEXT)]
Lvv = Annotated[StrictStr, AfterValidator(_known_lvv), Says(NOT_TEXT)]
VNumber = Annotated[
    Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9]{10}$")] | None, Says(V_NUMBER_INVALID)
]
EventDate = Annotated[IsoDate, AfterValidator(_not_after_today(DATE_IN_FUTURE)), Says(NOT_A_DATE)]
BirthDate = Annotated[Annotated[IsoDate, AfterValidator(_not_after_today(BIRTH_DATE_FUTURE))] | None, Says(NOT_A_DATE)]
Country = Annotated[Literal[COUNTRY_CODES] | None, Says(COUNTRY_INVALID)]
Count = Annotated[Annotated[StrictInt, Interval(ge=0, le=MAX_PRIOR_PROCEDURES)] | None, Says(NOT_A_COUNT)]
CaseTypes = Annotated[
    Annotated[list[Literal[CASE_TYPES]], Field(strict=True)] | None,
    Says(NOT_A_LIST, item=_choice(CASE_TYPES, null_is_missing=False)),
]


def _flag(default: bool) -> Any:
    """true or false; missing or null: ``default``."""
    return Annotated[StrictBool | None, AfterValidator(_default(default)), Says(NOT_BOOLEAN)]


def _event_field(spec: EventField) -> tuple[Any, Any]:
    """The type and default of an event's extra field, from its declaration."""
    if spec.kind == "text":
        clean = _text(max_length=TEXT_MAX, one_line=False, required=spec.required)
        type_: Any = Annotated[StrictStr, AfterValidator(clean)]
        says = Says(NOT_TEXT)
    elif spec.kind == "country":
        return Country, None
    elif spec.kind == "bool":
        return _flag(False), False
    elif spec.kind == "date":
        type_, says = Annotated[IsoDate, AfterValidator(_in_date_range)], Says(NOT_A_DATE)
    else:
        type_, says = Literal[spec.choices], _choice(spec.choices)
    if spec.required:
        return Annotated[type_, says], ...
    return Annotated[type_ | None, says], None


# --- The models ------------------------------------------------------------------------------------
_FORBID = ConfigDict(extra="forbid")


class PersonModel(BaseModel):
    model_config = _FORBID

    v_number: VNumber = None
    family_name: Name
    given_names: Name
    birth_date: BirthDate = None
    sex: Annotated[Literal[tuple(Sex.values)] | None, _choice(tuple(Sex.values))] = None
    nationality: Country = None


class EventModel(BaseModel):
    """An event of a known type (the union's tag): its date and its type's extra fields."""

    model_config = _FORBID

    type: str
    date: EventDate


class _AdmittedEvent(EventModel):
    @field_validator("exception_reason", check_fields=False)
    @classmethod
    def _reason_needs_an_exception(cls, reason: str | None, info: ValidationInfo) -> str | None:
        if reason and not info.data.get("exception"):
            raise _error(REASON_WITHOUT_EXCEPTION)
        return reason


class _OutflowEvent(EventModel):
    @model_validator(mode="after")
    def _country_and_confirmation(self) -> "_OutflowEvent":
        values = self.__dict__
        if values["category"] in DEPARTURES and not values["country"]:
            raise _error(COUNTRY_REQUIRED, field_name="country")
        if values["verified"] and values["category"] not in DURABLE_CATEGORIES:
            raise _error(VERIFIED_NOT_DURABLE, field_name="verified")
        return self


_EVENT_BASES: dict[str, type[EventModel]] = {"admitted": _AdmittedEvent, "outflow": _OutflowEvent}
_UNKNOWN_TYPE = "?"  # the union's tag for an event that is no object or names no type of this version


def event_model(type_: str, fields: tuple[EventField, ...]) -> type[EventModel]:
    """The model of an event type, from its fields' declarations."""
    name = "".join(part.title() for part in type_.split("_")) + "Event"
    declared = {spec.name: _event_field(spec) for spec in fields}
    return create_model(name, __base__=_EVENT_BASES.get(type_, EventModel), **declared)


def _unknown_type_model(types: tuple[str, ...]) -> type[BaseModel]:
    """An event whose type is not one of ``types``: the type and the date say what is wrong."""
    return create_model(
        "UnknownTypeEvent",
        __config__=ConfigDict(extra="ignore"),
        type=(Annotated[Literal[types], _choice(types)], ...),
        date=(EventDate, ...),
    )


def _tag_of(types: dict) -> Callable[[Any], str]:
    def tag(value: Any) -> str:
        if isinstance(value, dict):
            type_ = value.get("type")
            if isinstance(type_, str) and type_ in types:
                return type_
        return _UNKNOWN_TYPE

    return tag


def line_model(schemas: tuple[str, ...], events_type: Any, wrong_schema: Callable[[], str]) -> type[BaseModel]:
    """The top level of a line of a version: ``schemas``, the versions there are; ``events_type``,
    the list of the version's events (``LineFormat``)."""

    class LineModel(BaseModel):
        model_config = _FORBID

        schema_: Annotated[Literal[schemas], Says(wrong_schema, null_is_missing=False)] = Field(alias="schema")
        external_id: ExternalId
        lvv: Lvv
        within_covenant: _flag(True) = True
        person: Annotated[PersonModel, Says(NOT_AN_OBJECT_FIELD)]
        case_types: CaseTypes = None
        prior_departure_procedures: Count = None
        events: events_type

    return LineModel


# --- One version of the format ------------------------------------------------------------------------
@dataclass
class Reading:
    """What reading a line found: ``line`` when every field is valid; else the ``errors``
    (field path, message) and, when all events are valid, the ``events`` all the same (the
    rules across events are checked on a line with other faults too)."""

    line: Any
    events: list[EventModel] | None
    within_covenant: bool
    errors: list[tuple[str, str]]


class LineFormat:
    """The models of a line of one version, which may hold the event types ``types``; built
    once per version (and again when a later version registers)."""

    def __init__(self, schemas: tuple[str, ...], types: dict[str, tuple[EventField, ...]], wrong_schema):
        models: dict[str, type[BaseModel]] = {name: event_model(name, fields) for name, fields in types.items()}
        models[_UNKNOWN_TYPE] = _unknown_type_model(tuple(types))
        event = Annotated[
            Union[tuple(Annotated[model, Tag(name)] for name, model in models.items())],  # noqa: UP007
            Discriminator(_tag_of(types)),
        ]
        events_type = Annotated[
            list[event],
            Field(strict=True, min_length=1),
            Says(NOT_A_LIST, empty=EVENTS_EMPTY, item=Says(NOT_AN_OBJECT_FIELD, null_is_missing=False)),
        ]
        self.line = line_model(schemas, events_type, wrong_schema)
        self.events = TypeAdapter(events_type)
        self._says = _says_of(self.line, models)
        self._order = {name: index for index, name in enumerate(_names(self.line))}

    def read(self, obj: dict, context: dict) -> Reading:
        """Validate the line ``obj``; ``context``: ``today`` and the ``locations`` by slug."""
        repeated = _repeated_case_types(obj.get("case_types"))
        try:
            line = self.line.model_validate(obj, context=context)
        except ValidationError as exc:
            errors = [self._explain(error) for error in exc.errors(include_url=False)]
            events = None
            if not any(loc[0] == "events" for loc, _kind, _message in errors):
                events = self.events.validate_python(obj["events"], context=context)
            flag = obj.get("within_covenant")
            within_covenant = flag if isinstance(flag, bool) else True
            return Reading(None, events, within_covenant, self._in_order(errors + repeated))
        if repeated:
            return Reading(None, line.events, line.within_covenant, self._in_order(repeated))
        return Reading(line, line.events, line.within_covenant, [])

    def _explain(self, error: dict) -> tuple[tuple, str, str]:
        """pydantic's error as (location, error type, message); the union's tag left out of the location."""
        loc, kind = error["loc"], error["type"]
        key: tuple = tuple("*" if isinstance(part, int) else part for part in loc)
        if loc[0] == "events" and len(loc) > 2:
            loc = (*loc[:2], *loc[3:])
            key = ("events", *key[2:]) if len(key) > 3 else ("events", "*")
        if kind == "missing":
            message = str(REQUIRED)
        elif kind == "extra_forbidden":
            message = str(UNKNOWN_FIELD)
        elif kind == _OWN_ERROR:
            message = error["msg"]
            if error["ctx"]["field"]:
                loc = (*loc, error["ctx"]["field"])
        else:
            says = self._says[key]
            if says.null_is_missing and error["input"] is None:
                message = str(REQUIRED)
            elif kind == "too_short" and says.empty is not None:
                message = _say(says.empty)
            else:
                message = _say(says.message)
        return loc, kind, message

    def _in_order(self, errors: list[tuple[tuple, str, str]]) -> list[tuple[str, str]]:
        """The order of the contract's fields; unknown fields first, in an event after its type
        and date. (pydantic gives each model's fields in order, then its unknown fields.)"""

        def key(item: tuple[int, tuple[tuple, str, str]]) -> tuple:
            index, (loc, kind, _message) = item
            unknown = kind == "extra_forbidden"
            if len(loc) == 1:
                return (-1 if unknown else self._order[loc[0]], 0, 0, index)
            head = self._order[loc[0]]
            if loc[0] == "events":
                within = 0 if len(loc) == 2 or loc[2] in ("type", "date") else 1 if unknown else 2
                return (head, loc[1], within, index)
            if loc[0] == "case_types":
                return (head, loc[1], 0, index)
            return (head, 0 if unknown else 1, 0, index)  # person

        ordered = sorted(enumerate(errors), key=key)
        return [(_path(loc), message) for _index, (loc, _kind, message) in ordered]


def event_values(model: BaseModel) -> dict[str, Any]:
    """An event's extra fields, defaults filled in."""
    values = dict(model.__dict__)
    del values["type"], values["date"]
    return values


def _repeated_case_types(case_types: Any) -> list[tuple[tuple, str, str]]:
    """A case type named again (a valid one: a wrong one is pydantic's)."""
    if not isinstance(case_types, list) or len(case_types) < 2:
        return []
    seen: set[str] = set()
    repeated = []
    for index, value in enumerate(case_types):
        if isinstance(value, str) and value in CASE_TYPES:
            if value in seen:
                repeated.append((("case_types", index), "repeated", str(DUPLICATE_CASE_TYPE)))
            seen.add(value)
    return repeated


def _names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _says_of(line: type[BaseModel], events: dict[str, type[BaseModel]]) -> dict[tuple, Says]:
    """Each field's ``Says`` by its location (list indexes as ``*``, an event's fields under its type)."""
    found: dict[tuple, Says] = {}

    def add(prefix: tuple, model: type[BaseModel]) -> None:
        for name, info in model.model_fields.items():
            says = next((item for item in info.metadata if isinstance(item, Says)), None)
            if says is not None:
                found[(*prefix, info.alias or name)] = says
                if says.item is not None:
                    found[(*prefix, info.alias or name, "*")] = says.item

    add((), line)
    add(("person",), PersonModel)
    for type_, model in events.items():
        add(("events", type_), model)
    return found


def _path(loc: tuple) -> str:
    """``("events", 3, "date")`` as ``events[3].date``."""
    path = ""
    for index, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if index else part
    return path
