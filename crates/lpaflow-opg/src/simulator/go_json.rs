//! Go's `encoding/json`, as the store's handlers decode request bodies into their structs.
//!
//! Serde alone would decide differently from the store in ways a client notices, so bodies are first read
//! into an ordered tree ([`Json`]) and then walked against a description of the Go struct ([`Kind`]) the
//! way Go's decoder walks them:
//!
//! - object keys match struct fields exactly, else case-insensitively (Go folds ASCII case, the Kelvin
//!   sign to `K` and the long s to `S`): the store's own example sends `companyNUmber` and keeps it;
//! - unknown keys are dropped; a repeated key decodes again into what the first one left (objects merge,
//!   scalars are replaced);
//! - `null` leaves a value field as it was, sets a pointer, slice or map to nil, and is handed to a
//!   `Date`'s `UnmarshalJSON`, which marks the date malformed (`internal/shared/date.go`);
//! - a value of the wrong JSON type, or a time that is not RFC 3339, fails the whole decode (the handlers
//!   answer 500).
//!
//! The result is a `serde_json::Value` shaped like the wire types' JSON (zero values left out), which serde
//! then reads into `lpaflow_lpa::lpa_store` types.

use chrono::NaiveDate;
use lpaflow_lpa::lpa_store::go_time;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A JSON document with object members in document order and duplicates kept, as Go's decoder sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Why Go's decoder would fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("not JSON: {0}")]
    Syntax(String),
    #[error("a {found} where Go expects {expected}")]
    Type {
        expected: &'static str,
        found: &'static str,
    },
    #[error("a time that is not RFC 3339")]
    Time,
}

impl Json {
    /// Parses a whole body (trailing data is an error, as in `json.Unmarshal`).
    pub fn parse(bytes: &[u8]) -> Result<Self, DecodeError> {
        serde_json::from_slice(bytes).map_err(|e| DecodeError::Syntax(e.to_string()))
    }

    /// Parses the first JSON value of `bytes`, ignoring what follows (`json.Decoder.Decode`).
    pub fn parse_first(bytes: &[u8]) -> Result<Self, DecodeError> {
        serde_json::Deserializer::from_slice(bytes)
            .into_iter::<Json>()
            .next()
            .unwrap_or_else(|| Err(serde::de::Error::custom("unexpected end of JSON input")))
            .map_err(|e| DecodeError::Syntax(e.to_string()))
    }

    /// The value as Go decodes it into `any` (a repeated key: the last one wins).
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(members) => {
                let mut map = Map::new();
                for (k, v) in members {
                    map.insert(k.clone(), v.to_value());
                }
                Value::Object(map)
            }
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Json, E> {
        Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            members.push((k, v));
        }
        Ok(Json::Object(members))
    }
}

/// One field of a Go struct: its JSON name and Go type.
#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
}

