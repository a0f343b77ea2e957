//! Redundant changes (`lambda/update/redundant.go`), checked before the update type is even looked at: a
//! change whose `old` and `new` are equal is refused, `null`, `""` and absent counting as equal.

use lpaflow_lpa::lpa_store::FieldError;
use serde_json::Value;

use crate::simulator::requests::SentChange;

/// `isNilOrEmpty`.
fn nil_or_empty(v: Option<&Value>) -> bool {
    matches!(v, None | Some(Value::Null)) || v.and_then(Value::as_str) == Some("")
}

/// `redundantChangeErrors`: one error per redundant change, source `/changes/<i>`.
///
/// Go compares the decoded values with `reflect.DeepEqual`, numbers as their text (`UseNumber`); here
/// numbers compare as serde_json numbers, so `1.0` and `1.00` are equal here but not in Go.
pub fn redundant_change_errors(changes: &[SentChange]) -> Vec<FieldError> {
    changes
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            let (old, new) = (c.old.as_ref(), c.new.as_ref());
            (nil_or_empty(old) && nil_or_empty(new))
                || old.unwrap_or(&Value::Null) == new.unwrap_or(&Value::Null)
        })
        .map(|(i, c)| {
            FieldError::new(
                format!("/changes/{i}"),
                format!("redundant change for {}", c.key),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    //! lambda/update/redundant_test.go
    use super::*;
    use serde_json::json;

    fn change(key: &str, old: Option<Value>, new: Option<Value>) -> SentChange {
        SentChange {
            key: key.to_owned(),
            old,
            new,
        }
    }

    #[test]
    fn equal_old_and_new_are_redundant() {
        // TestRedundantChangeErrors
        let errors = redundant_change_errors(&[
            change("/duplicate", Some(json!("foo")), Some(json!("foo"))),
            change("/different", Some(json!("foo")), Some(json!("bar"))),
        ]);
        assert_eq!(
            errors,
            vec![FieldError::new(
                "/changes/0",
                "redundant change for /duplicate"
            )]
        );
        // TestRedundantChangeErrorsEmpty
        assert!(redundant_change_errors(&[]).is_empty());
    }

    #[test]
    fn null_empty_and_absent_are_the_same() {
        // TestIsRedundantChangeNilAndEmpty
        for (old, new) in [
            (Some(Value::Null), Some(json!(""))),
            (Some(json!("")), Some(Value::Null)),
            (None, Some(json!(""))),
            (None, None),
        ] {
            assert_eq!(redundant_change_errors(&[change("/k", old, new)]).len(), 1);
        }
        assert!(
            redundant_change_errors(&[change("/k", Some(json!(false)), Some(Value::Null))])
                .is_empty()
        );
        assert_eq!(
            redundant_change_errors(&[change(
                "/k",
                Some(json!({"a": [1]})),
                Some(json!({"a": [1]}))
            )])
            .len(),
            1
        );
    }
}
