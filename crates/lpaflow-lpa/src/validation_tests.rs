use super::*;
use serde_json::json;

fn today() -> chrono::DateTime<chrono::Utc> {
    NaiveDate::from_ymd_opt(2026, 1, 5)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("valid")
        .and_utc()
}

fn address() -> Value {
    json!({"line1": "1 Road", "town": "Leeds", "postcode": "LS1 1AA", "country": "GB"})
}

fn valid() -> Value {
    json!({
        "lpaType": "property-and-affairs",
        "channel": "online",
        "language": "en",
        "donor": {"firstNames": "Ada", "lastName": "Lovelace", "dateOfBirth": "1950-01-02", "address": address(), "contactLanguagePreference": "en"},
        "attorneys": [{"uid": "00000000-0000-4000-8000-0000000000a1", "firstNames": "C", "lastName": "Babbage", "dateOfBirth": "1971-12-26",
                       "address": address(), "appointmentType": "original", "channel": "paper"}],
        "certificateProvider": {"firstNames": "M", "lastName": "Faraday", "address": address(),
                                "relationship": "professional", "channel": "paper", "phone": "07700900000"},
        "whenTheLpaCanBeUsed": "when-has-capacity",
        "fee": {"claimedType": "FullFee"}
    })
}

/// Applies `patch` to a valid application and checks the pointers of the problems found.
#[track_caller]
fn check(patch: Value, pointers: &[&str]) {
    let mut app = valid();
    lpaflow_core::json::merge_patch(&mut app, &patch);
    let (_, problems) = read_application(&app, today(), BusinessZone::LONDON);
    let got: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
    assert_eq!(got, pointers, "{patch}: {problems:?}");
}

#[test]
fn a_valid_application_has_no_problems() {
    check(json!({}), &[]);
    check(
        json!({"donor": {"address": {"country": "FR", "postcode": null}}}),
        &[],
    );
}

#[test]
fn every_problem_is_listed_with_its_pointer() {
    check(json!({"donor": null}), &["/donor"]);
    check(json!({"lpaType": "both"}), &["/lpaType"]);
    check(json!({"unexpected": 1}), &["/unexpected"]);
    check(
        json!({"donor": {"firstNames": "  ", "dateOfBirth": "2026-01-06"}}),
        &["/donor/dateOfBirth", "/donor/firstNames"],
    );
    check(
        json!({"donor": {"address": {"country": "gb"}}}),
        &["/donor/address/country"],
    );
    check(
        json!({"donor": {"address": {"postcode": null}}}),
        &["/donor/address/postcode"],
    );
    check(
        json!({"donor": {"email": "not-an-address"}}),
        &["/donor/email"],
    );
    check(json!({"attorneys": []}), &["/attorneys"]);
    check(
        json!({"certificateProvider": {"knownForYears": -1}}),
        &["/certificateProvider/knownForYears"],
    );
    check(
        json!({"whenTheLpaCanBeUsed": null}),
        &["/whenTheLpaCanBeUsed"],
    );
    check(
        json!({"lpaType": "personal-welfare"}),
        &["/lifeSustainingTreatmentOption", "/whenTheLpaCanBeUsed"],
    );
    check(
        json!({"fee": {"claimedType": "HalfFee"}}),
        &["/fee/grossAnnualIncomePence"],
    );
    check(
        json!({"fee": {"claimedType": "NoFee", "receivesMeansTestedBenefit": false}}),
        &["/fee/receivesMeansTestedBenefit"],
    );
    check(
        json!({"fee": {"claimedType": "RepeatApplicationFee", "previousApplication": {"uid": "M-1234", "fee": "FullFee", "date": "2025-12-01"}}}),
        &["/fee/previousApplication/uid"],
    );
}

#[test]
fn attorneys_are_checked_together() {
    let two = |second: Value| json!({"attorneys": [valid()["attorneys"][0].clone(), second]});
    let mut other = valid()["attorneys"][0].clone();
    other["uid"] = json!("00000000-0000-4000-8000-0000000000a2");
    check(two(other.clone()), &["/howAttorneysMakeDecisions"]);
    let mut dup = other.clone();
    dup["uid"] = json!("00000000-0000-4000-8000-0000000000a1");
    check(
        two(dup),
        &["/attorneys/1/uid", "/howAttorneysMakeDecisions"],
    );
    let mut replacement = other;
    replacement["appointmentType"] = json!("replacement");
    check(two(replacement), &[]);
    let mut mixed = two(valid()["attorneys"][0].clone());
    mixed["attorneys"][1]["uid"] = json!("00000000-0000-4000-8000-0000000000a3");
    mixed["howAttorneysMakeDecisions"] = json!("jointly-for-some-severally-for-others");
    check(mixed, &["/howAttorneysMakeDecisionsDetails"]);
}

#[test]
fn unknown_values_name_the_allowed_ones() {
    let mut app = valid();
    app["channel"] = json!("fax");
    let (_, problems) = read_application(&app, today(), BusinessZone::LONDON);
    assert_eq!(problems[0].detail, "must be one of online, paper");
}

