"""Search, filter, sort and page a collection, the way the wire protocol's list endpoints do.

``search_all_columns`` matches free text against every listed column, ``filter`` takes ``field:value``
items (values of one field are ORed, fields are ANDed), ``sort`` takes ``field:asc|desc`` items, and
``page`` / ``page_size`` cut the result. Unknown fields are a :class:`ListQueryError` naming the field
and the valid ones, never silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Collection", "ListQuery", "ListQueryError", "MAX_PAGE_SIZE"]

MAX_PAGE_SIZE = 1000


class ListQueryError(ValueError):
    """A list parameter that names an unknown field or has a malformed value."""


@dataclass(frozen=True)
class ListQuery:
    search: str | None = None
    page: int = 0
    page_size: int = 100
    sort: tuple[str, ...] = ()
    filter: tuple[str, ...] = ()


@dataclass(frozen=True)
class Collection:
    """A table as its list endpoint sees it.

    Attributes:
        table: the SQL table.
        columns: public field name -> SQL column, for filter and sort.
        search_columns: the SQL columns free text is matched against.
        default_sort: the SQL ORDER BY used when no sort is given (newest first).
        numeric: public fields whose filter values are numbers.
        unique: public fields with unique values: a sort on one needs no tie-break, so SQLite can walk
            that column's index instead of sorting every matching row.
    """

    table: str
    columns: dict[str, str]
    search_columns: tuple[str, ...]
    default_sort: str = "id DESC"
    numeric: frozenset[str] = field(default_factory=frozenset)
    unique: frozenset[str] = frozenset({"id"})

    def _column(self, name: str, what: str) -> str:
        try:
            return self.columns[name]
        except KeyError:
            valid = ", ".join(sorted(self.columns))
            raise ListQueryError(f"{what}: unknown field {name!r}; valid fields are {valid}") from None

    def where(self, query: ListQuery, base: str | None = None,
              base_params: list | None = None) -> tuple[str, list]:
        clauses: list[str] = [base] if base else []
        params: list = list(base_params or [])
        if query.search:
            term = f"%{query.search.replace('%', '').replace('_', '')}%"
            clauses.append("(" + " OR ".join(f"CAST({c} AS TEXT) LIKE ?" for c in self.search_columns) + ")")
            params.extend([term] * len(self.search_columns))
        grouped: dict[str, list[str]] = {}
        for item in query.filter:
            name, sep, value = item.partition(":")
            if not sep:
                raise ListQueryError(f"filter: {item!r} is not of the form field:value")
            grouped.setdefault(name, []).append(value)
        for name, values in grouped.items():
            column = self._column(name, "filter")
            if name in self.numeric:
                try:
                    typed = [float(v) for v in values]
                except ValueError:
                    raise ListQueryError(f"filter: {name} takes numbers, got {values}") from None
            else:
                typed = values
            clauses.append(f"{column} IN ({','.join('?' * len(typed))})")
            params.extend(typed)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def order_by(self, query: ListQuery) -> str:
        parts = []
        for item in query.sort:
            name, _, direction = item.partition(":")
            direction = (direction or "asc").lower()
            if direction not in ("asc", "desc"):
                raise ListQueryError(f"sort: direction of {name!r} must be asc or desc, got {direction!r}")
            parts.append(f"{self._column(name, 'sort')} {direction.upper()}")
            if name in self.unique:
                break  # the order is total: later keys and the tie-break change nothing
        else:
            parts.append(self.default_sort)
        return " ORDER BY " + ", ".join(parts)

    def select(self, query: ListQuery, *, columns: str = "id", base: str | None = None,
               base_params: list | None = None) -> tuple[str, list, str, list]:
        """SQL and parameters for one page (of ids, by default) and for the total count of matching rows.

        Sorting only the ids and then reading the page's rows keeps the sort small however wide rows are.
        """
        if query.page < 0:
            raise ListQueryError(f"page: must be 0 or more, got {query.page}")
        if not 1 <= query.page_size <= MAX_PAGE_SIZE:
            raise ListQueryError(f"page_size: must be between 1 and {MAX_PAGE_SIZE}, got {query.page_size}")
        where, params = self.where(query, base, base_params)
        page_sql = (f"SELECT {columns} FROM {self.table}{where}{self.order_by(query)} LIMIT ? OFFSET ?")
        count_sql = f"SELECT COUNT(*) FROM {self.table}{where}"
        return page_sql, [*params, query.page_size, query.page * query.page_size], count_sql, params
