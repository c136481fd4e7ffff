"""An atomic counter for handing out blocks of rows to numba's threads as they become free.

numba's OpenMP layer splits a `prange` statically: with two threads each gets half the blocks, and if the other
tenants of a shared machine slow one core, the other waits at the end of the pass. `take_block` lets every thread
take the next unclaimed block instead (dynamic scheduling). Which thread runs a block never changes a result: each
block writes only its own rows and its own slots of the per-block counts.
"""

from __future__ import annotations

from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def take_block(typingctx, counter):
    """Atomically add one to `counter[0]` (an int64 array) and return the value it had: the block to run."""
    if not (isinstance(counter, types.Array) and counter.dtype == types.int64):
        return None
    sig = types.int64(counter)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [context.get_constant(types.intp, 0)])
        return builder.atomic_rmw("add", ptr, context.get_constant(types.int64, 1), "monotonic")

    return sig, codegen
