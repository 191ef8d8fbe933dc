"""Room on CPython's frame stack for deeply recursive work.

CPython (3.11 and later) keeps Python frames on a stack of memory chunks of
16 KB. A call that does not fit in the current chunk maps a new one, and
returning from the first frame of a chunk unmaps it at once. Layout engines
recurse tens of frames deep and back for every box, so the stack keeps
crossing a chunk boundary: a WeasyPrint article made about 700 ``mmap`` and
``munmap`` calls and as many page faults, 3-5 ms of system time in 120 ms.

A chunk is made large enough for the frame that needs it (to the next power
of two). :func:`call_with_room` calls through a function whose frame asks
for :data:`SLOTS` slots of evaluation stack it never uses: that frame starts
a 1 MiB chunk and leaves half of it to the frames of the call, so the work
below it grows and shrinks inside one chunk, mapped once per call. Where the
interpreter keeps frames elsewhere, the padding changes nothing.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

SLOTS = 65_000
"""Unused evaluation-stack slots of the calling frame: 520 KB, which CPython
rounds up to a 1 MiB chunk (the frames below get the other half)."""


def _call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return fn(*args, **kwargs)


def _roomy() -> Callable[..., Any]:
    code = _call.__code__
    try:
        code = code.replace(co_stacksize=code.co_stacksize + SLOTS)
    except (TypeError, ValueError):  # an interpreter whose code objects do not take this
        return _call
    return types.FunctionType(code, _call.__globals__, "_call_with_room")


_CALL = _roomy()


def call_with_room(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, its frames kept in one chunk (see above)."""
    result: T = _CALL(fn, args, kwargs)
    return result
