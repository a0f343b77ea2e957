use super::*;
use crate::data::Signature;
use crate::findings::RuleId as R;
use crate::validation::read_application;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn address(line1: &str) -> Value {
    json!({"line1": line1, "town": "Leeds", "postcode": "LS1 1AA", "country": "GB"})
}

fn application() -> Value {
    json!({
        "lpaType": "property-and-affairs",
        "channel": "online",
        "language": "en",
        "donor": {"firstNames": "Ada", "lastName": "Lovelace", "dateOfBirth": "1950-01-02", "address": address("1 Road"), "contactLanguagePreference": "en"},
        "attorneys": [{"uid": "00000000-0000-4000-8000-0000000000a1", "firstNames": "Charles", "lastName": "Babbage", "dateOfBirth": "1971-12-26",
                       "address": address("2 Road"), "appointmentType": "original", "channel": "paper"}],
        "certificateProvider": {"firstNames": "Michael", "lastName": "Faraday", "dateOfBirth": "1960-01-01",
                                "address": address("3 Road"), "relationship": "professional", "channel": "paper", "phone": "07700900000"},
        "whenTheLpaCanBeUsed": "when-has-capacity",
        "fee": {"claimedType": "FullFee"}
    })
}

/// Evaluates the rules for `application()` patched with `patch`, the donor signing on `signed` (if any),
/// today being `today`, and checks which rules hit whom.
#[track_caller]
fn check(patch: Value, signed: Option<&str>, today: &str, expect: &[(RuleId, &str)]) {
    let mut value = application();
    lpaflow_core::json::merge_patch(&mut value, &patch);
    let now: DateTime<Utc> = d(today).and_hms_opt(9, 0, 0).expect("valid").and_utc();
    let mut data = LpaData::new(value, d(today));
    data.signatures.donor = signed.map(|s| {
        Signature::new(
            d(s).and_hms_opt(9, 0, 0).expect("valid").and_utc(),
            now,
            "t".into(),
        )
    });
    let (app, problems) = read_application(&data.application, now, BusinessZone::LONDON);
    data.sync_attorneys(&app);
    let on = data.reference_date(d(today), BusinessZone::LONDON);
    let hits = evaluate(&Input {
        app: &app,
        data: &data,
        problems: &problems,
        on,
        today: d(today),
        zone: BusinessZone::LONDON,
    });
    let got: Vec<(RuleId, &str)> = hits.iter().map(|h| (h.rule, h.subject.as_str())).collect();
    assert_eq!(got, expect, "{patch}: {hits:?}");
}

fn attorney_born(dob: &str) -> Value {
    json!({"attorneys": [{"uid": "00000000-0000-4000-8000-0000000000a1", "firstNames": "Charles", "lastName": "Babbage", "dateOfBirth": dob,
                          "address": address("2 Road"), "appointmentType": "original", "channel": "paper"}]})
}

#[test]
fn attorney_ages_are_taken_on_the_signing_date() {
    // Turns 18 on 2026-03-15.
    check(
        attorney_born("2008-03-15"),
        Some("2026-03-14"),
        "2026-06-01",
        &[(
            R::AttorneyUnder18,
            "attorney:00000000-0000-4000-8000-0000000000a1",
        )],
    );
    check(
        attorney_born("2008-03-15"),
        Some("2026-03-15"),
        "2026-06-01",
        &[],
    );
    // Before the donor signs: today.
    check(
        attorney_born("2008-03-15"),
        None,
        "2026-03-14",
        &[(
            R::AttorneyUnder18,
            "attorney:00000000-0000-4000-8000-0000000000a1",
        )],
    );
    check(attorney_born("2008-03-15"), None, "2026-03-15", &[]);
    // Born on 29 February: 18 on 1 March in a year without one.
    check(
        attorney_born("2008-02-29"),
        Some("2026-02-28"),
        "2026-06-01",
        &[(
            R::AttorneyUnder18,
            "attorney:00000000-0000-4000-8000-0000000000a1",
        )],
    );
    check(
        attorney_born("2008-02-29"),
        Some("2026-03-01"),
        "2026-06-01",
        &[],
    );
    // More than 100 years ago: a warning.
    check(
        attorney_born("1926-03-14"),
        Some("2026-03-15"),
        "2026-06-01",
        &[(
            R::AttorneyOver100,
            "attorney:00000000-0000-4000-8000-0000000000a1",
        )],
    );
    check(
        attorney_born("1926-03-15"),
        Some("2026-03-15"),
        "2026-06-01",
        &[],
    );
}