/// The Go types the store's request structs are made of.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `string`, and the string-typed enumerations.
    Text,
    /// `bool`.
    Flag,
    /// `time.Time`: `null` keeps it, a string must be RFC 3339, anything else fails.
    Time,
    /// `*time.Time`: `null` makes it nil.
    TimePointer,
    /// `shared.Date`: never fails; see [`decode_date`].
    Date,
    /// `json.RawMessage`: kept as sent, absent apart from `null` (written as `{"raw": value}`).
    Raw,
    /// A struct value.
    Struct(&'static [Field]),
    /// A pointer to a struct: `null` makes it nil.
    StructPointer(&'static [Field]),
    /// A slice: `null` makes it nil, elements decode into the existing ones.
    List(&'static Kind),
    /// jwt's `*NumericDate`: a number, or a string holding a number.
    NumericDatePointer,
    /// jwt's `ClaimStrings`: a string or a list of strings.
    Audience,
}

/// Decodes `input` into the Go type `kind` whose current state is `existing` (`None`: the zero value, or
/// a nil pointer, slice or map). The new state is returned, `None` again meaning the zero value.
pub fn decode(
    kind: Kind,
    input: &Json,
    existing: Option<Value>,
) -> Result<Option<Value>, DecodeError> {
    let mismatch = |expected| {
        Err(DecodeError::Type {
            expected,
            found: input.type_name(),
        })
    };
    match (kind, input) {
        (Kind::Date, _) => Ok(Some(decode_date(input, existing.as_ref()))),
        (Kind::Raw, _) => {
            let mut wrapper = Map::new();
            wrapper.insert("raw".to_owned(), input.to_value());
            Ok(Some(Value::Object(wrapper)))
        }
        (
            Kind::TimePointer
            | Kind::StructPointer(_)
            | Kind::List(_)
            | Kind::NumericDatePointer
            | Kind::Audience,
            Json::Null,
        ) => Ok(None),
        (_, Json::Null) => Ok(existing),
        (Kind::Text, Json::String(s)) => Ok(Some(Value::String(s.clone()))),
        (Kind::Text, _) => mismatch("a string"),
        (Kind::Flag, Json::Bool(b)) => Ok(Some(Value::Bool(*b))),
        (Kind::Flag, _) => mismatch("a bool"),
        (Kind::Time | Kind::TimePointer, Json::String(s)) => match go_time::parse(s) {
            Some(_) => Ok(Some(Value::String(s.clone()))),
            None => Err(DecodeError::Time),
        },
        (Kind::Time | Kind::TimePointer, _) => mismatch("a time string"),
        (Kind::Struct(fields) | Kind::StructPointer(fields), Json::Object(members)) => {
            decode_struct(fields, members, existing).map(Some)
        }
        (Kind::Struct(_) | Kind::StructPointer(_), _) => mismatch("an object"),
        (Kind::List(element), Json::Array(items)) => {
            let mut previous = match existing {
                Some(Value::Array(list)) => list,
                _ => Vec::new(),
            }
            .into_iter();
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let decoded = decode(*element, item, previous.next())?;
                out.push(decoded.unwrap_or_else(|| zero_value(*element)));
            }
            Ok(Some(Value::Array(out)))
        }
        (Kind::List(_), _) => mismatch("an array"),
        (Kind::NumericDatePointer, Json::Number(n)) => Ok(Some(Value::Number(n.clone()))),
        (Kind::NumericDatePointer, Json::String(s)) => match serde_json::from_str::<Number>(s) {
            Ok(n) => Ok(Some(Value::Number(n))),
            Err(_) => mismatch("a number"),
        },
        (Kind::NumericDatePointer, _) => mismatch("a number"),
        (Kind::Audience, Json::String(s)) => Ok(Some(Value::String(s.clone()))),
        (Kind::Audience, Json::Array(items))
            if items.iter().all(|i| matches!(i, Json::String(_))) =>
        {
            Ok(Some(input.to_value()))
        }
        (Kind::Audience, _) => mismatch("a string or a list of strings"),
    }
}

/// The value a new slice element starts from.
fn zero_value(kind: Kind) -> Value {
    match kind {
        Kind::Text | Kind::Date => Value::String(String::new()),
        Kind::Flag => Value::Bool(false),
        Kind::Time => Value::String(go_time::ZERO_TIME.to_owned()),
        Kind::Struct(_) => Value::Object(Map::new()),
        Kind::TimePointer
        | Kind::Raw
        | Kind::StructPointer(_)
        | Kind::List(_)
        | Kind::NumericDatePointer
        | Kind::Audience => Value::Null,
    }
}

fn decode_struct(
    fields: &'static [Field],
    members: &[(String, Json)],
    existing: Option<Value>,
) -> Result<Value, DecodeError> {
    let mut map = match existing {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for (key, value) in members {
        let Some(field) = field_for(fields, key) else {
            continue;
        };
        let previous = map.remove(field.name);
        if let Some(next) = decode(field.kind, value, previous)? {
            map.insert(field.name.to_owned(), next);
        }
    }
    Ok(Value::Object(map))
}

/// The field a key names: the exact name, else the first whose folded name is the key's folded name.
fn field_for<'a>(fields: &'a [Field], key: &str) -> Option<&'a Field> {
    fields.iter().find(|f| f.name == key).or_else(|| {
        let folded = fold_name(key);
        fields.iter().find(|f| fold_name(f.name) == folded)
    })
}

/// Go's `foldName`: ASCII letters upper-cased, every other rune replaced by the smallest rune of its
/// simple case-folding orbit. The only non-ASCII runes whose orbit holds an ASCII letter are the Kelvin sign
/// (`K`) and the long s (`S`); any other non-ASCII rune cannot match a field name, which is ASCII.
fn fold_name(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '\u{212A}' => 'K',
            '\u{017F}' => 'S',
            c if c.is_ascii() => c.to_ascii_uppercase(),
            c => c,
        })
        .collect()
}

