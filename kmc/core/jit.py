"""The decorator of the event loops: compiled once per machine, without reference counting.

numba counts references to every array a function binds, and an ``inline="always"`` helper binds
its array arguments anew at every call: an atomic increment and decrement per array per call. The
refcount pruning pass removes such pairs only when no loop or branch separates them, so in the
event loop (helpers with loops, called ~20 times per event) they stayed: about a quarter of the
time of an event (measured in pairs, bit-identical: 2 k sites 1293 → 995 ns, default film
1794 → 1321 ns per event).

A kernel owns no array: every array is passed in and outlives the call, so counting references
inside it protects nothing. ``@kernel`` compiles without numba's runtime (NRT); the function and
everything it calls are compiled that way, so none of them may allocate an array, slice-copy or
return a new array. numba refuses such code at compile time ("NRT required but not enabled"),
never silently; ``tests/core/test_hopping.py`` checks that the compiled event loop holds no
reference counting.
"""

from numba import njit

#: ``@kernel``: ``@njit(cache=True)`` without numba's reference counting (``_nrt=False``)
kernel = njit(cache=True, _nrt=False)
