//! The workflow drawn as SVG on the server, with one state marked as current. The layout is layered and
//! deterministic: states that are not final go left to right by their distance from the initial state (states
//! at the same distance stack in a column), final states form a row beneath; transitions between neighbours
//! are straight arrows, longer or backward ones arc above, exits to final states drop below. The current state
//! is marked by more than colour: a thick border and the word "current"; final states have a double border;
//! automatic transitions are dashed. The SVG has a title and a description, and the page lists the ways out of
//! the current state as text.

use super::layout::words;
use lpaflow_core::{StateName, WorkflowDef};
use maud::{Markup, html};
use std::collections::{BTreeMap, HashMap, VecDeque};

const NODE_W: i64 = 140;
const NODE_H: i64 = 66;
const COL_W: i64 = 170;
const ROW_H: i64 = 96;
const MARGIN: i64 = 20;
/// Room above the first row for arcs.
const ARC_ROOM: i64 = 70;
/// Room between the last row and the final states, for the exits.
const EXIT_ROOM: i64 = 110;

#[derive(Clone, Copy, Debug)]
struct Boxed {
    x: i64,
    y: i64,
    col: i64,
    row: i64,
    terminal: bool,
}

/// One arrow: `from` to `to` with the events it stands for.
struct Edge<'a> {
    from: &'a str,
    to: &'a str,
    events: Vec<String>,
    automatic: bool,
}

/// Breadth-first distance from the initial state over transitions between states that are not final.
fn ranks(def: &WorkflowDef) -> HashMap<&str, i64> {
    let mut rank = HashMap::new();
    let mut queue = VecDeque::from([def.initial().as_str()]);
    rank.insert(def.initial().as_str(), 0);
    while let Some(s) = queue.pop_front() {
        let r = rank[s];
        for t in def.transitions() {
            for from in t.from.iter().filter(|f| f.as_str() == s) {
                let to = t.target(from).as_str();
                let terminal = def.state(t.target(from)).is_some_and(|d| d.terminal);
                if !terminal && !rank.contains_key(to) {
                    rank.insert(to, r + 1);
                    queue.push_back(to);
                }
            }
        }
    }
    rank
}

fn layout(def: &WorkflowDef) -> (BTreeMap<&str, Boxed>, i64, i64) {
    let rank = ranks(def);
    let unreached = rank.values().max().copied().unwrap_or(0) + 1;
    let mut per_col: HashMap<i64, i64> = HashMap::new();
    let mut boxes = BTreeMap::new();
    let (mut cols, mut rows) = (1, 1);
    for s in def.states().iter().filter(|s| !s.terminal) {
        let col = rank.get(s.name.as_str()).copied().unwrap_or(unreached);
        let row = *per_col.entry(col).and_modify(|n| *n += 1).or_insert(0);
        cols = cols.max(col + 1);
        rows = rows.max(row + 1);
        let (x, y) = (MARGIN + col * COL_W, ARC_ROOM + row * ROW_H);
        boxes.insert(
            s.name.as_str(),
            Boxed {
                x,
                y,
                col,
                row,
                terminal: false,
            },
        );
    }
    let terminals = terminal_columns(def, &boxes);
    let n = terminals.len() as i64;
    cols = cols.max(n);
    let width = MARGIN * 2 + cols * COL_W - (COL_W - NODE_W);
    let y = ARC_ROOM + (rows - 1) * ROW_H + NODE_H + EXIT_ROOM;
    let shift = terminals.last().map_or(0, |(_, c)| (c + 1 - cols).max(0));
    for (s, col) in terminals {
        let col = (col - shift).max(0);
        let b = Boxed {
            x: MARGIN + col * COL_W,
            y,
            col,
            row: rows,
            terminal: true,
        };
        boxes.insert(s, b);
    }
    let height = if n > 0 {
        y + NODE_H + MARGIN
    } else {
        ARC_ROOM + rows * ROW_H + MARGIN
    };
    (boxes, width, height)
}

