"""CPython: room on the interpreter's frame stack for deeply recursive work
(the ``frame-stack-room`` shim; see :mod:`storyexport.compat`).

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
below it grows and shrinks inside one chunk, mapped once per call.

Nothing is patched (``CodeType.replace`` is public), but the gain rests on
how CPython 3.11 allocates frames, so the padding is used only on the
interpreter it was measured on; elsewhere :func:`call_with_room` is a plain
call. It saves about 6% of the CPU time of a PDF article (bench/RESULTS.md).
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, TypeVar

from . import shim

T = TypeVar("T")

FRAME_STACK_ROOM = shim("frame-stack-room", {"python": ("cpython-3.11",)},
                        "about 700 stack chunks mapped and unmapped per PDF article")

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
    if not FRAME_STACK_ROOM.active():
        return fn(*args, **kwargs)
    result: T = _CALL(fn, args, kwargs)
    return result
