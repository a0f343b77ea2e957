//! The crate graph keeps the order of ARCHITECTURE.md: `core <- spec, lpa, store <- engine <- opg <- app <- http
//! <- api, console <- cli`. A crate uses only crates of a lower layer (`test-support` is for tests only), the two
//! adapters never reach the engine or the store, and no dev-dependency closes a loop.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each crate's layer: a crate may depend on crates of lower layers only.
const LAYERS: &[(&str, u32)] = &[
    ("lpaflow-core", 0),
    ("lpaflow-spec", 1),
    ("lpaflow-lpa", 1),
    ("lpaflow-store", 1),
    ("lpaflow-engine", 2),
    ("lpaflow-opg", 3),
    ("lpaflow-app", 4),
    ("lpaflow-http", 5),
    ("lpaflow-api", 6),
    ("lpaflow-console", 6),
    ("lpaflow-cli", 7),
];

/// The `lpaflow-*` names listed in the `[section]` of a Cargo.toml.
fn listed(manifest: &str, section: &str) -> BTreeSet<String> {
    let mut inside = false;
    let mut names = BTreeSet::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == section;
            continue;
        }
        if inside
            && let Some(name) = line.split(['.', ' ', '=']).next()
            && name.starts_with("lpaflow-")
        {
            names.insert(name.to_owned());
        }
    }
    names
}

/// Every workspace crate with its normal and dev dependencies on other workspace crates.
fn graph() -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(crates).unwrap() {
        let dir = entry.unwrap().path();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let normal = listed(&manifest, "[dependencies]");
        let dev = listed(&manifest, "[dev-dependencies]");
        graph.insert(name, (normal, dev));
    }
    graph
}

fn layer(name: &str) -> Option<u32> {
    LAYERS.iter().find(|(n, _)| *n == name).map(|(_, l)| *l)
}

#[test]
fn every_crate_uses_only_lower_layers() {
    let graph = graph();
    let mut wrong = Vec::new();
    for (name, (normal, _)) in &graph {
        if name == "lpaflow-test-support" {
            continue;
        }
        let mine = layer(name).unwrap_or_else(|| panic!("{name} has no layer in LAYERS"));
        for dep in normal {
            match layer(dep) {
                Some(theirs) if theirs < mine => {}
                _ => wrong.push(format!("{name} -> {dep}")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows against the crate order: {wrong:?}"
    );
}

#[test]
fn the_adapters_reach_neither_the_engine_nor_the_store() {
    let graph = graph();
    for adapter in ["lpaflow-api", "lpaflow-console", "lpaflow-http"] {
        let (normal, _) = &graph[adapter];
        for inner in ["lpaflow-engine", "lpaflow-store", "lpaflow-opg"] {
            assert!(!normal.contains(inner), "{adapter} depends on {inner}");
        }
    }
    assert!(
        !graph["lpaflow-console"].0.contains("lpaflow-api"),
        "the console uses the service, not the API"
    );
}

#[test]
fn no_dev_dependency_closes_a_loop() {
    let graph = graph();
    // What each crate reaches through normal dependencies.
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_owned()];
        while let Some(c) = todo.pop() {
            for d in graph.get(&c).map(|g| &g.0).into_iter().flatten() {
                if seen.insert(d.clone()) {
                    todo.push(d.clone());
                }
            }
        }
        seen
    };
    let mut loops = Vec::new();
    for (name, (_, dev)) in &graph {
        for d in dev {
            if reach(d).contains(name) {
                loops.push(format!("{name} -dev-> {d} -> ... -> {name}"));
            }
        }
    }
    assert!(loops.is_empty(), "dev-dependency loops: {loops:?}");
}
