//! Cycles in small directed graphs (smart lists, executable chains, trigger cascades).

/// The strongly connected components of `adj` that hold a cycle (more than one node, or one
/// node with an edge to itself), each sorted, in order of their smallest node.
///
/// Iterative Tarjan, so that long chains cannot overflow the stack. Edges to nodes outside
/// `0..adj.len()` are ignored.
pub(crate) fn cyclic_components(adj: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = adj.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut out = Vec::new();
    for s in 0..n {
        if index[s] != UNSEEN {
            continue;
        }
        let mut call: Vec<(usize, usize)> = vec![(s, 0)];
        index[s] = next;
        low[s] = next;
        next += 1;
        stack.push(s);
        on_stack[s] = true;
        while let Some(top) = call.last_mut() {
            let v = top.0;
            if let Some(&w) = adj[v].get(top.1) {
                top.1 += 1;
                if w >= n {
                    continue;
                }
                if index[w] == UNSEEN {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            call.pop();
            if let Some(&(u, _)) = call.last() {
                low[u] = low[u].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 || adj[v].contains(&v) {
                    comp.sort_unstable();
                    out.push(comp);
                }
            }
        }
    }
    out.sort();
    out
}

/// A cycle through `start` using only nodes of `members` (sorted): `[start, a, b, ...]`,
/// where each node has an edge to the next and the last has one back to `start`.
pub(crate) fn cycle_through(adj: &[Vec<usize>], members: &[usize], start: usize) -> Vec<usize> {
    let n = adj.len();
    let mut parent = vec![usize::MAX; n];
    let mut queue = std::collections::VecDeque::new();
    queue.push_back(start);
    while let Some(v) = queue.pop_front() {
        for &w in adj.get(v).map(Vec::as_slice).unwrap_or(&[]) {
            if w >= n || members.binary_search(&w).is_err() {
                continue;
            }
            if w == start {
                let mut path = vec![v];
                let mut x = v;
                while x != start {
                    x = parent[x];
                    if x == usize::MAX {
                        break;
                    }
                    path.push(x);
                }
                path.reverse();
                return path;
            }
            if parent[w] == usize::MAX {
                parent[w] = v;
                queue.push_back(w);
            }
        }
    }
    vec![start]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cycles_and_self_loops() {
        let adj = vec![vec![1], vec![2], vec![0], vec![3], vec![0]];
        assert_eq!(cyclic_components(&adj), vec![vec![0, 1, 2], vec![3]]);
        assert_eq!(cycle_through(&adj, &[0, 1, 2], 0), vec![0, 1, 2]);
        assert_eq!(cycle_through(&adj, &[3], 3), vec![3]);
    }

    #[test]
    fn long_chain_does_not_overflow() {
        let n = 200_000;
        let adj: Vec<Vec<usize>> = (0..n).map(|i| vec![(i + 1) % n]).collect();
        assert_eq!(cyclic_components(&adj).len(), 1);
    }
}
