"""Editor positions for nodes a workflow file leaves unplaced: a deterministic left-to-right layout.

A node's column is the length of the longest edge path reaching it from a node without incoming
edges; its row is its index among the nodes of that column, in file order. Cycles (a validator's
`fail` port looping back to the generator) are tolerated: edges that close a cycle, found by a
depth-first search in file order, do not count. Positions the file gives are kept as they are.

Pure and iterative (no recursion to exhaust on a long chain).
"""

from __future__ import annotations

from collections.abc import Sequence

COLUMN_WIDTH = 280
ROW_HEIGHT = 160


def layout_columns(node_ids: Sequence[str], edges: Sequence[tuple[str, str]]) -> list[int]:
    """The column of each node (in `node_ids` order) for edges given as (source, target) ids."""
    index = {node_id: i for i, node_id in enumerate(node_ids)}
    successors: list[list[int]] = [[] for _ in node_ids]
    for source_id, target_id in edges:
        if source_id in index and target_id in index:
            successors[index[source_id]].append(index[target_id])

    # Depth-first search in file order; an edge to a node still on the stack closes a cycle.
    unvisited, on_stack, done = 0, 1, 2
    state = [unvisited] * len(node_ids)
    finished: list[int] = []  # post-order
    forward: list[list[int]] = [[] for _ in node_ids]
    for start in range(len(node_ids)):
        if state[start] != unvisited:
            continue
        state[start] = on_stack
        stack = [(start, 0)]
        while stack:
            node, next_edge = stack[-1]
            if next_edge < len(successors[node]):
                stack[-1] = (node, next_edge + 1)
                target = successors[node][next_edge]
                if state[target] == on_stack:
                    continue  # back edge: ignored for the layout
                forward[node].append(target)
                if state[target] == unvisited:
                    state[target] = on_stack
                    stack.append((target, 0))
            else:
                stack.pop()
                state[node] = done
                finished.append(node)

    column = [0] * len(node_ids)
    for node in reversed(finished):  # a topological order of the forward edges
        for target in forward[node]:
            column[target] = max(column[target], column[node] + 1)
    return column


def layout_positions(
    node_ids: Sequence[str], edges: Sequence[tuple[str, str]]
) -> list[dict[str, int]]:
    """`{x, y}` for every node in `node_ids` order (callers use it only for unplaced nodes)."""
    rows: dict[int, int] = {}
    positions = []
    for column in layout_columns(node_ids, edges):
        row = rows.get(column, 0)
        rows[column] = row + 1
        positions.append({"x": column * COLUMN_WIDTH, "y": row * ROW_HEIGHT})
    return positions
