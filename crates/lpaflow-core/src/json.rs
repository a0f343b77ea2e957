//! JSON helpers the interpreter and the audit chain rely on: canonical bytes (sorted keys, no spaces), RFC 7386
//! merge patches and a pointer-level diff.

use crate::decision::Change;
use serde_json::{Map, Value};

/// Canonical JSON: object keys sorted by their UTF-8 bytes, no insignificant whitespace, strings and numbers as
/// serde_json writes them. Independent of whether `serde_json` preserves key order, so hashes never depend on
/// how a value was built or which features another crate enabled.
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    into_text(out)
}

/// The text of bytes written by serde_json (always UTF-8).
pub(crate) fn into_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Writes `value` canonically. Keys and scalars are written by serde_json straight into `out`, exactly as
/// `Value`'s `Display` writes them, without a string of their own each (the history hashes every entry with
/// this, on every commit).
pub(crate) fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_scalar(k.as_str(), out);
                out.push(b':');
                write_canonical(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => write_array(items, out, write_canonical),
        scalar => write_scalar(scalar, out),
    }
}

/// Writes `items` as a JSON array, each by `write`.
pub(crate) fn write_array<T>(items: &[T], out: &mut Vec<u8>, write: impl Fn(&T, &mut Vec<u8>)) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(item, out);
    }
    out.push(b']');
}

/// Writes a string, number, boolean or null as compact JSON.
pub(crate) fn write_scalar<T: serde::Serialize + ?Sized>(scalar: &T, out: &mut Vec<u8>) {
    // Writing a scalar into a Vec cannot fail (no I/O, no map with non-string keys).
    let _ = serde_json::to_writer(out, scalar);
}

/// Applies an RFC 7386 JSON merge patch: objects merge key by key, `null` removes a key, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target_map) = target {
        for (key, value) in patch_map {
            if value.is_null() {
                target_map.remove(key);
            } else {
                merge_patch(target_map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// Escapes one JSON pointer segment (RFC 6901).
pub fn escape_pointer_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The leaf-level differences between two values, as JSON pointers with old and new values. Objects are
/// compared key by key and arrays index by index (an element appended is one change at its index; one removed
/// from the end is one change with no new value; one inserted or removed elsewhere changes every later index),
/// so appending to a list, what histories mostly do, records the new element only, not the whole list twice
/// (`INTERPRETER_VERSION` 2; version 1 compared arrays whole, see [`diff_whole_arrays`]).
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    diff_at(
        String::new(),
        Some(old),
        Some(new),
        Arrays::ByIndex,
        &mut out,
    );
    out
}

/// The differences as interpreter version 1 recorded them: an array that changed is one change holding the
/// whole old and new arrays. Replay uses it for entries that version decided.
pub fn diff_whole_arrays(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    diff_at(String::new(), Some(old), Some(new), Arrays::Whole, &mut out);
    out
}

/// How [`diff_at`] compares two arrays.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrays {
    ByIndex,
    Whole,
}

pub(crate) fn diff_at(
    pointer: String,
    old: Option<&Value>,
    new: Option<&Value>,
    arrays: Arrays,
    out: &mut Vec<Change>,
) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            // An equal member is passed over before its pointer is written (most of an LPA does not change).
            for k in keys {
                let (x, y) = (a.get(k), b.get(k));
                if x != y {
                    let at = format!("{pointer}/{}", escape_pointer_segment(k));
                    diff_at(at, x, y, arrays, out);
                }
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if arrays == Arrays::ByIndex => {
            for i in 0..a.len().max(b.len()) {
                let (x, y) = (a.get(i), b.get(i));
                if x != y {
                    diff_at(format!("{pointer}/{i}"), x, y, arrays, out);
                }
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(Change {
            pointer,
            old: a.cloned(),
            new: b.cloned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v = json!({"b": 1, "a": {"z": [3, {"y": 2, "x": 1}], "c": "é"}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":"é","z":[3,{"x":1,"y":2}]},"b":1}"#
        );
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}}));
        merge_patch(&mut doc, &json!({"list": [1, 2]}));
        assert_eq!(doc["list"], json!([1, 2]));
    }

    #[test]
    fn diff_lists_each_changed_leaf() {
        let old = json!({"donor": {"lastName": "Smith", "town": "Leeds"}, "gone": 1});
        let new = json!({"donor": {"lastName": "Smyth", "town": "Leeds"}, "added/x": true});
        let changes = diff(&old, &new);
        let pointers: Vec<&str> = changes.iter().map(|c| c.pointer.as_str()).collect();
        assert_eq!(pointers, ["/added~1x", "/donor/lastName", "/gone"]);
        assert_eq!(changes[1].old, Some(json!("Smith")));
        assert_eq!(changes[2].new, None);
        assert!(diff(&old, &old).is_empty());
    }

    #[test]
    fn diff_compares_arrays_index_by_index() {
        let old = json!({"payments": [{"p": 1}, {"p": 2}], "tags": ["a", "b", "c"]});
        let new = json!({"payments": [{"p": 1}, {"p": 5}, {"p": 3}], "tags": ["a"]});
        let changes: Vec<(String, Option<Value>, Option<Value>)> = diff(&old, &new)
            .into_iter()
            .map(|c| (c.pointer, c.old, c.new))
            .collect();
        assert_eq!(
            changes,
            [
                ("/payments/1/p".to_owned(), Some(json!(2)), Some(json!(5))),
                ("/payments/2".to_owned(), None, Some(json!({"p": 3}))),
                ("/tags/1".to_owned(), Some(json!("b")), None),
                ("/tags/2".to_owned(), Some(json!("c")), None),
            ]
        );
        // Version 1's changes: each array that changed, whole.
        let whole: Vec<String> = diff_whole_arrays(&old, &new)
            .into_iter()
            .map(|c| c.pointer)
            .collect();
        assert_eq!(whole, ["/payments", "/tags"]);
        // An array that becomes something else is one change either way.
        let retyped = diff(&json!({"a": [1]}), &json!({"a": {"0": 1}}));
        assert_eq!(retyped.len(), 1);
        assert_eq!(retyped[0].pointer, "/a");
    }
}
