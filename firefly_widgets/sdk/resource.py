"""What every resource class shares: list/get/delete, name look-ups, enum arguments and waiting.

Also the factories of the classmethods that differ only in their route and docstring
(:func:`id_getter`, :func:`notes_editor`), so that each is written once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Any, ClassVar, TypeVar

from firefly_widgets.sdk.config import get_client
from firefly_widgets.sdk.errors import InvalidRequestError, NotFoundError, WaitTimeoutError
from firefly_widgets.sdk.response import FireflyResponse

__all__ = [
    "FINAL_STATES",
    "APIResource",
    "GeneratedClassmethod",
    "NamedResource",
    "enum_value",
    "enum_values",
    "id_getter",
    "notes_editor",
    "to_member",
    "wait_for_final_state",
]

#: States after which a resource no longer changes on its own (the official client's list).
FINAL_STATES = frozenset({"AVAILABLE", "CREATED", "CANCELED", "FAILED", "COMPLETED", "ABORTED"})
#: Longest pause, in seconds, between two polls of ``wait=True`` calls (they start faster).
POLL_INTERVAL = 1.0

E = TypeVar("E", bound=Enum)


def enum_value(enum_cls: type[E], value: Any, field: str) -> Any:
    """Return the wire value of ``value``, given as an ``enum_cls`` member or as its value.

    Args:
        enum_cls: the enumeration, e.g. ``TargetMetric``.
        value: a member (``TargetMetric.AUC``), a value (``"auc"``), or ``None``.
        field: the argument's name, for the error message.

    Returns:
        The member's value, or ``None`` when ``value`` is ``None``.

    Raises:
        InvalidRequestError: ``value`` is neither; the message lists the valid values.

    Example:
        >>> from firefly_widgets.enums import TargetMetric
        >>> enum_value(TargetMetric, "auc", "target_metric"), enum_value(TargetMetric, TargetMetric.R2, "m")
        ('auc', 'r2')
    """
    if value is None:
        return None
    return to_member(enum_cls, value, field).value


def to_member(enum_cls: type[E], value: Any, field: str) -> E:
    """Return the ``enum_cls`` member for a member or a value; see :func:`enum_value`."""
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, Enum):
        value = value.value  # e.g. the official client's enum member
    try:
        return enum_cls(value)
    except ValueError:
        valid = ", ".join(sorted({str(m.value) for m in enum_cls}))
        raise InvalidRequestError(
            f"{field}: {value!r} is not a valid {enum_cls.__name__}; valid values are {valid}"
        ) from None


def enum_values(enum_cls: type[E], values: Iterable[Any] | None, field: str) -> list[Any] | None:
    """Return the wire values of a list of members or values (``None`` stays ``None``).

    Raises:
        InvalidRequestError: an item is not valid, or ``values`` is a single string instead of a list.
    """
    if values is None:
        return None
    if isinstance(values, str | Enum):
        raise InvalidRequestError(f"{field} must be a list of {enum_cls.__name__} values, got {values!r}")
    return [enum_value(enum_cls, v, field) for v in values]


def wait_for_final_state(
    getter: Callable[..., FireflyResponse],
    id: int,
    *,
    state_field: str = "state",
    max_time: float | None = 1800,
    poll_interval: float | None = None,
    api_key: str | None = None,
) -> FireflyResponse:
    """Poll ``getter(id)`` until its ``state_field`` is one of :data:`FINAL_STATES`.

    Polls start every 0.25 s and slow down to ``poll_interval`` (default :data:`POLL_INTERVAL`).

    Args:
        getter: e.g. ``Task.get``.
        id: the resource id.
        state_field: ``"state"``, or ``"stage"`` for predictions.
        max_time: seconds before giving up (``None``: wait forever).
        poll_interval: the longest pause between two polls.
        api_key: passed on to ``getter``.

    Returns:
        FireflyResponse: the last answer, in a final state.

    Raises:
        WaitTimeoutError: still not final after ``max_time`` seconds (also a ``TimeoutError``).
    """
    longest = POLL_INTERVAL if poll_interval is None else poll_interval
    deadline = None if max_time is None else time.monotonic() + max_time
    pause = min(0.25, longest)
    while True:
        response = getter(id, api_key=api_key)
        state = response[state_field]
        if state in FINAL_STATES:
            return response
        if deadline is not None and time.monotonic() + pause > deadline:
            raise WaitTimeoutError(
                f"{getattr(getter, '__qualname__', 'resource')} {id} is still {state_field}={state!r} after "
                f"{max_time:g} s; it keeps running on the service - poll it again later."
            )
        time.sleep(pause)
        pause = min(pause * 2, longest)


def _filter_params(filter_: Mapping[str, Any] | None) -> list[str] | None:
    """``{"name": ["a", "b"], "state": "RUNNING"}`` -> ``["name:a", "name:b", "state:RUNNING"]``."""
    if not filter_:
        return None
    params = []
    for field, values in filter_.items():
        if isinstance(values, str | bytes | int | float | Enum) or values is None:
            values = [values]
        for value in values:
            params.append(f"{field}:{value.value if isinstance(value, Enum) else value}")
    return params


def _sort_params(sort: Mapping[str, Any] | None) -> list[str] | None:
    """``{"creation_date": "desc", "name": "asc"}`` -> ``["creation_date:desc", "name:asc"]`` (order kept)."""
    if not sort:
        return None
    return [f"{field}:{direction}" for field, direction in sort.items()]


class GeneratedClassmethod(classmethod):
    """A classmethod made by a factory function, named after the attribute it is assigned to.

    Without this, ``repr``, ``help()`` and tracebacks would show the factory's inner function instead
    of e.g. ``Ensemble.get_model_presentation``. ``{kind}`` in the docstring becomes the owner's kind
    (``"ensemble"``, ``"task"``, ...).
    """

    def __set_name__(self, owner: type, name: str) -> None:
        func = self.__func__
        func.__module__, func.__name__ = owner.__module__, name
        func.__qualname__ = f"{owner.__qualname__}.{name}"
        func.__doc__ = (func.__doc__ or "").replace("{kind}", getattr(owner, "_KIND", owner.__name__).lower())
        for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(self, attribute, getattr(func, attribute))


def id_getter(route: str, summary: str, returns: str, *, raises: str = "",
              then: Callable[[FireflyResponse], FireflyResponse] | None = None) -> GeneratedClassmethod:
    """Make a ``get_...(cls, id, api_key=None)`` classmethod that GETs one route of a resource.

    Args:
        route: the route, with ``{prefix}`` (the collection, e.g. ``"datasources"``) and ``{id}``.
        summary: the first line of the docstring.
        returns: what the ``FireflyResponse`` holds, for the docstring.
        raises: why else ``NotFoundError`` is raised, for the docstring (e.g. ``", or it has no such report"``).
        then: applied to the response before it is returned.

    Returns:
        GeneratedClassmethod: to assign to a class attribute, e.g.
        ``get_base_types = id_getter("{prefix}/{id}/data_types/base", ...)``.
    """

    def getter(cls: type[APIResource], id: int, api_key: str | None = None) -> FireflyResponse:
        response = cls._request("GET", route.format(prefix=cls.class_url(), id=id), api_key=api_key)
        return then(response) if then is not None else response

    getter.__doc__ = f"""{summary}

        Args:
            id: the {{kind}} id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: {returns}.

        Raises:
            NotFoundError: no {{kind}} has this id{raises}.
        """
    return GeneratedClassmethod(getter)


def notes_editor() -> GeneratedClassmethod:
    """Make the ``edit_notes(cls, id, notes, api_key=None)`` classmethod of the resources with notes."""

    def edit_notes(cls: type[APIResource], id: int, notes: str, api_key: str | None = None) -> FireflyResponse:
        """Replace the {kind}'s notes.

        Args:
            id: the {kind} id.
            notes: the new notes.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the service's answer (for a task: ``task_id``).

        Raises:
            NotFoundError: no {kind} has this id.

        Example:
            >>> Task.edit_notes(12, "baseline")["task_id"]                   # doctest: +SKIP
            12
        """
        return cls._request("PUT", f"{cls.class_url()}/{id}/notes", json={"notes": notes}, api_key=api_key)

    return GeneratedClassmethod(edit_notes)


class APIResource:
    """Base of the resource classes (:class:`Task`, :class:`Dataset`, ...): ``list``, ``get`` and ``delete``.

    Subclasses set ``_CLASS_PREFIX`` (the collection's route, e.g. ``"tasks"``) and ``_KIND`` (the
    name in messages, e.g. ``"Task"``) and inherit the classmethods below, with the official client's
    arguments. The classes hold no state: every call goes through the shared, thread-safe client of
    :func:`get_client`, and raises the :class:`FireflyError` subclasses it translates.
    """

    _CLASS_PREFIX: ClassVar[str] = ""
    _KIND: ClassVar[str] = "Resource"

    @classmethod
    def class_url(cls) -> str:
        """The collection's route, e.g. ``"tasks"``."""
        if not cls._CLASS_PREFIX:
            raise NotImplementedError("APIResource is abstract; use Task, Dataset, Datasource, ...")
        return cls._CLASS_PREFIX

    @classmethod
    def _request(cls, method: str, path: str, *, api_key: str | None = None, **kwargs: Any) -> FireflyResponse:
        return get_client().request(method, path, api_key=api_key, **kwargs)

    @classmethod
    def list(
        cls,
        search_term: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        sort: Mapping[str, str] | None = None,
        filter_: Mapping[str, Any] | None = None,
        api_key: str | None = None,
    ) -> FireflyResponse:
        """List the resources of this class (tasks, datasets, ...), with search, filters, sorting and pagination.

        Args:
            search_term: keep only the resources with this text in any field.
            page: the page to return (0-based).
            page_size: resources per page.
            sort: ``{field: "asc" | "desc"}``, applied in order.
            filter_: ``{field: [values]}``; several values of a field mean OR, several fields AND
                (e.g. ``{"task_id": [12], "stage": ["TASK"]}`` for ensembles).
            api_key: a token for this call only.

        Returns:
            FireflyResponse: ``hits`` (the resources of the page) and ``total`` (all matching resources).

        Raises:
            InvalidRequestError: a bad field or value.

        Example:
            >>> Task.list(filter_={"state": ["RUNNING"]}, sort={"creation_date": "desc"})["total"]  # doctest: +SKIP
            2
        """
        params = {
            "search_all_columns": search_term,
            "page": page,
            "page_size": page_size,
            "sort": _sort_params(sort),
            "filter": _filter_params(filter_),
        }
        return cls._request("GET", cls.class_url(), params=params, api_key=api_key)

    @classmethod
    def get(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """Get one resource of this class by its id (a task's state and configuration, a dataset's target, ...).

        Args:
            id: the resource id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the resource object (``id``, ``name``, ``state`` or ``stage``, ...).

        Raises:
            NotFoundError: no resource of this class has this id (an :class:`InvalidRequestError`).

        Example:
            >>> Task.get(12)["state"]                                        # doctest: +SKIP
            'RUNNING'
        """
        return cls._request("GET", f"{cls.class_url()}/{id}", api_key=api_key)

    @classmethod
    def delete(cls, id: int, api_key: str | None = None) -> FireflyResponse:
        """Delete one resource of this class (a running task is stopped first).

        Args:
            id: the resource id.
            api_key: a token for this call only.

        Returns:
            FireflyResponse: ``{"result": True}``.

        Raises:
            NotFoundError: no resource of this class has this id.
        """
        return cls._request("DELETE", f"{cls.class_url()}/{id}", api_key=api_key)


class NamedResource(APIResource):
    """A resource with unique names (:class:`Task`, :class:`Dataset`, :class:`Datasource`): adds
    :meth:`get_by_name` and the ``skip_if_exists`` check of ``create``."""

    @classmethod
    def get_by_name(cls, name: str, api_key: str | None = None) -> FireflyResponse:
        """Get the resource of this class named ``name`` (the same as listing with ``filter_={"name": [name]}``).

        Args:
            name: the resource name (for an uploaded datasource: the file's base name, e.g. ``iris.csv``).
            api_key: a token for this call only.

        Returns:
            FireflyResponse: the resource object.

        Raises:
            NotFoundError: no resource of this class has this name (an :class:`APIError`, as in the
                official client).

        Example:
            >>> Task.get_by_name("iris-task")["id"]                           # doctest: +SKIP
            12
        """
        record = cls._find_by_name(name, api_key=api_key)
        if record is None:
            raise NotFoundError(f"{cls._KIND} with the name {name!r} does not exist")
        return FireflyResponse(data=record)

    @classmethod
    def _find_by_name(cls, name: str, api_key: str | None = None) -> dict[str, Any] | None:
        """The first record named ``name``, or None."""
        found = cls.list(filter_={"name": [name]}, api_key=api_key)
        hits = found["hits"] or []
        return hits[0] if (found["total"] or 0) > 0 and hits else None

    @classmethod
    def _refuse_duplicate(cls, name: str, skip_if_exists: bool, api_key: str | None) -> FireflyResponse | None:
        """Return the existing record when ``skip_if_exists``; raise when a record has that name."""
        existing = cls._find_by_name(name, api_key=api_key)
        if existing is None:
            return None
        if skip_if_exists:
            return FireflyResponse(data=existing)
        raise InvalidRequestError(
            f"{cls._KIND} with the name {name!r} already exists (id {existing.get('id')}); "
            "choose another name or pass skip_if_exists=True to reuse it"
        )
