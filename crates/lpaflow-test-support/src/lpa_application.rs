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

/// A paper application as the OPG keys it in from the form: everyone on paper (no emails), a half-fee claim
/// (income under £12,000) and a certificate provider who shares the donor's last name, so the donor's
/// not-related confirmation (received on paper) is needed. The application the console's caseworker tests
/// take from created to registered.
pub fn paper_application() -> Value {
    json!({
        "lpaType": "property-and-affairs",
        "channel": "paper",
        "language": "en",
        "donor": {"firstNames": "Grace", "lastName": "Hopper", "dateOfBirth": "1946-12-09",
                  "address": {"line1": "7 Harbour Street", "town": "Whitby", "postcode": "YO21 3PU",
                              "country": "GB"},
                  "contactLanguagePreference": "en"},
        "attorneys": [
            {"firstNames": "Howard", "lastName": "Aiken", "dateOfBirth": "1960-03-08",
             "address": address("2 Road"), "appointmentType": "original", "channel": "paper"}
        ],
        "certificateProvider": {"firstNames": "Walter", "lastName": "Hopper", "address": address("4 Road"),
                                "relationship": "professional", "channel": "paper",
                                "phone": "07700900000"},
        "whenTheLpaCanBeUsed": "when-has-capacity",
        "fee": {"claimedType": "HalfFee", "grossAnnualIncomePence": 900000}
    })
}
