"""Hand out independent tasks to every rank, rank 0 included (schema of a campaign: docs/campaigns.md).

Rank 0 owns the task queue. Other ranks ask it for a task, run it, send back a small result with
their next request. Rank 0 runs tasks too and answers requests between them and, through the
``poll`` callable it passes to its own tasks, while one runs (a simulation calls it every frame).
So ranks stay busy when tasks take different times, and every result reaches rank 0, which is the
only rank that calls ``on_result``.

``mpi4py`` is imported only by :func:`mpi_world`, never by serial use.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections import deque
from contextlib import contextmanager
from typing import Any, Callable, Iterable

#: environment variables set by mpiexec/mpirun/srun launchers (MPICH/Hydra, Open MPI, PMIx, MVAPICH)
MPI_ENV_VARS = ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MV2_COMM_WORLD_SIZE",
                "MPI_LOCALNRANKS")

TAG_REQUEST, TAG_TASK = 11, 12

Work = Callable[[Any, Callable[[], None] | None], Any]
OnResult = Callable[[Any, Any, int], None]


def launched_by_mpi() -> bool:
    """True if an MPI launcher started this process (so importing mpi4py is worth it)."""
    return any(v in os.environ for v in MPI_ENV_VARS)


def mpi_world(use_mpi: bool | None = None):
    """``MPI.COMM_WORLD`` if MPI is wanted (None: if launched by MPI) and has > 1 rank, else None."""
    if use_mpi is None:
        use_mpi = launched_by_mpi()
    if not use_mpi:
        return None
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    return comm if comm.Get_size() > 1 else None


@contextmanager
def abort_world_on_error(comm):
    """Under MPI, an unexpected error on one rank prints its traceback and aborts every rank (the
    others would otherwise wait for it forever). A clean ``sys.exit`` passes through."""
    try:
        yield
    except SystemExit:
        raise
    except BaseException:
        if comm is not None:
            traceback.print_exc(file=sys.stderr)
            comm.Abort(1)
        raise


def run_serial(tasks: Iterable, work: Work, on_result: OnResult) -> None:
    for task in tasks:
        on_result(task, work(task, None), 0)


def run_dynamic(comm, tasks: Iterable, work: Work, on_result: OnResult) -> None:
    """Run ``work(task, poll)`` for every task over the ranks of ``comm``; collective.

    ``tasks`` is only read on rank 0. ``on_result(task, result, rank)`` runs on rank 0 in the
    order results arrive. With one rank this is :func:`run_serial`.
    """
    if comm is None or comm.Get_size() == 1:
        run_serial(tasks, work, on_result)
        return
    if comm.Get_rank() == 0:
        _serve_and_work(comm, deque(tasks), work, on_result)
    else:
        _work_for_rank0(comm, work)


def _work_for_rank0(comm, work: Work) -> None:
    comm.send(None, dest=0, tag=TAG_REQUEST)
    while True:
        task = comm.recv(source=0, tag=TAG_TASK)
        if task is None:
            return
        result = work(task, None)
        comm.send((task, result), dest=0, tag=TAG_REQUEST)


def _serve_and_work(comm, queue: deque, work: Work, on_result: OnResult) -> None:
    from mpi4py import MPI

    working = set(range(1, comm.Get_size()))
    status = MPI.Status()

    def answer(message, source: int) -> None:
        if message is not None:
            task, result = message
            on_result(task, result, source)
        if queue:
            comm.send(queue.popleft(), dest=source, tag=TAG_TASK)
        else:
            comm.send(None, dest=source, tag=TAG_TASK)
            working.discard(source)

    def poll() -> None:
        while comm.Iprobe(source=MPI.ANY_SOURCE, tag=TAG_REQUEST, status=status):
            source = status.Get_source()
            answer(comm.recv(source=source, tag=TAG_REQUEST), source)

    while True:
        poll()
        if not queue:
            break
        task = queue.popleft()
        on_result(task, work(task, poll), 0)
    while working:
        message = comm.recv(source=MPI.ANY_SOURCE, tag=TAG_REQUEST, status=status)
        answer(message, status.Get_source())
