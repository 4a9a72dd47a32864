//! A layered layout for small directed graphs, top to bottom: cycles broken by reversing the
//! back edges of a depth-first search, longest-path layering (a labelled edge spans two layers,
//! its label taking the middle one's place), barycentre ordering, and coordinates pulled toward
//! the neighbours' average without overlap. Edges are straight segments through the layers
//! they cross; nodes without any edge are set in rows below.

/// A box to place.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NodeBox {
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// Edges leave and reach it at spread points along its bottom and top (at the middle only
    /// when false, for pointed shapes).
    pub spread_ports: bool,
}

/// An edge to route: its ends and the size of its label.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EdgeIn {
    /// The node it leaves.
    pub from: usize,
    /// The node it reaches.
    pub to: usize,
    /// The label's width and height, if it has one.
    pub label: Option<(f64, f64)>,
}

/// A routed edge.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Route {
    /// The polyline from the source's border to the target's.
    pub points: Vec<(f64, f64)>,
    /// The top-left corner of the label's box.
    pub label: Option<(f64, f64)>,
}

/// Where everything went.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layout {
    /// Each node's centre.
    pub centres: Vec<(f64, f64)>,
    /// Each edge's route, in input order.
    pub routes: Vec<Route>,
    /// The drawing's width, margins included.
    pub width: f64,
    /// The drawing's height, margins included.
    pub height: f64,
}

/// Margin around the drawing.
pub const MARGIN: f64 = 20.0;
const LAYER_GAP: f64 = 36.0;
const NODE_GAP: f64 = 28.0;
const VIRTUAL_GAP: f64 = 14.0;
const LOOP_REACH: f64 = 26.0;
/// How far a label's text sits right of the line that carries it.
pub const LABEL_OFFSET: f64 = 8.0;

struct Work<'a> {
    boxes: &'a [NodeBox],
    /// Every node: the real ones first, then the virtual ones of long edges.
    w: Vec<f64>,
    h: Vec<f64>,
    /// Where a node's edges pass, from its centre: 0, but a label's line runs along its left.
    anchor: Vec<f64>,
    layer: Vec<usize>,
    preds: Vec<Vec<usize>>,
    succs: Vec<Vec<usize>>,
    layers: Vec<Vec<usize>>,
    x: Vec<f64>,
}

