//! Property test of instance data with shared members ([`Data`]): for any two values, whether their members are
//! shared or separate, `Data` writes the same JSON text as the `Value`, is equal exactly when the values are,
//! and records exactly the changes `json::diff` records (histories and their hashes depend on it).
#![allow(clippy::unwrap_used)]

use lpaflow_core::Data;
use lpaflow_core::json::{diff, diff_whole_arrays};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::sync::Arc;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..3).prop_map(|n| json!(n)),
        "[ab~/]{0,3}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[ab~/]{1,3}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Top-level members (keys that need escaping in a pointer included).
fn members() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("[ab~/]{1,3}", json_value(), 0..5)
        .prop_map(|m| m.into_iter().collect())
}

/// `edits` and `removed` applied to a copy of `value` as one owned tree: what the data must become.
fn edited_value(
    value: &Map<String, Value>,
    edits: &Map<String, Value>,
    removed: &[String],
) -> Value {
    let mut out = value.clone();
    for (k, v) in edits {
        out.insert(k.clone(), v.clone());
    }
    for k in removed {
        out.remove(k);
    }
    Value::Object(out)
}

/// Whether every member of `new` that `edits` and `removed` leave alone is `old`'s, the same allocation.
fn untouched_members_shared(old: &Data, new: &Data, touched: &[&String]) -> bool {
    let (Some(o), Some(n)) = (old.members(), new.members()) else {
        return false;
    };
    o.iter()
        .filter(|(k, _)| !touched.contains(k))
        .all(|(k, v)| n.get(k).is_some_and(|w| Arc::ptr_eq(v, w)))
}

proptest! {
    #[test]
    fn data_is_the_value_it_stands_for(a in members(), b in members()) {
        let (va, vb) = (Value::Object(a), Value::Object(b));
        let (da, db) = (Data::from(va.clone()), Data::from(vb.clone()));
        prop_assert_eq!(serde_json::to_string(&da).unwrap(), serde_json::to_string(&va).unwrap());
        prop_assert_eq!(da == db, va == vb);
        prop_assert_eq!(&da, &va);
        prop_assert_eq!(da.changes_to(&db), diff(&va, &vb));
        prop_assert_eq!(da.changes_whole_arrays_to(&db), diff_whole_arrays(&va, &vb));
    }

    #[test]
    fn shared_members_change_nothing_in_the_record(
        a in members(),
        edits in members(),
        removed in prop::collection::vec("[ab~/]{1,3}", 0..3),
    ) {
        let old = Data::from(a.clone());
        let mut new = old.clone();
        for (k, v) in &edits {
            new.set(k.clone(), v.clone());
        }
        for k in &removed {
            new.remove(k);
        }
        let (vo, vn) = (Value::Object(a.clone()), edited_value(&a, &edits, &removed));
        prop_assert_eq!(&old, &vo, "the data it was cloned from is left as it was");
        prop_assert_eq!(&new, &vn);
        prop_assert_eq!(old.changes_to(&new), diff(&vo, &vn));
        prop_assert_eq!(old.changes_whole_arrays_to(&new), diff_whole_arrays(&vo, &vn));
        prop_assert_eq!(old == new, vo == vn);
        prop_assert_eq!(serde_json::to_string(&new).unwrap(), serde_json::to_string(&vn).unwrap());
        let touched: Vec<&String> = edits.keys().chain(&removed).collect();
        prop_assert!(untouched_members_shared(&old, &new, &touched));
    }

    #[test]
    fn a_merge_patch_does_what_it_does_to_the_value(a in json_value(), patch in json_value()) {
        let mut value = a.clone();
        lpaflow_core::json::merge_patch(&mut value, &patch);
        let old = Data::from(a.clone());
        let mut data = old.clone();
        data.merge_patch(&patch);
        prop_assert_eq!(&data, &value);
        prop_assert_eq!(data.is_object(), value.is_object());
        prop_assert_eq!(&old, &a, "the data it was cloned from is left as it was");
        if let (Some(_), Value::Object(p)) = (old.members(), &patch) {
            let named: Vec<&String> = p.keys().collect();
            prop_assert!(untouched_members_shared(&old, &data, &named));
        }
    }

    #[test]
    fn data_that_is_not_an_object_is_compared_whole(a in json_value(), b in json_value()) {
        let (da, db) = (Data::from(a.clone()), Data::from(b.clone()));
        prop_assert_eq!(da.changes_to(&db), diff(&a, &b));
        prop_assert_eq!(da == db, a == b);
        prop_assert_eq!(da.into_value(), a);
    }
}
