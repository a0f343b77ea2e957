//! An instance's data: a JSON value whose top-level members are shared rather than owned.
//!
//! Why not a plain `serde_json::Value`: a command changes a few members of an LPA's data and leaves the rest,
//! above all the application, as it was. With one owned tree, every transition copied the unchanged members
//! into the new tree, compared them with the old ones to record its changes, and freed the old tree. Here
//! each top-level member is an `Arc<Value>`, so a member that rules hand over as they found it is the same
//! allocation before and after: it is neither copied, nor compared ([`Data::changes_to`] passes over members
//! that are one allocation), nor freed. Which members are handed over so is the rules' choice: the LPA rules
//! share the application (`LpaData::load`, `LpaData::to_data`) and write the members they own afresh from
//! their typed data; [`Data::merge_patch`] shares every member a patch does not name.
//!
//! The JSON is unchanged: `Data` serializes exactly as the `Value` it stands for (members in key order, as
//! `serde_json`'s map writes them), so stored text, state digests and history hashes are the same.

use crate::decision::Change;
use crate::json::{Arrays, diff_at, escape_pointer_segment};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// The members of an object, each shared.
pub type Members = BTreeMap<String, Arc<Value>>;

/// An instance's data (see the module doc). Cloning it is two reference counts at most; it changes only
/// through [`Data::set`], [`Data::remove`] and [`Data::merge_patch`], which copy the member map (not the
/// members) if it is shared.
#[derive(Clone)]
pub struct Data {
    /// The members, if it is an object (empty otherwise).
    members: Arc<Members>,
    /// Any other JSON value, which a generic workflow's merge patch may make of the data (never an object).
    whole: Option<Arc<Value>>,
}

impl Data {
    /// The empty object.
    pub fn empty() -> Self {
        Self::from_members(Members::new())
    }

    /// The object with these members.
    pub fn from_members(members: Members) -> Self {
        Self {
            members: Arc::new(members),
            whole: None,
        }
    }

    /// Its members, if it is an object.
    pub fn members(&self) -> Option<&Members> {
        self.whole.is_none().then_some(&*self.members)
    }

    /// The member `key`, if it is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.member(key).map(|v| &**v)
    }

    /// The member `key` as shared, if it is an object that has it.
    pub fn member(&self, key: &str) -> Option<&Arc<Value>> {
        self.members().and_then(|m| m.get(key))
    }

    /// The value at a JSON pointer (RFC 6901) below a member, as `Value::pointer` finds it. Unlike
    /// `Value::pointer`, the empty pointer finds nothing in an object: the whole data is no one `Value`.
    pub fn pointer(&self, pointer: &str) -> Option<&Value> {
        if let Some(whole) = &self.whole {
            return whole.pointer(pointer);
        }
        let rest = pointer.strip_prefix('/')?;
        let (first, below) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
        let key = first.replace("~1", "/").replace("~0", "~");
        self.members.get(&key)?.pointer(below)
    }

    /// Sets the member `key`. Data that is not an object becomes one first, as a merge patch makes it (the
    /// value it held is dropped).
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<Arc<Value>>) {
        self.members_mut().insert(key.into(), value.into());
    }

    /// Removes the member `key`, if any (the member map is copied only if it holds the key).
    pub fn remove(&mut self, key: &str) -> Option<Arc<Value>> {
        if self.whole.is_some() || !self.members.contains_key(key) {
            return None;
        }
        Arc::make_mut(&mut self.members).remove(key)
    }

    /// Applies an RFC 7386 merge patch as [`crate::json::merge_patch`] does to the value, copying only the
    /// members the patch merges into: the others stay shared, and a member the patch replaces is not copied.
    pub fn merge_patch(&mut self, patch: &Value) {
        let Value::Object(patch) = patch else {
            *self = Data::from(patch.clone());
            return;
        };
        // An object patch makes the data an object, even one that names nothing.
        self.become_object();
        for (key, value) in patch {
            if value.is_null() {
                self.remove(key);
            } else if value.is_object() {
                let mut member = self.get(key).cloned().unwrap_or(Value::Null);
                crate::json::merge_patch(&mut member, value);
                self.set(key.clone(), member);
            } else {
                self.set(key.clone(), value.clone());
            }
        }
    }

    /// Makes data that is not an object the empty object.
    fn become_object(&mut self) {
        if self.whole.take().is_some() {
            self.members = Arc::default();
        }
    }

    fn members_mut(&mut self) -> &mut Members {
        self.become_object();
        Arc::make_mut(&mut self.members)
    }

    /// Whether `a` and `b` are one allocation (a clone of the other), not merely equal.
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        match (&a.whole, &b.whole) {
            (None, None) => Arc::ptr_eq(&a.members, &b.members),
            (Some(x), Some(y)) => Arc::ptr_eq(x, y),
            _ => false,
        }
    }

    /// Whether it is a JSON object.
    pub fn is_object(&self) -> bool {
        self.members().is_some()
    }

    /// A copy as one owned `Value` (copies every member: not for a transition's path).
    pub fn to_value(&self) -> Value {
        match &self.whole {
            Some(v) => Value::clone(v),
            None => Value::Object(
                self.members
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::clone(v)))
                    .collect(),
            ),
        }
    }

    /// The data as one owned `Value`, copying only members shared elsewhere.
    pub fn into_value(self) -> Value {
        match self.whole {
            Some(v) => Arc::unwrap_or_clone(v),
            None => Value::Object(
                Arc::unwrap_or_clone(self.members)
                    .into_iter()
                    .map(|(k, v)| (k, Arc::unwrap_or_clone(v)))
                    .collect(),
            ),
        }
    }

    /// The leaf-level changes from `self` to `new`, exactly as [`crate::json::diff`] gives them for the two
    /// values, without comparing members that are one allocation.
    pub fn changes_to(&self, new: &Data) -> Vec<Change> {
        self.changes_with(new, Arrays::ByIndex)
    }

    /// [`Data::changes_to`] as [`crate::json::diff_whole_arrays`] gives them (interpreter version 1).
    pub fn changes_whole_arrays_to(&self, new: &Data) -> Vec<Change> {
        self.changes_with(new, Arrays::Whole)
    }

    fn changes_with(&self, new: &Data, arrays: Arrays) -> Vec<Change> {
        let mut out = Vec::new();
        let (Some(a), Some(b)) = (self.members(), new.members()) else {
            let (old, new) = (self.to_value(), new.to_value());
            diff_at(String::new(), Some(&old), Some(&new), arrays, &mut out);
            return out;
        };
        let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            let (x, y) = (a.get(k), b.get(k));
            if !same_member(x, y) {
                let at = format!("/{}", escape_pointer_segment(k));
                diff_at(at, x.map(|v| &**v), y.map(|v| &**v), arrays, &mut out);
            }
        }
        out
    }
}