/// Final states in the order and columns that put each under the states it is reached from (the mean column
/// of its sources), left to right without overlapping.
fn terminal_columns<'a>(
    def: &'a WorkflowDef,
    placed: &BTreeMap<&str, Boxed>,
) -> Vec<(&'a str, i64)> {
    let mut wanted: Vec<(&str, f64, usize)> = def
        .states()
        .iter()
        .enumerate()
        .filter(|(_, s)| s.terminal)
        .map(|(i, s)| {
            let sources: Vec<i64> = def
                .transitions()
                .iter()
                .flat_map(|t| t.from.iter().filter(move |f| t.target(f) == &s.name))
                .filter_map(|f| placed.get(f.as_str()).map(|b| b.col))
                .collect();
            let mean = if sources.is_empty() {
                0.0
            } else {
                sources.iter().sum::<i64>() as f64 / sources.len() as f64
            };
            (s.name.as_str(), mean, i)
        })
        .collect();
    wanted.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.2.cmp(&b.2)));
    let mut next = 0;
    wanted
        .into_iter()
        .map(|(name, mean, _)| {
            let col = (mean.round() as i64).max(next);
            next = col + 1;
            (name, col)
        })
        .collect()
}

fn edges(def: &WorkflowDef) -> Vec<Edge<'_>> {
    let mut map: BTreeMap<(&str, &str), (Vec<String>, bool)> = BTreeMap::new();
    for t in def.transitions() {
        for from in &t.from {
            let to = t.target(from);
            if to == from {
                continue;
            }
            let e = map
                .entry((from.as_str(), to.as_str()))
                .or_insert((Vec::new(), true));
            e.0.push(t.event.to_string());
            e.1 &= t.automatic;
        }
    }
    map.into_iter()
        .map(|((from, to), (events, automatic))| Edge {
            from,
            to,
            events,
            automatic,
        })
        .collect()
}

/// Splits a state's name into lines of at most 16 characters.
fn lines(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in words(name).split(' ') {
        match out.last_mut() {
            Some(l) if l.len() + 1 + word.len() <= 16 => {
                l.push(' ');
                l.push_str(word);
            }
            _ => out.push(word.to_owned()),
        }
    }
    out
}

/// The path of `e` between its two boxes; `i`/`n` spread the exits of one box and the entries of another.
fn path(a: Boxed, b: Boxed, exit: (i64, i64), entry: (i64, i64), arc: i64) -> String {
    let spread = |x: i64, (i, n): (i64, i64)| x + NODE_W * (i + 1) / (n + 1);
    if b.terminal {
        let (x1, y1) = (spread(a.x, exit), a.y + NODE_H);
        let (x2, y2) = (spread(b.x, entry), b.y);
        return format!("M{x1},{y1} L{x2},{y2}");
    }
    if a.row == b.row && b.col == a.col + 1 {
        let y = a.y + NODE_H / 2;
        return format!("M{},{y} L{},{y}", a.x + NODE_W, b.x);
    }
    let (x1, x2) = (a.x + NODE_W / 2 + 12, b.x + NODE_W / 2 - 12);
    let top = a.y.min(b.y) - 24 - arc * 14;
    format!("M{x1},{} C{x1},{top} {x2},{top} {x2},{}", a.y, b.y)
}