#[track_caller]
fn check_postcode(postcode: &str, well_formed: bool) {
    assert_eq!(
        uk_postcode_well_formed(postcode),
        well_formed,
        "{postcode:?}"
    );
}

#[test]
fn uk_postcodes_follow_the_royal_mail_shapes() {
    for pc in [
        "SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 0AX", "sw1a1aa", "GIR 0AA",
    ] {
        check_postcode(pc, true);
    }
    for pc in [
        "", "12345", "SW1A 1A", "SW1A1AAA", "ABCDE", "1W1 1AA", "SW1A 1A1", "LS1 1ÄA",
    ] {
        check_postcode(pc, false);
    }
}

#[test]
fn lpa_uids_use_the_opg_alphabet() {
    assert!(lpa_uid_well_formed("M-QWER-TY34-6789"));
    assert!(
        !lpa_uid_well_formed("M-QWER-TY34-6781"),
        "1 is not in the alphabet"
    );
    assert!(!lpa_uid_well_formed("X-QWER-TY34-6789"));
    assert!(!lpa_uid_well_formed("M-QWER-TY34"));
}

const UUID_1: &str = "00000000-0000-4000-8000-0000000000b1";

#[test]
fn what_the_lpa_store_requires_of_every_actor_is_checked() {
    check(json!({"language": null}), &["/language"]);
    check(
        json!({"donor": {"contactLanguagePreference": "fr"}}),
        &["/donor/contactLanguagePreference"],
    );
    check(
        json!({"certificateProvider": {"phone": null}}),
        &["/certificateProvider/phone"],
    );
    check(
        json!({"certificateProvider": {"channel": "online"}}),
        &["/certificateProvider/email"],
    );
    check(
        json!({"certificateProvider": {"email": "cp@example.org"}}),
        &["/certificateProvider/email"],
    );
    check(json!({"donor": {"uid": "donor-1"}}), &["/donor/uid"]);
    check(
        json!({"donor": {"uid": UUID_1}, "certificateProvider": {"uid": UUID_1}}),
        &["/certificateProvider/uid"],
    );
}

fn attorney(uid: &str, appointment: &str) -> Value {
    json!({"uid": uid, "firstNames": "C", "lastName": "Babbage", "dateOfBirth": "1971-12-26",
           "address": address(), "appointmentType": appointment, "channel": "paper"})
}

#[test]
fn decisions_follow_the_lpa_store_rules_for_the_attorneys_named() {
    let ids = |n: u8| format!("00000000-0000-4000-8000-0000000000c{n}");
    check(
        json!({"howAttorneysMakeDecisions": "jointly"}),
        &["/howAttorneysMakeDecisions"],
    );
    let two = json!({"attorneys": [attorney(&ids(1), "original"), attorney(&ids(2), "original")],
                     "howAttorneysMakeDecisions": "jointly-and-severally"});
    check(two.clone(), &[]);
    let mut another_way = two.clone();
    another_way["howReplacementAttorneysStepIn"] = json!("another-way");
    check(another_way, &["/howReplacementAttorneysStepInDetails"]);
    let mut one_replacement = two.clone();
    one_replacement["attorneys"]
        .as_array_mut()
        .expect("list")
        .push(attorney(&ids(3), "replacement"));
    one_replacement["howReplacementAttorneysMakeDecisions"] = json!("jointly");
    one_replacement["howReplacementAttorneysStepIn"] = json!("all-can-no-longer-act");
    check(one_replacement, &["/howReplacementAttorneysMakeDecisions"]);
    let mut store_refuses = json!({"attorneys": [
        attorney(&ids(1), "original"), attorney(&ids(2), "original"),
        attorney(&ids(3), "replacement"), attorney(&ids(4), "replacement")],
        "howAttorneysMakeDecisions": "jointly-for-some-severally-for-others",
        "howAttorneysMakeDecisionsDetails": "jointly for the house"});
    check(store_refuses.clone(), &["/howAttorneysMakeDecisions"]);
    store_refuses["howAttorneysMakeDecisions"] = json!("jointly");
    store_refuses["howAttorneysMakeDecisionsDetails"] = Value::Null;
    store_refuses["howReplacementAttorneysMakeDecisions"] = json!("jointly-and-severally");
    check(store_refuses, &[]);
}

#[test]
fn jointly_and_severally_with_a_replacement_says_how_the_replacement_steps_in() {
    let ids = |n: u8| format!("00000000-0000-4000-8000-0000000000d{n}");
    let mut app = json!({"attorneys": [attorney(&ids(1), "original"), attorney(&ids(2), "original"),
                                      attorney(&ids(3), "replacement")],
                         "howAttorneysMakeDecisions": "jointly-and-severally"});
    check(app.clone(), &["/howReplacementAttorneysStepIn"]);
    app["howReplacementAttorneysStepIn"] = json!("one-can-no-longer-act");
    check(app, &[]);
}
