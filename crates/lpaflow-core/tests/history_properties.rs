//! Property test of the hash chain: any sequence of entries, with arbitrary JSON payloads and changes
//! (nulls, floats, unicode, nesting), stored as the store stores them (JSON text) and read back, verifies;
//! and changing any single entry's content or binding breaks the chain at exactly that entry.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, TimeDelta};
use lpaflow_core::history::{
    Binding, BreakKind, ChainHead, Coverage, FORMAT_BOUND, FORMAT_RULED, GENESIS_HASH, StoredEntry,
    canonical_entry, chain_hash, verify_chain,
};
use lpaflow_core::json::canonical_json;
use lpaflow_core::{
    Actor, Change, EventName, HistoryEntry, InstanceId, RoleName, StateName, WorkflowRef,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1.0e12f64..1.0e12).prop_map(|f| json!(f)),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn change() -> impl Strategy<Value = Change> {
    (
        "/[a-z]{1,8}",
        prop::option::of(json_value()),
        prop::option::of(json_value()),
    )
        .prop_map(|(pointer, old, new)| Change { pointer, old, new })
}

fn entry(seq: u64) -> impl Strategy<Value = HistoryEntry> {
    (
        json_value(),
        prop::collection::vec(change(), 0..4),
        0i64..1_000_000_000,
        json_value(),
    )
        .prop_map(move |(payload, changes, micros, timers)| HistoryEntry {
            seq,
            at: DateTime::from_timestamp_micros(1_700_000_000_000_000 + micros).unwrap(),
            actor: Actor::new("urn:test:actor"),
            role: RoleName::new("service"),
            event: EventName::new("touch"),
            from: (seq > 1).then(|| StateName::new("a")),
            to: StateName::new("a"),
            payload,
            changes,
            workflow: WorkflowRef {
                name: "w".into(),
                version: 1,
            },
            rules: Some("plain/1@UTC".to_owned()),
            binding: Some(Binding {
                state: format!("digest of state {seq}"),
                timers,
            }),
        })
}

/// Text with what JSON must escape (controls, quotes, backslashes), non-ASCII and astral characters.
const WIDE_TEXT: &str = "[\\x00-\\x1f\"\\\\/a-z~\u{e9}\u{2028}\u{1F600}]{0,8}";

