//! One valid LPA application for every test that needs one (API, LPA rules, console), so the tests agree on
//! what "valid" means and a change of the application format is made once.

use serde_json::{Value, json};

/// An address in the application's format.
pub fn address(line1: &str) -> Value {
    json!({"line1": line1, "town": "Leeds", "postcode": "LS1 1AA", "country": "GB"})
}

/// A valid online property and affairs application: one original and one replacement attorney, a
/// professional certificate provider, the full fee.
pub fn application() -> Value {
    json!({
        "lpaType": "property-and-affairs",
        "channel": "online",
        "donor": {"firstNames": "Ada", "lastName": "Lovelace", "dateOfBirth": "1950-01-02",
                  "email": "ada@example.org", "address": address("1 Road")},
        "attorneys": [
            {"firstNames": "Charles", "lastName": "Babbage", "dateOfBirth": "1971-12-26",
             "address": address("2 Road"), "appointmentType": "original"},
            {"firstNames": "Mary", "lastName": "Somerville", "dateOfBirth": "1980-12-26",
             "address": address("3 Road"), "appointmentType": "replacement"}
        ],
        "certificateProvider": {"firstNames": "Michael", "lastName": "Faraday", "address": address("4 Road"),
                                "relationship": "professional"},
        "whenTheLpaCanBeUsed": "when-has-capacity",
        "fee": {"claimedType": "FullFee"}
    })
}

/// `application()` with a JSON merge patch applied.
pub fn application_with(patch: Value) -> Value {
    let mut app = application();
    lpaflow_core::json::merge_patch(&mut app, &patch);
    app
}
