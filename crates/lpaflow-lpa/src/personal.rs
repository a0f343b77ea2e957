//! Personal data in an LPA's application, and its masking for the roles that must not see it. Names, dates of
//! birth, contact details, addresses and the donor's income and benefits are personal; the structure, the
//! choices made (how attorneys decide, the fee type) and the identifiers are not. A masked value keeps its
//! place (so an auditor still sees that a field was there and changed) but not its content.

use serde_json::{Map, Value};

/// The keys whose values are personal data, wherever they appear in an application.
pub const PERSONAL_KEYS: &[&str] = &[
    "firstNames",
    "lastName",
    "otherNamesKnownBy",
    "dateOfBirth",
    "email",
    "mobile",
    "phone",
    "address",
    "grossAnnualIncomePence",
    "receivesMeansTestedBenefit",
];

/// What a masked value reads as.
pub const MASKED: &str = "[masked]";

/// Whether `key` holds personal data.
pub fn is_personal(key: &str) -> bool {
    PERSONAL_KEYS.contains(&key)
}

/// `value` with the value of every personal key, at any depth, replaced by [`MASKED`].
pub fn mask(value: &Value) -> Value {
    match value {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    let masked = if is_personal(k) && !v.is_null() {
                        Value::String(MASKED.to_owned())
                    } else {
                        mask(v)
                    };
                    (k.clone(), masked)
                })
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(mask).collect()),
        other => other.clone(),
    }
}

/// Whether the JSON pointer `pointer` goes through a personal key (`/application/donor/lastName`): the value
/// there is personal as a whole.
pub fn pointer_is_personal(pointer: &str) -> bool {
    pointer.split('/').any(is_personal)
}

/// A value found at `pointer`, masked: wholly when the pointer goes through a personal key, else key by key.
pub fn mask_at(pointer: &str, value: &Value) -> Value {
    if pointer_is_personal(pointer) && !value.is_null() {
        Value::String(MASKED.to_owned())
    } else {
        mask(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn personal_values_are_masked_at_any_depth_and_the_rest_is_kept() {
        let app = json!({
            "lpaType": "personal-welfare",
            "donor": {"uid": "u1", "firstNames": "Ada", "lastName": "Lovelace", "dateOfBirth": "1815-12-10",
                      "address": {"line1": "1 Street", "town": "London", "country": "GB"}, "email": null},
            "attorneys": [{"firstNames": "Charles", "appointmentType": "original"}],
            "fee": {"claimedType": "HalfFee", "grossAnnualIncomePence": 100},
        });
        let masked = mask(&app);
        assert_eq!(masked["lpaType"], "personal-welfare");
        assert_eq!(masked["donor"]["uid"], "u1");
        assert_eq!(masked["donor"]["lastName"], MASKED);
        assert_eq!(masked["donor"]["address"], MASKED);
        assert_eq!(masked["donor"]["email"], Value::Null, "absent stays absent");
        assert_eq!(masked["attorneys"][0]["firstNames"], MASKED);
        assert_eq!(masked["attorneys"][0]["appointmentType"], "original");
        assert_eq!(masked["fee"]["claimedType"], "HalfFee");
        assert_eq!(masked["fee"]["grossAnnualIncomePence"], MASKED);
        assert!(!masked.to_string().contains("Lovelace"));
    }

    #[test]
    fn a_value_under_a_personal_pointer_is_masked_whole() {
        assert_eq!(
            mask_at("/application/donor/lastName", &json!("Lovelace")),
            json!(MASKED)
        );
        assert_eq!(
            mask_at(
                "/application/donor",
                &json!({"lastName": "Lovelace", "uid": "u"})
            ),
            json!({"lastName": MASKED, "uid": "u"})
        );
        assert_eq!(mask_at("/state", &json!("created")), json!("created"));
    }
}
