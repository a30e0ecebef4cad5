"""Registries through which higher apps add to the case page (ADR 0009: a lower app learns
of a higher one through a small registry the higher app fills in its ``AppConfig.ready``).

- ``register_section(section)``: a section of the case page. ``section(request, case,
  context)`` returns the section's context (with ``template``, the template that renders
  it), or None to show nothing; ``templates/cases/case_detail.html`` includes each. The
  context it gets is the page's own (read it, do not change it).
- ``register_step_hint(hint)``: ``hint(user, case)`` returns a ``StepHint`` (or None) when
  the records make one step the obvious next one (a granted residence application: the
  outflow ``residence_granted``). ``selectors.available_steps`` lists hinted steps first;
  the case page opens the first hinted step with the hint's initial values and reason.
- ``register_event_details(describe)``: ``describe(event)`` returns the words for the
  timeline of an event type the higher app writes (or None for other types).
- ``register_work_queue(part)``: ``part(request)`` returns what the higher app adds to the
  start page's work queue (the LSO: the user's open actions and unread notices), merged
  into its context; ``templates/home.html`` shows it.

Each hint function is asked once per case object (the answer is kept on the object), so a
page asks a fixed number of queries however many callers look.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StepHint:
    """The step ``step`` (a name in ``cases.workflow.STEPS``) is the obvious next one, with
    these ``initial`` values for its form and this ``reason`` (Dutch) to show beside it."""

    step: str
    reason: str = ""
    initial: dict[str, Any] = field(default_factory=dict)


Section = Callable[..., dict | None]
Hint = Callable[..., StepHint | None]
Describe = Callable[..., str | None]
WorkQueuePart = Callable[..., dict]

_sections: list[Section] = []
_hints: list[Hint] = []
_describers: list[Describe] = []
_work_queue_parts: list[WorkQueuePart] = []


def _add(registry: list, fn) -> None:
    if fn not in registry:
        registry.append(fn)


def register_section(section: Section) -> Section:
    _add(_sections, section)
    return section


def register_step_hint(hint: Hint) -> Hint:
    _add(_hints, hint)
    return hint


def register_event_details(describe: Describe) -> Describe:
    _add(_describers, describe)
    return describe


def register_work_queue(part: WorkQueuePart) -> WorkQueuePart:
    _add(_work_queue_parts, part)
    return part


def work_queue_context(request) -> dict:
    """What the higher apps add to the work queue's context."""
    context: dict = {}
    for part in _work_queue_parts:
        context.update(part(request))
    return context


def step_hints(user, case) -> list[StepHint]:
    """The hints for ``case`` as ``user`` sees it (asked once per case object)."""
    cache = case.__dict__.setdefault("_step_hints", {})
    key = getattr(user, "pk", None)
    if key not in cache:
        cache[key] = [hint for fn in _hints if (hint := fn(user, case)) is not None]
    return cache[key]


def case_sections(request, case, context: dict) -> list[dict]:
    return [section for fn in _sections if (section := fn(request, case, context))]


def event_details(event) -> str:
    for describe in _describers:
        text = describe(event)
        if text:
            return str(text)
    return ""


def page_context(request, case, context: dict, *, make_form: Callable[..., Any]) -> dict:
    """What the higher apps add to the case page's context: ``case_sections`` (each a dict
    with its ``template``), the case types with their notes (``case_type_notes`` of a
    section: a pending repeat asylum application), and the hinted step opened."""
    sections = case_sections(request, case, context)
    labels = list(context.get("case_type_labels", []))
    for section in sections:
        labels.extend(section.get("case_type_notes", []))
    apply_step_hints(request, case, context.get("step_forms", []), make_form)
    return {"case_sections": sections, "case_type_labels": labels}


def apply_step_hints(request, case, step_forms: list[dict], make_form: Callable[..., Any]) -> None:
    """Open the first hinted step on the case page, with the hint's initial values and its
    reason, unless the user asked for another step or posted one (the page's own choice)."""
    hints = {hint.step: hint for hint in reversed(step_hints(request.user, case))}
    if not hints or request.method == "POST" or request.GET.get("step"):
        return
    for entry in step_forms:
        hint = hints.get(entry["name"])
        if hint is None:
            continue
        for other in step_forms:
            other["open"] = False
        entry.update(open=True, hint=hint.reason, hinted=True)
        if hint.initial:
            entry["form"] = make_form(entry["name"], hint.initial)
        return
