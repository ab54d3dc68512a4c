"""Error responses: validation errors that name fields as clients spell them.

Litestar reports a bad query, path, header or cookie parameter under its *Python* name
(``min_anomaly``) and echoes the full URL, query string included, in ``detail``. This handler
renames the key to the parameter's wire name (``minAnomaly``, as body errors already use the
camelCase field name), lists the allowed values when the parameter is a ``Literal`` and drops
the query string from ``detail`` (it may carry ``?token=``, and it repeats unbounded input).
The response keeps Litestar's shape: ``{"status_code", "detail", "extra": [{"message",
"key", "source"}]}``.
"""

from __future__ import annotations

import typing
from typing import Any, Literal

from litestar import MediaType, Request, Response
from litestar.exceptions import ValidationException
from litestar.params import ParameterKwarg

__all__ = ["validation_error_handler"]

_PARAM_SOURCES = frozenset({"query", "path", "header", "cookie"})
_PREFIX = "Validation failed for "


def _literal_values(annotation: Any) -> list[Any]:
    """The values of a ``Literal`` inside ``annotation`` (through ``Optional``/``Annotated``)."""
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return list(typing.get_args(annotation))
    out: list[Any] = []
    for arg in typing.get_args(annotation):
        out.extend(_literal_values(arg))
    return out


def _wire_params(request: Request[Any, Any, Any]) -> dict[str, tuple[str, list[Any]]]:
    """``{python name: (wire name, allowed literal values)}`` of the handler's parameters."""
    try:
        params = request.route_handler.parsed_fn_signature.parameters
    except (AttributeError, KeyError):  # no handler resolved (e.g. 404/405 paths)
        return {}
    out: dict[str, tuple[str, list[Any]]] = {}
    for name, field in params.items():
        kwarg = field.kwarg_definition
        wire = kwarg.name if isinstance(kwarg, ParameterKwarg) and kwarg.name else name
        out[name] = (wire, _literal_values(field.annotation))
    return out


def _rewrite(item: dict[str, Any], params: dict[str, tuple[str, list[Any]]]) -> dict[str, Any]:
    if item.get("source") not in _PARAM_SOURCES or item.get("key") not in params:
        return item
    wire, allowed = params[item["key"]]
    message = str(item.get("message", ""))
    if allowed and "allowed:" not in message:
        message += "; allowed: " + ", ".join(repr(v) for v in allowed if v is not None)
    return {**item, "key": wire, "message": message}


def validation_error_handler(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    """Render a 400 whose ``extra[].key`` is the field's wire name and ``detail`` has no query.

    Args:
        request: The failing request.
        exc: The validation error raised by Litestar (parameters or body) or by a handler.

    Returns:
        A JSON 400 response in Litestar's error shape.
    """
    detail = str(exc.detail)
    if detail.startswith(_PREFIX):
        detail = f"{_PREFIX}{request.method} {request.url.path}"
    extra = exc.extra
    if isinstance(extra, list):
        params = _wire_params(request)
        extra = [_rewrite(i, params) if isinstance(i, dict) else i for i in extra]
    body: dict[str, Any] = {"status_code": exc.status_code, "detail": detail}
    if extra:
        body["extra"] = extra
    return Response(
        body, status_code=exc.status_code, headers=exc.headers, media_type=MediaType.JSON
    )