/// Whether two members are equal, not comparing one allocation with itself.
fn same_member(x: Option<&Arc<Value>>, y: Option<&Arc<Value>>) -> bool {
    match (x, y) {
        (Some(x), Some(y)) => Arc::ptr_eq(x, y) || x == y,
        (x, y) => x.is_none() && y.is_none(),
    }
}

impl Default for Data {
    fn default() -> Self {
        Self::empty()
    }
}

impl From<Value> for Data {
    fn from(value: Value) -> Self {
        match value {
            Value::Object(map) => Self::from(map),
            other => Self {
                members: Arc::default(),
                whole: Some(Arc::new(other)),
            },
        }
    }
}

impl From<Map<String, Value>> for Data {
    fn from(map: Map<String, Value>) -> Self {
        Self::from_members(map.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}

impl PartialEq for Data {
    fn eq(&self, other: &Self) -> bool {
        match (&self.whole, &other.whole) {
            (None, None) => {
                let (a, b) = (&self.members, &other.members);
                Arc::ptr_eq(a, b)
                    || (a.len() == b.len()
                        && a.iter().zip(b.iter()).all(|((ka, va), (kb, vb))| {
                            ka == kb && same_member(Some(va), Some(vb))
                        }))
            }
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Data {}

impl PartialEq<Value> for Data {
    /// Member by member, whatever order the value's map keeps its keys in.
    fn eq(&self, other: &Value) -> bool {
        match (&self.whole, other) {
            (Some(a), b) => **a == *b,
            (None, Value::Object(b)) => {
                self.members.len() == b.len()
                    && self.members.iter().all(|(k, v)| b.get(k) == Some(&**v))
            }
            (None, _) => false,
        }
    }
}

impl PartialEq<Data> for Value {
    fn eq(&self, other: &Data) -> bool {
        other == self
    }
}

impl std::ops::Index<&str> for Data {
    type Output = Value;

    /// The member `key`, or `null` if there is none (as indexing a `Value` by a missing key gives).
    fn index(&self, key: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

impl fmt::Debug for Data {
    /// As the value it stands for prints (a copy: for tests and assertions, never on a transition's path).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_value().fmt(f)
    }
}

impl Serialize for Data {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.whole {
            Some(v) => v.serialize(serializer),
            None => serializer.collect_map(self.members.iter().map(|(k, v)| (k, &**v))),
        }
    }
}

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{diff, diff_whole_arrays};
    use serde_json::json;

    fn sample() -> Value {
        json!({"application": {"donor": {"lastName": "Smith"}, "attorneys": [{"uid": "a"}]},
               "fee": {"paid": 0}, "list": [1, 2], "odd/key~": true})
    }

    #[test]
    fn data_serializes_exactly_as_the_value_it_stands_for() {
        let value = sample();
        let data = Data::from(value.clone());
        assert_eq!(
            serde_json::to_string(&data).expect("json"),
            serde_json::to_string(&value).expect("json")
        );
        assert_eq!(data.to_value(), value);
        assert_eq!(data.clone().into_value(), value);
        let back: Data =
            serde_json::from_str(&serde_json::to_string(&value).expect("json")).expect("reads");
        assert_eq!(back, data);
        let scalar = Data::from(json!([1, "two"]));
        assert_eq!(
            serde_json::to_string(&scalar).expect("json"),
            r#"[1,"two"]"#
        );
        assert!(!scalar.is_object());
    }

    #[test]
    fn changes_are_the_diff_of_the_values_for_either_array_form() {
        let old = sample();
        let mut new_value = sample();
        new_value["fee"]["paid"] = json!(82);
        new_value["list"] = json!([1]);
        new_value["added"] = json!({"x": 1});
        new_value
            .as_object_mut()
            .expect("object")
            .remove("odd/key~");
        let (a, b) = (Data::from(old.clone()), Data::from(new_value.clone()));
        assert_eq!(a.changes_to(&b), diff(&old, &new_value));
        assert_eq!(
            a.changes_whole_arrays_to(&b),
            diff_whole_arrays(&old, &new_value)
        );
        assert!(a.changes_to(&a.clone()).is_empty());
        let scalar = Data::from(json!(3));
        assert_eq!(a.changes_to(&scalar), diff(&old, &json!(3)));
    }

    #[test]
    fn a_shared_member_is_not_compared_and_a_changed_one_is() {
        let a = Data::from(sample());
        let mut b = a.clone();
        b.set("fee", json!({"paid": 82}));
        // The application is one allocation in both: equal without a look inside.
        assert!(Arc::ptr_eq(
            a.member("application").expect("member"),
            b.member("application").expect("member")
        ));
        let changes = a.changes_to(&b);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].pointer, "/fee/paid");
        // Setting a member copied the map of the clone, not the one it came from.
        assert_eq!(a["fee"]["paid"], json!(0));
        assert_eq!(b["missing"], Value::Null);
        assert_eq!(a.pointer("/application/attorneys/0/uid"), Some(&json!("a")));
        assert_eq!(a.pointer("/odd~1key~0"), Some(&json!(true)));
        assert_eq!((a.pointer("/fee/nothing"), a.pointer("")), (None, None));
        assert_ne!(a, b);
        assert_eq!(
            b,
            json!({"application": sample()["application"], "fee": {"paid": 82},
                             "list": [1, 2], "odd/key~": true})
        );
    }

    #[test]
    fn data_writes_its_members_in_key_order_as_the_value_does() {
        // Keys out of order in the text: a `Value` keeps them sorted only while serde_json's
        // `preserve_order` is off. If a dependency ever turned it on, stored text would change: this fails.
        let text = r#"{"zeta":1,"alpha":{"b":2,"a":1},"mid":[3]}"#;
        let value: Value = serde_json::from_str(text).expect("json");
        let data: Data = serde_json::from_str(text).expect("json");
        assert_eq!(
            serde_json::to_string(&data).expect("json"),
            serde_json::to_string(&value).expect("json")
        );
        assert_eq!(
            serde_json::to_string(&data).expect("json"),
            r#"{"alpha":{"a":1,"b":2},"mid":[3],"zeta":1}"#
        );
    }

    #[test]
    fn setting_a_member_of_data_that_is_not_an_object_makes_it_one() {
        let mut data = Data::from(json!([1, 2]));
        assert_eq!(data.remove("a"), None);
        data.set("a", json!(1));
        assert_eq!(data, json!({"a": 1}));
        let mut patched = Data::from(json!("text"));
        patched.merge_patch(&json!({}));
        assert_eq!(patched, json!({}));
    }

    #[test]
    fn equal_members_in_separate_allocations_are_equal() {
        assert_eq!(Data::from(sample()), Data::from(sample()));
        let mut other = Data::from(sample());
        other.remove("list");
        assert_ne!(Data::from(sample()), other);
        assert_ne!(Data::from(json!({})), Data::from(json!(null)));
    }
}