/// JSON values whose keys and strings hold [`WIDE_TEXT`].
fn wide_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (-1.0e300f64..1.0e300).prop_map(|f| json!(f)),
        WIDE_TEXT.prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(WIDE_TEXT, inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The canonical writer as it was first written (a string per key and per scalar): the reference the
/// streaming writer must match byte for byte.
fn former_canonical_json(value: &Value) -> String {
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    if let Some(v) = map.get(k) {
                        write(v, out);
                    }
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(v, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// An entry in any of the three hash formats, with any `from`, any keys and strings (escapes, unicode).
fn any_entry() -> impl Strategy<Value = HistoryEntry> {
    (
        entry(2),
        any::<bool>(),
        0u8..3,
        WIDE_TEXT,
        WIDE_TEXT,
        wide_json(),
    )
        .prop_map(|(mut e, from, format, actor, pointer, payload)| {
            e.payload = payload;
            e.from = from.then(|| StateName::new("b\u{e9}\"\\"));
            e.actor = Actor::new(actor);
            if let Some(c) = e.changes.first_mut() {
                c.pointer = pointer;
            }
            match format {
                0 => e.binding = None,
                1 => e.rules = None,
                _ => {}
            }
            e
        })
}

/// The canonical bytes as they were first defined (hash formats 1 to 3): the entry as a JSON object built
/// with `json!`, written by the former writer. The streaming writer must produce exactly these bytes.
fn reference_canonical(id: &InstanceId, entry: &HistoryEntry) -> String {
    let mut v = json!({
        "uid": id.as_str(),
        "seq": entry.seq,
        "at": entry.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "actor": entry.actor.as_str(),
        "role": entry.role.as_str(),
        "event": entry.event.as_str(),
        "from": entry.from.as_ref().map(|s| s.as_str()),
        "to": entry.to.as_str(),
        "payload": entry.payload,
        "changes": entry.changes,
        "workflow": entry.workflow.name,
        "version": entry.workflow.version,
    });
    if let (Some(b), Some(map)) = (&entry.binding, v.as_object_mut()) {
        map.insert("state".to_owned(), json!(b.state));
        map.insert("timers".to_owned(), b.timers.clone());
        match &entry.rules {
            None => map.insert("format".to_owned(), json!(FORMAT_BOUND)),
            Some(rules) => {
                map.insert("rules".to_owned(), json!(rules));
                map.insert("format".to_owned(), json!(FORMAT_RULED))
            }
        };
    }
    former_canonical_json(&v)
}

fn entries() -> impl Strategy<Value = Vec<HistoryEntry>> {
    (1usize..6).prop_flat_map(|n| (1..=n as u64).map(entry).collect::<Vec<_>>())
}

/// What the store does: serialize payload and changes to JSON text, parse them back.
fn through_storage(e: &HistoryEntry) -> HistoryEntry {
    let mut back = e.clone();
    back.payload = serde_json::from_str(&serde_json::to_string(&e.payload).unwrap()).unwrap();
    back.changes = serde_json::from_str(&serde_json::to_string(&e.changes).unwrap()).unwrap();
    if let Some(b) = back.binding.as_mut() {
        b.timers = serde_json::from_str(&serde_json::to_string(&b.timers).unwrap()).unwrap();
    }
    back
}

fn chain(id: &InstanceId, entries: &[HistoryEntry]) -> (Vec<StoredEntry>, ChainHead) {
    let mut prev = GENESIS_HASH.to_owned();
    let mut rows = Vec::new();
    for e in entries {
        let hash = chain_hash(&prev, id, e);
        rows.push(StoredEntry {
            entry: through_storage(e),
            prev_hash: prev.clone(),
            hash: hash.clone(),
        });
        prev = hash;
    }
    (
        rows,
        ChainHead {
            revision: entries.len() as u64,
            hash: prev,
            state: entries
                .last()
                .and_then(|e| e.binding.as_ref())
                .map(|b| b.state.clone())
                .unwrap_or_default(),
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn canonical_json_is_what_the_former_writer_wrote(v in wide_json()) {
        prop_assert_eq!(canonical_json(&v), former_canonical_json(&v));
    }

    #[test]
    fn canonical_bytes_are_those_of_the_entry_as_a_json_object(e in any_entry()) {
        let id = InstanceId::new("M-PROP-CANO-N001");
        prop_assert_eq!(canonical_entry(&id, &e), reference_canonical(&id, &e));
    }

    #[test]
    fn stored_chains_verify(entries in entries()) {
        let id = InstanceId::new("M-PROP-CHAI-N001");
        let (rows, head) = chain(&id, &entries);
        prop_assert_eq!(verify_chain(&id, &rows, &head), Ok(Coverage::StateBound));
    }

    #[test]
    fn any_edit_breaks_the_chain_at_that_entry(entries in entries(), pick in any::<prop::sample::Index>()) {
        let id = InstanceId::new("M-PROP-CHAI-N002");
        let (mut rows, head) = chain(&id, &entries);
        let i = pick.index(rows.len());
        rows[i].entry.at += TimeDelta::microseconds(1);
        let broken = verify_chain(&id, &rows, &head).unwrap_err();
        prop_assert_eq!(broken.seq, i as u64 + 1);
        prop_assert_eq!(broken.kind, BreakKind::Content);
    }

    #[test]
    fn any_edit_of_a_binding_breaks_the_chain_at_that_entry(entries in entries(), pick in any::<prop::sample::Index>(), timers in json_value()) {
        let id = InstanceId::new("M-PROP-CHAI-N003");
        let (mut rows, head) = chain(&id, &entries);
        let i = pick.index(rows.len());
        let b = rows[i].entry.binding.as_mut().unwrap();
        if b.timers == timers {
            b.state.push('x');
        } else {
            b.timers = timers;
        }
        let broken = verify_chain(&id, &rows, &head).unwrap_err();
        prop_assert_eq!(broken.seq, i as u64 + 1);
        prop_assert_eq!(broken.kind, BreakKind::Content);
    }
}

#[test]
fn a_null_old_value_survives_storage() {
    let c = Change {
        pointer: "/a".into(),
        old: Some(Value::Null),
        new: Some(json!(1)),
    };
    let back: Change = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
    assert_eq!(back, c);
    let absent = Change {
        pointer: "/a".into(),
        old: None,
        new: Some(json!(1)),
    };
    let back: Change = serde_json::from_str(&serde_json::to_string(&absent).unwrap()).unwrap();
    assert_eq!(back, absent);
}
