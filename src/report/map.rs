//! The strategy map's geometry: one lane per perspective (declaration
//! order, so financial sits on top), objectives in rows of at most
//! [`PER_ROW`] within their lane, and cause → effect arrows routed
//! orthogonally through the free space, so that no arrow crosses a box or
//! runs behind one:
//!
//! - between two rows of boxes runs a horizontal *corridor*; arrows run
//!   sideways only there;
//! - between two boxes of a row (and at both ends of it) runs a vertical
//!   *channel*; arrows cross a row only there;
//! - an arrow leaves its box from the top or bottom edge, toward its
//!   target, and enters the target's facing edge; an arrow between two
//!   boxes of one row goes over them through the corridor above.
//!
//! Arrows sharing a corridor or channel get their own track in it, and
//! arrows sharing a box edge their own port on it, so they stay apart.

use std::collections::HashMap;

use serde::Serialize;

/// Objectives per row: more are wrapped onto another row of the lane, so
/// a box stays wide enough to name its objective on two lines.
pub(super) const PER_ROW: usize = 6;

pub(super) const WIDTH: u32 = 960;
const LANE_LABEL: u32 = 150;
/// Free space at both ends of a row: a channel.
const MARGIN: u32 = 20;
/// Between two boxes of a row: a channel.
const GAP: u32 = 26;
const BOX_H: u32 = 62;
const ROW_H: u32 = 106;
/// Room above and below the boxes of a row: half a corridor.
const EDGE: u32 = (ROW_H - BOX_H) / 2;

/// An objective's box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Place {
    pub(super) x: u32,
    pub(super) y: u32,
    pub(super) w: u32,
    pub(super) row: usize,
}

/// A lane's place: top and height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct LanePlace {
    pub(super) y: u32,
    pub(super) height: u32,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub(super) struct Route {
    /// SVG path data: straight segments, ending at the target's edge.
    pub(super) path: String,
    pub(super) from: usize,
    pub(super) to: usize,
}

#[derive(Debug)]
pub(super) struct Layout {
    pub(super) height: u32,
    pub(super) lanes: Vec<LanePlace>,
    /// By objective index; `None` for an objective without a lane.
    pub(super) places: Vec<Option<Place>>,
    pub(super) routes: Vec<Route>,
}

/// One row of boxes across the map.
struct Row {
    top: u32,
    /// (x, width) of each box, left to right.
    boxes: Vec<(u32, u32)>,
}

impl Row {
    fn box_bottom(&self) -> u32 {
        self.top + EDGE + BOX_H
    }
    /// x of every channel of the row: both ends and between boxes.
    fn channels(&self) -> Vec<u32> {
        let mut xs = vec![LANE_LABEL + MARGIN / 2];
        for pair in self.boxes.windows(2) {
            xs.push(pair[0].0 + pair[0].1 + GAP / 2);
        }
        xs.push(WIDTH - MARGIN / 2);
        xs
    }
}

/// Lays out `lanes` (each a list of objective indices) and routes `links`
/// (cause, effect) between them.
pub(super) fn layout(
    lanes: &[Vec<usize>],
    n_objectives: usize,
    links: &[(usize, usize)],
) -> Layout {
    let mut rows: Vec<Row> = Vec::new();
    let mut places = vec![None; n_objectives];
    let mut lane_places = Vec::new();
    let mut y = 0;
    for objs in lanes {
        let chunks: Vec<&[usize]> = if objs.is_empty() {
            vec![&[][..]]
        } else {
            objs.chunks(PER_ROW).collect()
        };
        let lane_top = y;
        for chunk in chunks {
            let n = chunk.len() as u32;
            let avail = WIDTH - LANE_LABEL - 2 * MARGIN;
            let mut boxes = Vec::new();
            if let Some(w) = (avail - GAP * n.saturating_sub(1)).checked_div(n) {
                let w = w.min(240);
                let total = w * n + GAP * (n - 1);
                let x0 = LANE_LABEL + MARGIN + (avail - total) / 2;
                for (k, &oi) in chunk.iter().enumerate() {
                    let x = x0 + k as u32 * (w + GAP);
                    places[oi] = Some(Place {
                        x,
                        y: y + EDGE,
                        w,
                        row: rows.len(),
                    });
                    boxes.push((x, w));
                }
            }
            rows.push(Row { top: y, boxes });
            y += ROW_H;
        }
        lane_places.push(LanePlace {
            y: lane_top,
            height: y - lane_top,
        });
    }
    let routes = route(&rows, &places, links);
    Layout {
        height: y,
        lanes: lane_places,
        places,
        routes,
    }
}