#[test]
fn certificate_provider_rules() {
    let cp = |v: Value| json!({"certificateProvider": v});
    check(
        cp(json!({"dateOfBirth": "2008-03-16"})),
        Some("2026-03-15"),
        "2026-03-20",
        &[(R::CertificateProviderUnder18, "certificateProvider")],
    );
    check(cp(json!({"dateOfBirth": null})), None, "2026-03-20", &[]);
    check(
        cp(json!({"relationship": "personal", "knownForYears": 1})),
        None,
        "2026-01-05",
        &[(R::CertificateProviderKnownTooBriefly, "certificateProvider")],
    );
    check(
        cp(json!({"relationship": "personal"})),
        None,
        "2026-01-05",
        &[(R::CertificateProviderKnownTooBriefly, "certificateProvider")],
    );
    check(
        cp(json!({"relationship": "personal", "knownForYears": 2})),
        None,
        "2026-01-05",
        &[],
    );
    check(
        cp(json!({"firstNames": "charles", "lastName": "BABBAGE"})),
        None,
        "2026-01-05",
        &[
            (
                R::CertificateProviderIsAttorney,
                "attorney:00000000-0000-4000-8000-0000000000a1",
            ),
            (R::CertificateProviderSameLastName, "certificateProvider"),
        ],
    );
    check(
        cp(json!({"address": address("1 Road")})),
        None,
        "2026-01-05",
        &[(R::CertificateProviderAtDonorAddress, "certificateProvider")],
    );
}

#[track_caller]
fn check_last_name(cp: &str, donor: &str, hit: bool) {
    let patch = json!({"certificateProvider": {"lastName": cp}, "donor": {"lastName": donor}});
    let expect: &[(RuleId, &str)] = if hit {
        &[(R::CertificateProviderSameLastName, "certificateProvider")]
    } else {
        &[]
    };
    check(patch, None, "2026-01-05", expect);
}

#[test]
fn each_part_of_a_double_barrelled_last_name_counts() {
    check_last_name("Smith-Jones", "Jones", true);
    check_last_name("Jones", "Smith-Jones", true);
    check_last_name("Smith Jones", "JONES", true);
    check_last_name("Smith-Jones", "Jones-Brown", true);
    check_last_name("Smithson", "Smith", false);
    check_last_name("Brown", "Smith-Jones", false);
    check_last_name("Babbage-Brown", "Lovelace", true);
}

#[test]
fn the_same_name_twice_is_a_warning() {
    let twin = json!({"firstNames": "Ada", "lastName": "Lovelace", "dateOfBirth": "1980-01-01",
                      "address": address("5 Road"), "appointmentType": "replacement", "channel": "paper", "uid": "00000000-0000-4000-8000-0000000000a2"});
    let patch = json!({"attorneys": [application()["attorneys"][0].clone(), twin]});
    check(
        patch,
        None,
        "2026-01-05",
        &[(
            R::PeopleSameName,
            "attorney:00000000-0000-4000-8000-0000000000a2",
        )],
    );
    check(
        json!({"certificateProvider": {"firstNames": "Ada", "lastName": "Lovelace"}}),
        None,
        "2026-01-05",
        &[
            (R::CertificateProviderSameLastName, "certificateProvider"),
            (R::PeopleSameName, "certificateProvider"),
        ],
    );
}
