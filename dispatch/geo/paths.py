"""Shortest-path helpers shared by the network and the matrices."""

from collections.abc import Callable

import numpy as np

from dispatch.geo.projection import FloatArray, IntArray


def path_lengths(
    edge_length: FloatArray,
    edge_index: Callable[[IntArray, IntArray], IntArray],
    predecessors: IntArray,
) -> FloatArray:
    """Length of every shortest-time path, summed up the predecessor trees by pointer jumping."""
    rows = np.arange(predecessors.shape[0])[:, None]
    columns = np.broadcast_to(np.arange(predecessors.shape[1]), predecessors.shape)
    parent = np.where(predecessors >= 0, predecessors, -1).astype(np.int64)
    has_parent = parent >= 0
    total = np.zeros(predecessors.shape, dtype=np.float64)
    total[has_parent] = edge_length[edge_index(parent[has_parent], columns[has_parent])]
    while has_parent.any():
        safe = np.where(has_parent, parent, 0)
        total = total + np.where(has_parent, total[rows, safe], 0.0)
        parent = np.where(has_parent, parent[rows, safe], -1)
        has_parent = parent >= 0
    return total