/// Which edge of a box an arrow uses.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Side {
    Top,
    Bottom,
}

fn route(rows: &[Row], places: &[Option<Place>], links: &[(usize, usize)]) -> Vec<Route> {
    // Each arrow's sides: toward the other box; one row: over the top.
    let sides = |a: &Place, b: &Place| match a.row.cmp(&b.row) {
        std::cmp::Ordering::Greater => (Side::Top, Side::Bottom),
        std::cmp::Ordering::Less => (Side::Bottom, Side::Top),
        std::cmp::Ordering::Equal => (Side::Top, Side::Top),
    };
    let links: Vec<(usize, usize, Place, Place)> = links
        .iter()
        .filter_map(|&(a, b)| Some((a, b, places[a]?, places[b]?)))
        .collect();
    // Ports: the arrows on one edge of a box, ordered by where their other
    // end lies, spread evenly along it.
    let mut on_edge: HashMap<(usize, Side), Vec<(u32, usize)>> = HashMap::new();
    for (k, (a, b, pa, pb)) in links.iter().enumerate() {
        let (sa, sb) = sides(pa, pb);
        on_edge
            .entry((*a, sa))
            .or_default()
            .push((pb.x + pb.w / 2, k));
        on_edge
            .entry((*b, sb))
            .or_default()
            .push((pa.x + pa.w / 2, k));
    }
    let mut port: HashMap<(usize, usize), u32> = HashMap::new();
    for ((obj, _), list) in on_edge.iter_mut() {
        list.sort();
        let p = places[*obj].expect("placed");
        let n = list.len() as u32;
        for (j, (_, k)) in list.iter().enumerate() {
            port.insert((*k, *obj), p.x + p.w * (j as u32 + 1) / (n + 1));
        }
    }
    // Tracks already taken in each corridor (by the row below it) and in
    // each channel (row, channel index).
    let mut corridor_use: HashMap<usize, u32> = HashMap::new();
    let mut channel_use: HashMap<(usize, usize), u32> = HashMap::new();
    let mut corridor_y = |below: usize| -> u32 {
        // The corridor above row `below` (row 0: the strip above it).
        let n = corridor_use.entry(below).or_insert(0);
        let (top, room) = if below == 0 {
            (rows[0].top, EDGE)
        } else {
            (rows[below - 1].box_bottom(), 2 * EDGE)
        };
        let tracks = (room - 8) / 4;
        let y = top + 4 + (*n % tracks.max(1)) * 4 + if tracks > 1 { 0 } else { room / 2 - 4 };
        *n += 1;
        y
    };
    let mut channel_x = |row: usize, toward: u32, from: u32| -> u32 {
        if rows[row].boxes.is_empty() {
            // A lane without objectives: nothing to go around.
            return toward;
        }
        let xs = rows[row].channels();
        // The channel nearest the target, ties to the nearest the start.
        let (ci, x) = xs
            .iter()
            .enumerate()
            .min_by_key(|(_, x)| {
                (
                    (**x as i64 - toward as i64).abs(),
                    (**x as i64 - from as i64).abs(),
                )
            })
            .map(|(i, x)| (i, *x))
            .expect("a row has end channels");
        let n = channel_use.entry((row, ci)).or_insert(0);
        let offsets = [0i64, -4, 4, -8, 8];
        let x = (x as i64 + offsets[(*n as usize) % offsets.len()]) as u32;
        *n += 1;
        x
    };
    let mut routes = Vec::new();
    for (k, (a, b, pa, pb)) in links.iter().enumerate() {
        let (x0, x1) = (port[&(k, *a)], port[&(k, *b)]);
        let mut pts: Vec<(u32, u32)> = Vec::new();
        match pa.row.cmp(&pb.row) {
            std::cmp::Ordering::Equal => {
                let y = corridor_y(pa.row);
                pts.extend([(x0, pa.y), (x0, y), (x1, y), (x1, pb.y)]);
            }
            std::cmp::Ordering::Greater => {
                // Upward: through the corridor above each row in turn.
                pts.push((x0, pa.y));
                let mut x = x0;
                let mut r = pa.row;
                loop {
                    let y = corridor_y(r);
                    pts.push((x, y));
                    if r - 1 == pb.row {
                        pts.push((x1, y));
                        pts.push((x1, pb.y + BOX_H));
                        break;
                    }
                    // Cross row r - 1 in a channel.
                    let cx = channel_x(r - 1, x1, x);
                    pts.push((cx, y));
                    x = cx;
                    r -= 1;
                }
            }
            std::cmp::Ordering::Less => {
                // Downward, the mirror image.
                pts.push((x0, pa.y + BOX_H));
                let mut x = x0;
                let mut r = pa.row;
                loop {
                    let y = corridor_y(r + 1);
                    pts.push((x, y));
                    if r + 1 == pb.row {
                        pts.push((x1, y));
                        pts.push((x1, pb.y));
                        break;
                    }
                    let cx = channel_x(r + 1, x1, x);
                    pts.push((cx, y));
                    x = cx;
                    r += 1;
                }
            }
        }
        pts.dedup();
        let path = pts
            .iter()
            .enumerate()
            .map(|(i, (x, y))| format!("{}{x},{y}", if i == 0 { "M" } else { "L" }))
            .collect::<Vec<_>>()
            .join(" ");
        routes.push(Route {
            path,
            from: *a,
            to: *b,
        });
    }
    routes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The segments of a route's path.
    fn segments(path: &str) -> Vec<((i64, i64), (i64, i64))> {
        let pts: Vec<(i64, i64)> = path
            .split(' ')
            .map(|p| {
                let (x, y) = p[1..].split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        pts.windows(2).map(|w| (w[0], w[1])).collect()
    }

    /// Whether an axis-parallel segment enters a box's interior.
    fn crosses(s: ((i64, i64), (i64, i64)), p: &Place) -> bool {
        let (x0, x1) = (s.0.0.min(s.1.0), s.0.0.max(s.1.0));
        let (y0, y1) = (s.0.1.min(s.1.1), s.0.1.max(s.1.1));
        let (bx0, bx1) = (p.x as i64, (p.x + p.w) as i64);
        let (by0, by1) = (p.y as i64, (p.y + BOX_H) as i64);
        x0 < bx1 && x1 > bx0 && y0 < by1 && y1 > by0
    }

    fn check(lanes: &[Vec<usize>], n: usize, links: &[(usize, usize)]) {
        let l = layout(lanes, n, links);
        assert_eq!(l.routes.len(), links.len());
        for r in &l.routes {
            for s in segments(&r.path) {
                assert!(
                    s.0.0 == s.1.0 || s.0.1 == s.1.1,
                    "orthogonal segments: {}",
                    r.path
                );
                for p in l.places.iter().flatten() {
                    assert!(
                        !crosses(s, p),
                        "{} -> {}: {} crosses {p:?}",
                        r.from,
                        r.to,
                        r.path
                    );
                }
            }
        }
    }

    #[test]
    fn no_route_crosses_a_box_in_the_crm_map() {
        // The CRM card: two objectives per lane, links up and across.
        let lanes = vec![vec![0, 1], vec![2, 3], vec![4, 5], vec![6, 7]];
        let links = [
            (2, 0),
            (3, 0),
            (3, 1),
            (4, 2),
            (4, 3),
            (5, 2),
            (5, 3),
            (6, 4),
            (6, 5),
            (7, 4),
            (7, 5),
            (1, 0),
            (6, 0),
            (7, 1),
        ];
        check(&lanes, 8, &links);
    }

    #[test]
    fn twelve_objectives_in_a_lane_wrap_and_route_around_each_other() {
        let lanes = vec![(0..3).collect(), (3..15).collect(), (15..17).collect()];
        let mut links: Vec<(usize, usize)> = (3..15).map(|o| (o, o % 3)).collect();
        links.extend([
            (15, 3),
            (16, 14),
            (15, 0),
            (16, 2),
            (3, 14),
            (14, 3),
            (4, 10),
            (9, 5),
        ]);
        let l = layout(&lanes, 17, &links);
        assert_eq!(l.lanes[1].height, 2 * ROW_H, "12 objectives on two rows");
        assert!(
            l.places.iter().flatten().all(|p| p.w >= 100),
            "boxes stay readable"
        );
        check(&lanes, 17, &links);
    }

    #[test]
    fn downward_and_same_row_links_stay_clear() {
        let lanes = vec![vec![0, 1, 2], vec![3, 4, 5], vec![6]];
        let links = [(0, 6), (0, 2), (2, 0), (1, 5), (3, 5), (6, 1)];
        check(&lanes, 7, &links);
    }
}