/// `Date.UnmarshalJSON` on a date whose state is `existing` (written `"YYYY-MM-DD"`, `""` when not
/// given, `null` when malformed). Go's rules: `""` clears the malformed mark and keeps the date; another
/// string sets the date, or on a parse error clears it and marks it malformed; anything else (`null`
/// included) marks it malformed and keeps the date. A date both set and malformed cannot be written here:
/// it is kept as malformed only (validation reports it either way).
fn decode_date(input: &Json, existing: Option<&Value>) -> Value {
    let (mut date, mut malformed) = match existing {
        Some(Value::String(text)) => (NaiveDate::parse_from_str(text, "%Y-%m-%d").ok(), false),
        Some(Value::Null) => (None, true),
        _ => (None, false),
    };
    match input {
        Json::String(text) if text.is_empty() => malformed = false,
        Json::String(text) => {
            let parsed = lpaflow_lpa::lpa_store::Date::from_text(text);
            date = parsed.get();
            if parsed.is_malformed() {
                malformed = true;
            }
        }
        _ => malformed = true,
    }
    match (malformed, date) {
        (true, _) => Value::Null,
        (false, Some(d)) => Value::String(d.format("%Y-%m-%d").to_string()),
        (false, None) => Value::String(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const INNER: &[Field] = &[
        Field {
            name: "companyNumber",
            kind: Kind::Text,
        },
        Field {
            name: "dateOfBirth",
            kind: Kind::Date,
        },
    ];
    const OUTER: &[Field] = &[
        Field {
            name: "name",
            kind: Kind::Text,
        },
        Field {
            name: "signedAt",
            kind: Kind::Time,
        },
        Field {
            name: "items",
            kind: Kind::List(&Kind::Struct(INNER)),
        },
        Field {
            name: "witness",
            kind: Kind::StructPointer(INNER),
        },
    ];

    fn run(body: &str) -> Result<Value, DecodeError> {
        let json = Json::parse(body.as_bytes())?;
        Ok(decode(Kind::Struct(OUTER), &json, None)?.unwrap_or(Value::Null))
    }

    #[test]
    fn keys_match_case_insensitively_with_the_exact_name_preferred() {
        // example-lpa-default-request.json sends `companyNUmber`; the store keeps it.
        let v = run(r#"{"items": [{"companyNUmber": "ABCD1234"}], "NAME": "a"}"#).expect("decodes");
        assert_eq!(
            v,
            json!({"items": [{"companyNumber": "ABCD1234"}], "name": "a"})
        );
        let v = run(r#"{"Name": "x", "name": "y"}"#).expect("decodes");
        assert_eq!(v["name"], json!("y"), "the later key wins");
        let v = run("{\"\u{212A}\u{017F}\": 1}").expect("unknown keys are dropped");
        assert_eq!(v, json!({}));
    }

    #[test]
    fn null_keeps_values_and_clears_pointers_but_marks_dates_malformed() {
        let v = run(
            r#"{"name": "a", "name": null, "witness": {"companyNumber": "1"}, "witness": null}"#,
        )
        .expect("decodes");
        assert_eq!(v, json!({"name": "a"}));
        let v = run(r#"{"items": [{"dateOfBirth": null}, {"dateOfBirth": ""}, {"dateOfBirth": "1990-13-01"}, null]}"#)
            .expect("decodes");
        assert_eq!(
            v["items"],
            json!([{"dateOfBirth": null}, {"dateOfBirth": ""}, {"dateOfBirth": null}, {}])
        );
    }

    #[test]
    fn repeated_keys_merge_objects() {
        let v =
            run(r#"{"witness": {"companyNumber": "1"}, "witness": {"dateOfBirth": "2000-01-02"}}"#)
                .expect("decodes");
        assert_eq!(
            v["witness"],
            json!({"companyNumber": "1", "dateOfBirth": "2000-01-02"})
        );
    }

    #[test]
    fn wrong_types_and_bad_times_fail_the_decode() {
        assert!(matches!(
            run(r#"{"name": 5}"#),
            Err(DecodeError::Type { .. })
        ));
        assert!(matches!(
            run(r#"{"items": {}}"#),
            Err(DecodeError::Type { .. })
        ));
        assert_eq!(run(r#"{"signedAt": "2024-01-01"}"#), Err(DecodeError::Time));
        assert_eq!(run(r#"{"signedAt": ""}"#), Err(DecodeError::Time));
        assert!(matches!(run("{"), Err(DecodeError::Syntax(_))));
        assert!(matches!(run("{} x"), Err(DecodeError::Syntax(_))));
        assert_eq!(run("null"), Ok(Value::Null));
    }
}