/// The SVG of `def` with `current` marked.
pub(super) fn svg(def: &WorkflowDef, current: &StateName) -> Markup {
    let (boxes, width, height) = layout(def);
    let edges = edges(def);
    let mut exits: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut entries: HashMap<&str, Vec<&str>> = HashMap::new();
    for e in edges
        .iter()
        .filter(|e| boxes.get(e.to).is_some_and(|b| b.terminal))
    {
        exits.entry(e.from).or_default().push(e.to);
        entries.entry(e.to).or_default().push(e.from);
    }
    let mut arcs = 0;
    let mut ordered: Vec<&Edge<'_>> = edges.iter().collect();
    ordered.sort_by_key(|e| e.from == current.as_str());
    let mut paths: Vec<(&str, String, &str, String)> = Vec::new();
    for e in ordered {
        let (Some(a), Some(b)) = (boxes.get(e.from), boxes.get(e.to)) else {
            continue;
        };
        let pos = |list: Option<&Vec<&str>>, x: &str| {
            list.map_or((0, 1), |l| {
                (
                    l.iter().position(|y| *y == x).unwrap_or(0) as i64,
                    l.len() as i64,
                )
            })
        };
        let straight = b.terminal || (a.row == b.row && b.col == a.col + 1);
        let arc = if straight { 0 } else { arcs };
        if !straight {
            arcs += 1;
        }
        let d = path(
            *a,
            *b,
            pos(exits.get(e.from), e.to),
            pos(entries.get(e.to), e.from),
            arc,
        );
        let leaving = e.from == current.as_str();
        let class = match (leaving, e.automatic) {
            (true, true) => "edge edge-current edge-auto",
            (true, false) => "edge edge-current",
            (false, true) => "edge edge-auto",
            (false, false) => "edge",
        };
        let marker = if leaving {
            "url(#arrow-current)"
        } else {
            "url(#arrow)"
        };
        let title = format!(
            "{} to {}: {}",
            words(e.from),
            words(e.to),
            e.events.join(", ")
        );
        paths.push((class, d, marker, title));
    }
    let non_terminal: Vec<String> = def
        .states()
        .iter()
        .filter(|s| !s.terminal)
        .map(|s| words(s.name.as_str()))
        .collect();
    let terminal: Vec<String> = def
        .states()
        .iter()
        .filter(|s| s.terminal)
        .map(|s| words(s.name.as_str()))
        .collect();
    let desc = format!(
        "This LPA is in the state {}. States in order: {}. Final states: {}.",
        words(current.as_str()),
        non_terminal.join(", "),
        terminal.join(", ")
    );
    html! {
        svg.graph xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (width) " " (height) } width=(width) height=(height)
            role="img" aria-labelledby="graph-title graph-desc" focusable="false" {
            title id="graph-title" { "Workflow " (def.name()) " version " (def.version()) }
            desc id="graph-desc" { (desc) }
            defs {
                marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse" {
                    path.arrow-head d="M0,0 L10,5 L0,10 z" {}
                }
                marker id="arrow-current" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse" {
                    path.arrow-head-current d="M0,0 L10,5 L0,10 z" {}
                }
            }
            g {
                @for (class, d, marker, title) in &paths {
                    path class=(class) d=(d) marker-end=(marker) { title { (title) } }
                }
            }
            @for s in def.states() {
                @if let Some(b) = boxes.get(s.name.as_str()) {
                    @let is_current = &s.name == current;
                    @let name_lines = lines(s.name.as_str());
                    @let n = name_lines.len() as i64 + i64::from(is_current);
                    @let first = b.y + NODE_H / 2 - (n - 1) * 9 + 5;
                    g class=(if is_current { "node node-current" } else if b.terminal { "node node-terminal" } else { "node" }) {
                        rect x=(b.x) y=(b.y) width=(NODE_W) height=(NODE_H) rx="6" {}
                        @if b.terminal {
                            rect.inner x=(b.x + 4) y=(b.y + 4) width=(NODE_W - 8) height=(NODE_H - 8) rx="4" {}
                        }
                        @for (i, line) in name_lines.iter().enumerate() {
                            text x=(b.x + NODE_W / 2) y=(first + i as i64 * 18) text-anchor="middle" { (line) }
                        }
                        @if is_current {
                            text.current-label x=(b.x + NODE_W / 2) y=(first + name_lines.len() as i64 * 18) text-anchor="middle" { "current" }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> WorkflowDef {
        let text = include_str!("../../../workflows/lpa.toml");
        lpaflow_spec::load("lpa.toml", text, &lpaflow_lpa::catalog()).expect("lpa.toml loads")
    }

    #[test]
    fn the_current_state_is_marked_with_a_word_and_every_state_is_drawn() {
        let def = def();
        let svg = svg(&def, &StateName::new("safeguarding")).into_string();
        assert_eq!(svg.matches(">current<").count(), 1, "{svg}");
        assert!(svg.contains(r#"class="node node-current""#));
        for s in def.states() {
            for line in lines(s.name.as_str()) {
                assert!(svg.contains(&format!(">{line}<")), "{line}");
            }
        }
        assert!(svg.contains("This LPA is in the state safeguarding."));
        assert_eq!(svg.matches("node-terminal").count(), 5);
    }

    #[test]
    fn the_main_line_reads_left_to_right_and_final_states_sit_below() {
        let def = def();
        let (boxes, width, _) = layout(&def);
        let order = [
            "created",
            "safeguarding",
            "discount_eligibility",
            "signing",
            "statutory_waiting_period",
            "registered",
        ];
        for pair in order.windows(2) {
            assert!(boxes[pair[0]].x < boxes[pair[1]].x, "{pair:?}");
            assert_eq!(boxes[pair[0]].y, boxes[pair[1]].y, "{pair:?}");
        }
        assert!(boxes["cancelled"].y > boxes["registered"].y);
        assert!(boxes.values().all(|b| b.x >= 0 && b.x + NODE_W <= width));
    }
}