/// Lays out `boxes` joined by `edges`.
pub fn layout(boxes: &[NodeBox], edges: &[EdgeIn]) -> Layout {
    let n = boxes.len();
    let valid = |e: &EdgeIn| e.from < n && e.to < n;
    // Room on the right of nodes with a loop to themselves.
    let mut loop_room = vec![0.0f64; n];
    for e in edges.iter().filter(|e| valid(e) && e.from == e.to) {
        let lw = e.label.map_or(0.0, |l| l.0 + LABEL_OFFSET);
        loop_room[e.from] = loop_room[e.from].max(LOOP_REACH + lw);
    }
    let (reversed, discovered) = break_cycles(n, edges);
    let dag: Vec<(usize, usize, usize)> = edges
        .iter()
        .enumerate()
        .filter(|(_, e)| valid(e) && e.from != e.to)
        .map(|(i, e)| {
            if reversed[i] {
                (i, e.to, e.from)
            } else {
                (i, e.from, e.to)
            }
        })
        .collect();
    let layer = longest_path(n, &dag, edges);
    let mut connected = vec![false; n];
    for e in edges.iter().filter(|e| valid(e)) {
        connected[e.from] = true;
        connected[e.to] = true;
    }

    let mut wk = Work {
        boxes,
        w: (0..n).map(|i| boxes[i].w + 2.0 * loop_room[i]).collect(),
        h: boxes.iter().map(|b| b.h).collect(),
        anchor: vec![0.0; n],
        layer,
        preds: vec![Vec::new(); n],
        succs: vec![Vec::new(); n],
        layers: Vec::new(),
        x: Vec::new(),
    };
    let mut key: Vec<f64> = discovered.iter().map(|&d| d as f64).collect();
    // Each edge's chain of nodes in layer order, and the index of its label node in it.
    let mut chains: Vec<(Vec<usize>, Option<usize>)> = vec![(Vec::new(), None); edges.len()];
    for &(i, a, b) in &dag {
        let mut chain = vec![a];
        let span = wk.layer[b].saturating_sub(wk.layer[a]);
        let label_at = edges[i].label.map(|_| span / 2);
        for k in 1..span {
            let v = wk.w.len();
            let (w, h) = match (label_at, edges[i].label) {
                (Some(at), Some((lw, lh))) if at == k => (lw + LABEL_OFFSET + 4.0, lh),
                _ => (0.0, 0.0),
            };
            wk.w.push(w);
            wk.h.push(h);
            wk.anchor.push(if w > 0.0 { 2.0 - w / 2.0 } else { 0.0 });
            wk.layer.push(wk.layer[a] + k);
            wk.preds.push(Vec::new());
            wk.succs.push(Vec::new());
            key.push(discovered[a] as f64 + 0.5);
            chain.push(v);
        }
        chain.push(b);
        for pair in chain.windows(2) {
            wk.succs[pair[0]].push(pair[1]);
            wk.preds[pair[1]].push(pair[0]);
        }
        chains[i] = (chain, label_at);
    }
    let total = wk.w.len();
    let depth = (0..total)
        .filter(|&v| v >= n || connected[v])
        .map(|v| wk.layer[v] + 1)
        .max()
        .unwrap_or(0);
    wk.layers = vec![Vec::new(); depth];
    for v in (0..total).filter(|&v| v >= n || connected[v]) {
        wk.layers[wk.layer[v]].push(v);
    }
    for l in &mut wk.layers {
        l.sort_by(|&a, &b| key[a].total_cmp(&key[b]));
    }
    wk.order();
    wk.place();

    // Heights of the layers and the drawing's extent.
    let mut top = vec![0.0; depth];
    let mut bottom = vec![0.0; depth];
    let mut y = MARGIN;
    for (li, l) in wk.layers.iter().enumerate() {
        let lh = l.iter().map(|&v| wk.h[v]).fold(0.0, f64::max);
        top[li] = y;
        bottom[li] = y + lh;
        y += lh + LAYER_GAP;
    }
    let min_x = (0..total)
        .filter(|&v| v >= n || connected[v])
        .map(|v| wk.x[v] - wk.w[v] / 2.0)
        .fold(f64::INFINITY, f64::min);
    let shift = if min_x.is_finite() {
        MARGIN - min_x
    } else {
        0.0
    };
    for x in &mut wk.x {
        *x += shift;
    }
    let mut width = (0..total)
        .filter(|&v| v >= n || connected[v])
        .map(|v| wk.x[v] + wk.w[v] / 2.0)
        .fold(0.0, f64::max);
    let mut centres = vec![(0.0, 0.0); n];
    for v in (0..n).filter(|&v| connected[v]) {
        let li = wk.layer[v];
        centres[v] = (wk.x[v], (top[li] + bottom[li]) / 2.0);
    }
    // Nodes without edges, in rows under the rest.
    let row_width = width.max(720.0);
    let (mut cx, mut row_h) = (MARGIN, 0.0f64);
    let mut y = if depth == 0 { MARGIN } else { y };
    for v in (0..n).filter(|&v| !connected[v]) {
        if cx > MARGIN && cx + boxes[v].w > row_width {
            y += row_h + LAYER_GAP / 2.0;
            cx = MARGIN;
            row_h = 0.0;
        }
        centres[v] = (cx + boxes[v].w / 2.0, y + boxes[v].h / 2.0);
        cx += boxes[v].w + NODE_GAP;
        row_h = row_h.max(boxes[v].h);
        width = width.max(cx - NODE_GAP);
    }
    let height = if row_h > 0.0 {
        y + row_h
    } else {
        y - LAYER_GAP
    };

    let routes = wk.route(edges, &reversed, &chains, &centres, &top, &bottom);
    Layout {
        centres,
        routes,
        width: width + MARGIN,
        height: height.max(MARGIN) + MARGIN,
    }
}

