//! JSON pointers (RFC 6901) as update keys: reading (absent equals `null`) and writing, which `serde_json`
//! only half provides. Writing creates missing objects on the way and may append to an array, never more, so
//! a bad key is refused instead of silently reshaping the document.

use serde_json::{Map, Value};

/// Why a pointer cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("key must be a JSON pointer starting with `/`")]
    NotAPointer,
    #[error("key runs through a value that is not an object or array")]
    NotAContainer,
    #[error("array index out of range")]
    Index,
}

/// The value at `key`, `null` when absent (the LPA Store's rule for `old`).
pub fn get<'a>(doc: &'a Value, key: &str) -> &'a Value {
    doc.pointer(key).unwrap_or(&Value::Null)
}

/// The unescaped segments of a pointer.
pub fn segments(key: &str) -> Result<Vec<String>, Error> {
    let rest = key.strip_prefix('/').ok_or(Error::NotAPointer)?;
    Ok(rest
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// Sets `key` to `value`; `null` removes an object member (absent equals `null`).
pub fn set(doc: &mut Value, key: &str, value: Value) -> Result<(), Error> {
    let segs = segments(key)?;
    let Some((last, parents)) = segs.split_last() else {
        return Err(Error::NotAPointer);
    };
    let mut cur = doc;
    for seg in parents {
        cur = match cur {
            Value::Object(map) => map
                .entry(seg.clone())
                .or_insert_with(|| Value::Object(Map::new())),
            Value::Array(items) => {
                let i: usize = seg.parse().map_err(|_| Error::Index)?;
                items.get_mut(i).ok_or(Error::Index)?
            }
            Value::Null => {
                *cur = Value::Object(Map::new());
                match cur {
                    Value::Object(map) => map
                        .entry(seg.clone())
                        .or_insert_with(|| Value::Object(Map::new())),
                    _ => return Err(Error::NotAContainer),
                }
            }
            _ => return Err(Error::NotAContainer),
        };
    }
    match cur {
        Value::Object(map) => {
            if value.is_null() {
                map.remove(last);
            } else {
                map.insert(last.clone(), value);
            }
            Ok(())
        }
        Value::Array(items) => {
            let i: usize = last.parse().map_err(|_| Error::Index)?;
            if i < items.len() && value.is_null() && i + 1 == items.len() {
                // Removing the last element (how a shortened list is expressed key by key).
                items.pop();
                Ok(())
            } else if i < items.len() && !value.is_null() {
                items[i] = value;
                Ok(())
            } else if i == items.len() && !value.is_null() {
                items.push(value);
                Ok(())
            } else {
                Err(Error::Index)
            }
        }
        Value::Null => {
            if !value.is_null() {
                let mut map = Map::new();
                map.insert(last.clone(), value);
                *cur = Value::Object(map);
            }
            Ok(())
        }
        _ => Err(Error::NotAContainer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_creates_objects_and_appends_but_refuses_gaps() {
        let mut doc = json!({"attorneys": [{"uid": "a"}]});
        set(&mut doc, "/donor/identityCheck/type", json!("one-login")).expect("creates objects");
        set(&mut doc, "/attorneys/0/signedAt", json!("t")).expect("into array element");
        set(&mut doc, "/attorneys/1", json!({"uid": "b"})).expect("append");
        assert_eq!(
            set(&mut doc, "/attorneys/5/signedAt", json!("t")),
            Err(Error::Index)
        );
        assert_eq!(set(&mut doc, "nope", json!(1)), Err(Error::NotAPointer));
        assert_eq!(get(&doc, "/donor/identityCheck/type"), &json!("one-login"));
        assert_eq!(get(&doc, "/attorneys/1/uid"), &json!("b"));
        assert_eq!(get(&doc, "/missing"), &Value::Null);
        set(&mut doc, "/attorneys/0/signedAt", Value::Null).expect("remove");
        assert_eq!(doc["attorneys"][0], json!({"uid": "a"}));
        set(&mut doc, "/a~1b", json!(1)).expect("escaped");
        set(&mut doc, "/attorneys/1", Value::Null).expect("remove the last element");
        assert_eq!(doc["attorneys"].as_array().map(Vec::len), Some(1));
        assert_eq!(set(&mut doc, "/attorneys/0", Value::Null), Ok(()));
        assert_eq!(
            set(&mut doc, "/attorneys/0", Value::Null),
            Err(Error::Index)
        );
        assert_eq!(doc["a/b"], json!(1));
    }
}
