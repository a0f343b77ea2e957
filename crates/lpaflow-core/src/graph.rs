//! Renders a definition as a Mermaid `stateDiagram-v2` or a Graphviz digraph: every state, every transition
//! labelled with its event and roles, timers and automatic transitions marked, terminal states marked.

use crate::definition::{TransitionDef, WorkflowDef};
use crate::duration::format_duration;
use crate::names::StateName;
use std::fmt::Write;

/// The output format of [`render`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "lowercase")]
pub enum GraphFormat {
    /// Mermaid `stateDiagram-v2`.
    Mermaid,
    /// Graphviz `digraph`.
    Dot,
}

/// Renders `def`; `highlight` marks one state (the console shows an instance's current state this way).
pub fn render(def: &WorkflowDef, format: GraphFormat, highlight: Option<&StateName>) -> String {
    match format {
        GraphFormat::Mermaid => mermaid(def, highlight),
        GraphFormat::Dot => dot(def, highlight),
    }
}

/// The edge label: event, then roles (or "auto"), then the timer that fires it from `from`, if any.
fn label(def: &WorkflowDef, t: &TransitionDef, from: &StateName) -> String {
    let mut tags: Vec<String> = if t.automatic {
        vec!["auto".to_owned()]
    } else {
        t.roles.iter().map(|r| r.to_string()).collect()
    };
    if let Some(state) = def.state(from) {
        for timer in state.timers.iter().filter(|tm| tm.event == t.event) {
            tags.push(if timer.at_midnight {
                format!("after {} at midnight", format_duration(timer.after))
            } else {
                format!("after {}", format_duration(timer.after))
            });
        }
    }
    if t.blocking_step().is_some() {
        tags.push("awaits sync".to_owned());
    }
    format!("{} [{}]", t.event, tags.join(", "))
}

fn mermaid(def: &WorkflowDef, highlight: Option<&StateName>) -> String {
    let mut out = String::from("stateDiagram-v2\n");
    for s in def.states() {
        match &s.description {
            Some(d) => {
                let _ = writeln!(
                    out,
                    "    {}: {} - {}",
                    s.name,
                    s.name,
                    d.replace([':', '\n'], " ")
                );
            }
            None => {
                let _ = writeln!(out, "    state {}", s.name);
            }
        }
    }
    let _ = writeln!(out, "    [*] --> {}", def.initial());
    for t in def.transitions() {
        for from in &t.from {
            let _ = writeln!(
                out,
                "    {from} --> {}: {}",
                t.target(from),
                label(def, t, from).replace(':', " ")
            );
        }
    }
    let terminals: Vec<&str> = def
        .states()
        .iter()
        .filter(|s| s.terminal)
        .map(|s| s.name.as_str())
        .collect();
    for t in &terminals {
        let _ = writeln!(out, "    {t} --> [*]");
    }
    out.push_str("    classDef terminal font-weight:bold,stroke-width:3px\n");
    if !terminals.is_empty() {
        let _ = writeln!(out, "    class {} terminal", terminals.join(","));
    }
    if let Some(h) = highlight {
        out.push_str("    classDef current fill:#ffdd00,stroke:#0b0c0c,stroke-width:4px\n");
        let _ = writeln!(out, "    class {h} current");
    }
    out
}

fn dot_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn dot(def: &WorkflowDef, highlight: Option<&StateName>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "digraph {} {{",
        dot_quote(&format!("{} v{}", def.name(), def.version()))
    );
    out.push_str(
        "  rankdir=LR;\n  node [shape=box, style=rounded];\n  __start [shape=point, label=\"\"];\n",
    );
    for s in def.states() {
        let mut attrs = vec![format!("label={}", dot_quote(s.name.as_str()))];
        if s.terminal {
            attrs.push("peripheries=2".to_owned());
        }
        if highlight == Some(&s.name) {
            attrs.push("style=\"rounded,filled\", fillcolor=\"#ffdd00\", penwidth=3".to_owned());
        }
        let _ = writeln!(
            out,
            "  {} [{}];",
            dot_quote(s.name.as_str()),
            attrs.join(", ")
        );
    }
    let _ = writeln!(out, "  __start -> {};", dot_quote(def.initial().as_str()));
    for t in def.transitions() {
        for from in &t.from {
            let style = if t.automatic { ", style=dashed" } else { "" };
            let _ = writeln!(
                out,
                "  {} -> {} [label={}{style}];",
                dot_quote(from.as_str()),
                dot_quote(t.target(from).as_str()),
                dot_quote(&label(def, t, from))
            );
        }
    }
    out.push_str("}\n");
    out
}