/// Marks the edges to reverse so that the rest is acyclic (the back edges of a depth-first
/// search from each node in order), and the order nodes were discovered in.
fn break_cycles(n: usize, edges: &[EdgeIn]) -> (Vec<bool>, Vec<usize>) {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in edges.iter().enumerate() {
        if e.from < n && e.to < n && e.from != e.to {
            out[e.from].push(i);
        }
    }
    let mut state = vec![0u8; n];
    let mut discovered = vec![0; n];
    let mut next = 0;
    let mut reversed = vec![false; edges.len()];
    for s in 0..n {
        if state[s] != 0 {
            continue;
        }
        state[s] = 1;
        discovered[s] = next;
        next += 1;
        let mut stack = vec![(s, 0usize)];
        while let Some(top) = stack.last_mut() {
            let (v, k) = *top;
            if let Some(&e) = out[v].get(k) {
                top.1 += 1;
                let w = edges[e].to;
                match state[w] {
                    0 => {
                        state[w] = 1;
                        discovered[w] = next;
                        next += 1;
                        stack.push((w, 0));
                    }
                    1 => reversed[e] = true,
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    (reversed, discovered)
}

/// Each node's layer: the longest path to it from a source, a labelled edge counting two.
fn longest_path(n: usize, dag: &[(usize, usize, usize)], edges: &[EdgeIn]) -> Vec<usize> {
    let mut indeg = vec![0usize; n];
    let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for &(i, a, b) in dag {
        indeg[b] += 1;
        out[a].push((b, if edges[i].label.is_some() { 2 } else { 1 }));
    }
    let mut layer = vec![0; n];
    let mut ready: Vec<usize> = (0..n).rev().filter(|&v| indeg[v] == 0).collect();
    while let Some(v) = ready.pop() {
        for &(w, span) in &out[v] {
            layer[w] = layer[w].max(layer[v] + span);
            indeg[w] -= 1;
            if indeg[w] == 0 {
                ready.push(w);
            }
        }
    }
    layer
}

impl Work<'_> {
    /// Barycentre ordering: sweeps down and up, each layer sorted by its neighbours' mean
    /// position in the layer before; the order with the fewest crossings is kept.
    fn order(&mut self) {
        // Counting crossings is quadratic in the edges between two layers: past this many
        // edges the sweeps' last order is kept without counting.
        const COUNTED: usize = 2_000;
        let counted = self.succs.iter().map(Vec::len).sum::<usize>() <= COUNTED;
        let mut best = self.layers.clone();
        let mut best_cross = if counted { self.crossings() } else { 0 };
        for sweep in 0..12 {
            let down = sweep % 2 == 0;
            let range: Vec<usize> = if down {
                (1..self.layers.len()).collect()
            } else {
                (0..self.layers.len().saturating_sub(1)).rev().collect()
            };
            let mut pos = self.positions();
            for li in range {
                let mut keyed: Vec<(f64, usize)> = self.layers[li]
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        let nb = if down { &self.preds[v] } else { &self.succs[v] };
                        let bc = if nb.is_empty() {
                            i as f64
                        } else {
                            nb.iter().map(|&u| pos[u] as f64).sum::<f64>() / nb.len() as f64
                        };
                        (bc, v)
                    })
                    .collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
                self.layers[li] = keyed.into_iter().map(|(_, v)| v).collect();
                for (i, &v) in self.layers[li].iter().enumerate() {
                    pos[v] = i;
                }
            }
            if !counted {
                best = self.layers.clone();
                continue;
            }
            let c = self.crossings();
            if c < best_cross {
                best_cross = c;
                best = self.layers.clone();
            }
        }
        self.layers = best;
    }

    fn positions(&self) -> Vec<usize> {
        let mut pos = vec![0; self.w.len()];
        for l in &self.layers {
            for (i, &v) in l.iter().enumerate() {
                pos[v] = i;
            }
        }
        pos
    }

    /// Edge crossings between consecutive layers.
    fn crossings(&self) -> usize {
        let pos = self.positions();
        let mut total = 0;
        for l in &self.layers {
            let mut segs: Vec<(usize, usize)> = Vec::new();
            for &v in l {
                for &w in &self.succs[v] {
                    segs.push((pos[v], pos[w]));
                }
            }
            for i in 0..segs.len() {
                for j in i + 1..segs.len() {
                    let (a, b) = (segs[i], segs[j]);
                    if (a.0 < b.0 && a.1 > b.1) || (a.0 > b.0 && a.1 < b.1) {
                        total += 1;
                    }
                }
            }
        }
        total
    }

    fn gap(&self, a: usize, b: usize) -> f64 {
        let real = self.boxes.len();
        let g = if a < real && b < real {
            NODE_GAP
        } else {
            VIRTUAL_GAP
        };
        (self.w[a] + self.w[b]) / 2.0 + g
    }

    /// Coordinates: layers packed side by side, then pulled toward the mean of their
    /// neighbours, sweeping down and up.
    fn place(&mut self) {
        self.x = vec![0.0; self.w.len()];
        for li in 0..self.layers.len() {
            let l = self.layers[li].clone();
            let mut x = 0.0;
            for (i, &v) in l.iter().enumerate() {
                if i > 0 {
                    x += self.gap(l[i - 1], v);
                }
                self.x[v] = x;
            }
            for &v in &l {
                self.x[v] -= x / 2.0;
            }
        }
        for sweep in 0..16 {
            let down = sweep % 2 == 0;
            let range: Vec<usize> = if down {
                (1..self.layers.len()).collect()
            } else {
                (0..self.layers.len().saturating_sub(1)).rev().collect()
            };
            for li in range {
                let l = self.layers[li].clone();
                let desired: Vec<f64> = l
                    .iter()
                    .map(|&v| {
                        let nb = if down { &self.preds[v] } else { &self.succs[v] };
                        if nb.is_empty() {
                            self.x[v]
                        } else {
                            let at = nb.iter().map(|&u| self.x[u] + self.anchor[u]).sum::<f64>();
                            at / nb.len() as f64 - self.anchor[v]
                        }
                    })
                    .collect();
                self.fit(&l, &desired);
            }
        }
    }

    /// Sets the layer `l` as close to `desired` as the gaps allow, keeping its order.
    fn fit(&mut self, l: &[usize], desired: &[f64]) {
        let k = l.len();
        if k == 0 {
            return;
        }
        let mut left = desired.to_vec();
        for i in 1..k {
            left[i] = left[i].max(left[i - 1] + self.gap(l[i - 1], l[i]));
        }
        let mut right = desired.to_vec();
        for i in (0..k - 1).rev() {
            right[i] = right[i].min(right[i + 1] - self.gap(l[i], l[i + 1]));
        }
        let mut x: Vec<f64> = (0..k).map(|i| (left[i] + right[i]) / 2.0).collect();
        for i in 1..k {
            x[i] = x[i].max(x[i - 1] + self.gap(l[i - 1], l[i]));
        }
        for (i, &v) in l.iter().enumerate() {
            self.x[v] = x[i];
        }
    }

    /// The polylines, from port to port through the virtual nodes.
    fn route(
        &self,
        edges: &[EdgeIn],
        reversed: &[bool],
        chains: &[(Vec<usize>, Option<usize>)],
        centres: &[(f64, f64)],
        top: &[f64],
        bottom: &[f64],
    ) -> Vec<Route> {
        let n = self.boxes.len();
        // Ports: each node's outgoing chains sorted by where they go, incoming by where they
        // come from.
        let mut outs: Vec<Vec<(f64, usize)>> = vec![Vec::new(); n];
        let mut ins: Vec<Vec<(f64, usize)>> = vec![Vec::new(); n];
        for (i, (chain, _)) in chains.iter().enumerate() {
            if chain.len() < 2 {
                continue;
            }
            let (a, b) = (chain[0], chain[chain.len() - 1]);
            let (next, prev) = (chain[1], chain[chain.len() - 2]);
            outs[a].push((self.x[next] + self.anchor[next], i));
            ins[b].push((self.x[prev] + self.anchor[prev], i));
        }
        let port = |v: usize, list: &mut Vec<(f64, usize)>, e: usize| -> f64 {
            list.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let k = list.len();
            let at = list.iter().position(|p| p.1 == e).unwrap_or(0);
            let b = &self.boxes[v];
            if !b.spread_ports || k <= 1 {
                return centres[v].0;
            }
            let span = b.w * 0.6;
            centres[v].0 - span / 2.0 + span * (at as f64 + 0.5) / k as f64
        };
        let mut routes = vec![Route::default(); edges.len()];
        for (i, e) in edges.iter().enumerate() {
            if e.from >= n || e.to >= n {
                continue;
            }
            if e.from == e.to {
                let (cx, cy) = centres[e.from];
                let b = &self.boxes[e.from];
                let r = cx + b.w / 2.0;
                let q = b.h / 4.0;
                routes[i] = Route {
                    points: vec![
                        (r, cy - q),
                        (r + LOOP_REACH, cy - q),
                        (r + LOOP_REACH, cy + q),
                        (r, cy + q),
                    ],
                    label: e
                        .label
                        .map(|(_, lh)| (r + LOOP_REACH + LABEL_OFFSET, cy - lh / 2.0)),
                };
                continue;
            }
            let (chain, label_at) = &chains[i];
            if chain.len() < 2 {
                continue;
            }
            let (a, b) = (chain[0], chain[chain.len() - 1]);
            let mut points = vec![(
                port(a, &mut outs[a].clone(), i),
                centres[a].1 + self.boxes[a].h / 2.0,
            )];
            let mut label = None;
            for (k, &v) in chain.iter().enumerate().take(chain.len() - 1).skip(1) {
                let li = self.layer[v];
                let x = self.x[v] + self.anchor[v];
                if *label_at == Some(k) {
                    label = Some((x + LABEL_OFFSET, top[li]));
                }
                points.push((x, top[li]));
                if bottom[li] > top[li] {
                    points.push((x, bottom[li]));
                }
            }
            points.push((
                port(b, &mut ins[b].clone(), i),
                centres[b].1 - self.boxes[b].h / 2.0,
            ));
            if reversed[i] {
                points.reverse();
            }
            routes[i] = Route { points, label };
        }
        routes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(w: f64) -> NodeBox {
        NodeBox {
            w,
            h: 20.0,
            spread_ports: true,
        }
    }

    fn overlap(l: &Layout, boxes: &[NodeBox]) -> bool {
        for i in 0..boxes.len() {
            for j in i + 1..boxes.len() {
                let (a, c) = (l.centres[i], l.centres[j]);
                let dx = (a.0 - c.0).abs() < (boxes[i].w + boxes[j].w) / 2.0;
                let dy = (a.1 - c.1).abs() < (boxes[i].h + boxes[j].h) / 2.0;
                if dx && dy {
                    return true;
                }
            }
        }
        false
    }

    #[test]
    fn chain_goes_down_and_cycles_do_not_hang() {
        let boxes = [b(50.0), b(80.0), b(30.0), b(40.0)];
        let edges = [
            EdgeIn {
                from: 0,
                to: 1,
                label: None,
            },
            EdgeIn {
                from: 1,
                to: 2,
                label: Some((40.0, 14.0)),
            },
            EdgeIn {
                from: 2,
                to: 0,
                label: None,
            },
            EdgeIn {
                from: 2,
                to: 2,
                label: None,
            },
        ];
        let l = layout(&boxes, &edges);
        assert!(l.centres[0].1 < l.centres[1].1 && l.centres[1].1 < l.centres[2].1);
        assert!(!overlap(&l, &boxes));
        assert!(l.routes.iter().all(|r| r.points.len() >= 2));
        assert!(l.routes[1].label.is_some());
        // Node 3 has no edges: set below the rest.
        assert!(l.centres[3].1 > l.centres[2].1);
        for (x, y) in l.centres {
            assert!(x > 0.0 && x < l.width && y > 0.0 && y < l.height);
        }
    }

    #[test]
    fn a_dense_graph_past_the_crossing_count_is_laid_out_without_overlap() {
        let n = 60;
        let boxes: Vec<NodeBox> = (0..n).map(|i| b(30.0 + (i % 7) as f64 * 10.0)).collect();
        let mut edges = Vec::new();
        for i in 0..n {
            for k in 1..40 {
                edges.push(EdgeIn {
                    from: i,
                    to: (i * 7 + k * 13) % n,
                    label: (k % 3 == 0).then_some((24.0, 14.0)),
                });
            }
        }
        let l = layout(&boxes, &edges);
        assert!(!overlap(&l, &boxes));
        assert!(l.routes.iter().all(|r| r.points.len() >= 2));
    }
}
