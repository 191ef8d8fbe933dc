"""Deep recursion under :func:`call_with_room` stays in one frame-stack
chunk: measured by the page faults of a recursion that goes deep and back
thousands of times, as layout does for every box."""

from __future__ import annotations

import subprocess
import sys

import pytest

from storyexport.compat.cpython import call_with_room

PROBE = """
import resource
from storyexport.compat.cpython import call_with_room

def dive(n):
    return 0 if n == 0 else 1 + dive(n - 1)

def oscillate():
    for _ in range(3000):
        dive(400)

def faults(fn):
    fn()  # first use: whatever one-off memory it needs
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    fn()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

print(faults(oscillate), faults(lambda: call_with_room(oscillate)))
"""


def test_recursion_under_room_maps_no_new_stack_chunks() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    plain, roomy = map(int, out.stdout.split())
    assert plain >= 3000, f"without room every dive should map a fresh chunk ({plain} faults)"
    assert roomy < plain // 10, f"{roomy} page faults with room, {plain} without"


def test_call_with_room_is_a_plain_call() -> None:
    assert call_with_room(lambda a, b=1, *, c: (a, b, c), 1, c=3) == (1, 1, 3)
    with pytest.raises(KeyError):
        call_with_room({}.__getitem__, "missing")
