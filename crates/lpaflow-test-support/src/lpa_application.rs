//! One valid LPA application for every test that needs one (API, LPA rules, console), so the tests agree on
//! what "valid" means and a change of the application format is made once.

use serde_json::{Value, json};

/// An address in the application's format.
pub fn address(line1: &str) -> Value {
    json!({"line1": line1, "town": "Leeds", "postcode": "LS1 1AA", "country": "GB"})
}

/// A valid online property and affairs application: one original attorney (online) and one replacement
/// (on paper), a professional certificate provider (online), the full fee. Actor uids are left to the rules.
pub fn application() -> Value {
    json!({
        "lpaType": "property-and-affairs",
        "channel": "online",
        "language": "en",
        "donor": {"firstNames": "Ada", "lastName": "Lovelace", "dateOfBirth": "1950-01-02",
                  "email": "ada@example.org", "address": address("1 Road"),
                  "contactLanguagePreference": "en"},
        "attorneys": [
            {"firstNames": "Charles", "lastName": "Babbage", "dateOfBirth": "1971-12-26",
             "address": address("2 Road"), "appointmentType": "original",
             "channel": "online", "email": "charles@example.org"},
            {"firstNames": "Mary", "lastName": "Somerville", "dateOfBirth": "1980-12-26",
             "address": address("3 Road"), "appointmentType": "replacement", "channel": "paper"}
        ],
        "certificateProvider": {"firstNames": "Michael", "lastName": "Faraday", "address": address("4 Road"),
                                "relationship": "professional", "channel": "online",
                                "email": "michael@example.org", "phone": "07700900000"},
        "whenTheLpaCanBeUsed": "when-has-capacity",
        "fee": {"claimedType": "FullFee"}
    })
}

/// A trust corporation for `application_with({"trustCorporations": [trust_corporation("original")]})`.
pub fn trust_corporation(appointment_type: &str) -> Value {
    json!({"name": "Trusty Corp Ltd", "address": address("5 Road"), "appointmentType": appointment_type,
           "channel": "online", "email": "trust@example.org", "companyNumber": "01234567",
           "mobile": "07700900001", "contactLanguagePreference": "en"})
}

/// `application()` with a JSON merge patch applied.
pub fn application_with(patch: Value) -> Value {
    let mut app = application();
    lpaflow_core::json::merge_patch(&mut app, &patch);
    app
}
