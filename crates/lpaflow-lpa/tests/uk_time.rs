//! UK local time through the real workflow and rules (`shared/DOMAIN.md` section 5): each calendar rule on
//! both sides of both UK clock changes and of the fee rise on 19 September 2025.

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::*;
use serde_json::{Value, json};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test instant")
        .with_timezone(&Utc)
}

/// An LPA created at `created`, in `signing` with the full fee of its fee date paid.
fn signing_at(application: Value, created: &str) -> Lpa {
    let mut lpa = Lpa::try_create(application, at(created)).expect("created");
    lpa.service("submit", json!({}));
    let fee = lpa.data()["fee"]["amounts"]["fullCostPence"].clone();
    lpa.service("record_payment", json!({ "amountPence": fee }));
    assert_eq!(lpa.state(), "signing");
    lpa
}

#[test]
fn the_fee_is_the_one_of_the_uk_day_the_application_was_received() {
    // (channel, receivedAt, created at, full fee, fee date)
    let cases: &[(&str, Option<&str>, &str, i64, &str)] = &[
        // Online: received when made. 23:30 UTC on 18 September 2025 is 00:30 BST on the 19th.
        ("online", None, "2025-09-18T23:30:00Z", 9200, "2025-09-19"),
        ("online", None, "2025-09-18T22:59:59Z", 8200, "2025-09-18"),
        // Paper: the day the OPG received it, whenever it is keyed in.
        (
            "paper",
            Some("2025-09-18T16:00:00+01:00"),
            "2025-10-01T10:00:00Z",
            8200,
            "2025-09-18",
        ),
        (
            "paper",
            Some("2025-09-19T00:30:00+01:00"),
            "2025-10-01T10:00:00Z",
            9200,
            "2025-09-19",
        ),
        // In winter UK time is UTC.
        ("online", None, "2026-01-15T00:30:00Z", 9200, "2026-01-15"),
    ];
    for (channel, received, created, fee, fee_date) in cases {
        let mut patch = json!({ "channel": channel });
        if let Some(r) = received {
            patch["receivedAt"] = json!(r);
        }
        let lpa = Lpa::try_create(application_with(patch), at(created)).expect("created");
        let ledger = &lpa.data()["fee"];
        assert_eq!(
            (
                ledger["amounts"]["fullCostPence"].as_i64(),
                ledger["feeDate"].as_str()
            ),
            (Some(*fee), Some(*fee_date)),
            "{channel} received {received:?} created {created}"
        );
        assert!(lpa.findings().is_empty(), "{channel}: {:?}", lpa.findings());
    }
}

#[test]
fn an_online_application_is_received_when_it_is_made() {
    let lpa = Lpa::try_create(application(), at("2025-09-18T23:30:00Z")).expect("created");
    assert_eq!(
        lpa.data()["application"]["receivedAt"],
        json!("2025-09-18T23:30:00Z")
    );
    assert_eq!(lpa.data()["fee"]["receivedOn"], json!("2025-09-19"));
}

#[test]
fn a_paper_application_without_a_receipt_date_is_costed_on_the_day_it_was_keyed_in_with_a_warning()
{
    let mut lpa = Lpa::try_create(
        application_with(json!({"channel": "paper"})),
        at("2025-10-01T10:00:00Z"),
    )
    .expect("created");
    assert_eq!(lpa.data()["fee"]["feeDate"], json!("2025-10-01"));
    assert_eq!(lpa.data()["fee"]["amounts"]["fullCostPence"], json!(9200));
    assert_eq!(
        lpa.findings(),
        [(
            "application.received_date_missing".into(),
            "/receivedAt".into(),
            "detected".into()
        )]
    );
    lpa.service(
        "update_application",
        json!({"receivedAt": "2025-09-17T11:00:00+01:00"}),
    );
    assert_eq!(lpa.data()["fee"]["feeDate"], json!("2025-09-17"));
    assert_eq!(lpa.data()["fee"]["keyedOn"], json!("2025-10-01"));
    assert_eq!(lpa.data()["fee"]["amounts"]["fullCostPence"], json!(8200));
    assert_eq!(lpa.findings()[0].2, "resolved");
}

#[test]
fn a_receipt_date_cannot_be_in_the_future_nor_change_once_the_fee_is_decided() {
    let refused = Lpa::try_create(
        application_with(json!({"receivedAt": "2026-01-05T09:00:01Z"})),
        t0(),
    )
    .err()
    .expect("refused");
    assert!(
        format!("{refused:?}").contains("/receivedAt"),
        "{refused:?}"
    );

    let mut lpa = Lpa::create(application_with(json!({
        "fee": {"claimedType": "HalfFee", "grossAnnualIncomePence": 900000}
    })));
    lpa.service(
        "provide_fee_evidence",
        json!({"kind": "income", "reference": "DOC-1", "receivedAt": "2026-01-05T08:00:00Z"}),
    );
    lpa.caseworker(
        "decide_fee",
        json!({"outcome": "approved", "approvedType": "HalfFee"}),
    );
    let r = lpa.refused(
        "update_application",
        "service",
        json!({"receivedAt": "2026-01-04T09:00:00Z"}),
    );
    assert!(format!("{r:?}").contains("received_date_locked"), "{r:?}");
}

#[test]
fn a_payment_cannot_reach_the_opg_before_its_application() {
    let mut lpa = Lpa::create(application_with(
        json!({"receivedAt": "2026-01-04T12:00:00Z"}),
    ));
    let r = lpa.refused(
        "record_payment",
        "service",
        json!({"amountPence": 9200, "receivedAt": "2026-01-03T23:30:00Z"}),
    );
    assert!(format!("{r:?}").contains("/receivedAt"), "{r:?}");
    lpa.service(
        "record_payment",
        json!({"amountPence": 9200, "receivedAt": "2026-01-04T09:00:00Z"}),
    );
    assert_eq!(
        lpa.data()["fee"]["payments"][0]["receivedAt"],
        json!("2026-01-04T09:00:00Z")
    );
}

#[test]
fn a_signature_just_after_uk_midnight_in_summer_belongs_to_the_uk_day() {
    let mut lpa = signing_at(application(), "2026-06-14T22:00:00Z");
    lpa.advance(TimeDelta::hours(2));
    lpa.service(
        "sign_as_donor",
        json!({"signedAt": "2026-06-15T00:30:00+01:00"}),
    );
    let starts: Vec<&str> = lpa.data()["deadlines"]
        .as_array()
        .expect("deadlines")
        .iter()
        .filter_map(|d| d["startsOn"].as_str())
        .collect();
    assert!(!starts.is_empty());
    assert!(starts.iter().all(|s| *s == "2026-06-15"), "{starts:?}");
    let explanation = lpaflow_lpa::explain(
        &lpa.def,
        &lpaflow_lpa::LpaRules::default(),
        &lpa.instance,
        lpa.now,
    );
    let dates = explanation.dates.expect("dates");
    assert_eq!(dates.time_zone, "Europe/London");
    assert_eq!(dates.reference_date.date.to_string(), "2026-06-15");
}

/// The donor's identity checked at `checked`: the signature deadline's timer and when its finding appears.
#[track_caller]
fn check_identity_deadline(checked: &str, fires_at: &str) {
    let mut lpa = Lpa::try_create(application(), at(checked)).expect("created");
    lpa.service(
        "confirm_donor_identity",
        json!({"type": "one-login", "checkedAt": checked}),
    );
    let timer = lpa
        .timers
        .iter()
        .find(|t| t.name == "deadline.donor_signature")
        .expect("deadline timer")
        .clone();
    assert_eq!(timer.fire_at, at(fires_at), "checked {checked}");
    lpa.advance(at(fires_at) - lpa.now - TimeDelta::seconds(1));
    assert!(
        lpa.findings().is_empty(),
        "a second before UK midnight: {:?}",
        lpa.findings()
    );
    lpa.advance(TimeDelta::seconds(1));
    assert_eq!(lpa.finding_id("deadline.donor_signature"), "F1");
}

#[test]
fn deadlines_end_at_uk_midnight_across_both_clock_changes() {
    // Checked in GMT, last day in BST (10 September): ends at 23:00 UTC.
    check_identity_deadline("2026-03-10T12:00:00Z", "2026-09-10T23:00:00Z");
    // Checked in BST, last day in GMT (20 March): ends at 00:00 UTC on the 21st.
    check_identity_deadline("2026-09-20T12:00:00Z", "2027-03-21T00:00:00Z");
}

/// The waiting period entered at `entered` ends, and registration is requested, at `ends`.
#[track_caller]
fn check_waiting_period(entered: &str, ends: &str) {
    let mut lpa = signing_at(application(), entered);
    lpa.sign_all();
    lpa.service("enter_waiting_period", json!({}));
    assert_eq!(lpa.data()["waitingPeriod"]["endsAt"], json!(ends));
    let timer = lpa
        .timers
        .iter()
        .find(|t| t.name == "waiting_period")
        .expect("timer");
    assert_eq!(timer.fire_at, at(ends), "the timer and the data agree");
    lpa.advance(at(ends) - lpa.now - TimeDelta::seconds(1));
    assert!(lpa.data()["registration"].is_null(), "still waiting");
    lpa.advance(TimeDelta::seconds(1));
    assert_eq!(lpa.last_step().name.as_str(), "opg.update:REGISTER");
}

#[test]
fn the_waiting_period_is_28_uk_days_across_both_clock_changes() {
    // Begins 10 March (GMT); 28 days are 10 March to 6 April; ends at midnight BST.
    check_waiting_period("2026-03-10T15:00:00Z", "2026-04-06T23:00:00Z");
    // Begins 10 October (BST); 10 October to 6 November; ends at midnight GMT.
    check_waiting_period("2026-10-10T15:00:00Z", "2026-11-07T00:00:00Z");
    // Begins 00:30 BST on 15 June (23:30 UTC on the 14th): day 1 is 15 June.
    check_waiting_period("2026-06-14T23:30:00Z", "2026-07-12T23:00:00Z");
}

#[test]
fn the_not_related_confirmation_lapses_for_good_when_a_name_changes() {
    let mut lpa = Lpa::create(application_with(
        json!({"certificateProvider": {"lastName": "Byron-Lovelace"}}),
    ));
    lpa.service("confirm_not_related", json!({}));
    assert_eq!(lpa.findings()[0].2, "resolved");
    lpa.service(
        "update_application",
        json!({"certificateProvider": {"lastName": "Lovelace"}}),
    );
    assert_eq!(lpa.findings()[0].2, "detected");
    assert!(lpa.data()["notRelated"]["lapsedAt"].is_string());
    // Back to the confirmed name: the confirmation does not revive.
    lpa.service(
        "update_application",
        json!({"certificateProvider": {"lastName": "Byron-Lovelace"}}),
    );
    assert_eq!(lpa.findings()[0].2, "detected");
    assert_eq!(
        unmet_codes(&lpa.refused("submit", "service", json!({}))),
        ["blocking_finding"]
    );
    lpa.service("confirm_not_related", json!({}));
    assert_eq!(lpa.findings()[0].2, "resolved");
    assert!(lpa.data()["notRelated"]["lapsedAt"].is_null());
}

#[test]
fn a_date_of_birth_over_100_years_ago_is_a_warning_for_every_person() {
    let lpa = Lpa::create(application_with(json!({
        "donor": {"dateOfBirth": "1926-01-04"},
        "certificateProvider": {"dateOfBirth": "1925-06-01"},
        "peopleToNotify": [{"uid": "9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d", "firstNames": "Jo", "lastName": "Bloggs", "dateOfBirth": "1900-06-01"}]
    })));
    // Today (t0) is 5 January 2026: born on 4 January 1926 is more than 100 years before; born on 5 January
    // 1926 is exactly 100 years before, and no warning.
    let rules: Vec<(String, String)> = lpa
        .findings()
        .into_iter()
        .filter(|f| f.0 == "person.over_100")
        .map(|f| (f.0, f.1))
        .collect();
    assert_eq!(
        rules,
        [
            ("person.over_100".to_owned(), "donor".to_owned()),
            (
                "person.over_100".to_owned(),
                "certificateProvider".to_owned()
            ),
            (
                "person.over_100".to_owned(),
                "personToNotify:9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d".to_owned()
            ),
        ]
    );
    let young = Lpa::create(application_with(
        json!({"donor": {"dateOfBirth": "1926-01-05"}}),
    ));
    assert!(young.findings().is_empty(), "{:?}", young.findings());
}

#[test]
fn a_paper_receipt_stamp_may_be_a_date_and_an_online_application_cannot_be_back_dated() {
    let lpa = Lpa::try_create(
        application_with(json!({"channel": "paper", "receivedAt": "2025-09-18"})),
        at("2025-10-01T10:00:00Z"),
    )
    .expect("created");
    assert_eq!(lpa.data()["fee"]["feeDate"], json!("2025-09-18"));
    assert_eq!(lpa.data()["fee"]["amounts"]["fullCostPence"], json!(8200));

    let refused = Lpa::try_create(
        application_with(json!({"receivedAt": "2025-09-18T10:00:00Z"})),
        at("2025-10-01T10:00:00Z"),
    )
    .err()
    .expect("an online application back-dated by two weeks is refused");
    assert!(
        format!("{refused:?}").contains("/receivedAt"),
        "{refused:?}"
    );
}

#[test]
fn evidence_cannot_reach_the_opg_before_its_application() {
    let mut lpa = Lpa::create(application_with(json!({
        "receivedAt": "2026-01-04T12:00:00Z",
        "fee": {"claimedType": "HalfFee", "grossAnnualIncomePence": 900000}
    })));
    let r = lpa.refused(
        "provide_fee_evidence",
        "service",
        json!({"kind": "income", "reference": "P60", "receivedAt": "2026-01-03T09:00:00Z"}),
    );
    assert!(format!("{r:?}").contains("/receivedAt"), "{r:?}");
}

#[test]
fn an_attorney_turning_18_on_the_uk_day_of_a_signature_just_after_midnight_is_18() {
    let turns_18 = json!({"attorneys": [
        {"firstNames": "Charles", "lastName": "Babbage", "dateOfBirth": "2008-06-15",
         "address": address("2 Road"), "appointmentType": "original", "channel": "online",
         "email": "charles@example.org"}]});
    // 00:10 BST on 15 June: today is already the birthday.
    let mut lpa = signing_at(application_with(turns_18), "2026-06-14T23:10:00Z");
    lpa.advance(TimeDelta::minutes(30));
    lpa.service(
        "sign_as_donor",
        json!({"signedAt": "2026-06-15T00:30:00+01:00"}),
    );
    assert!(
        !lpa.findings().iter().any(|f| f.0 == "attorney.under_18"),
        "18 on the UK day of the signature (the UTC date is 14 June): {:?}",
        lpa.findings()
    );
}

#[test]
fn a_lapsed_confirmation_accepted_by_a_caseworker_is_not_sent_to_opg() {
    let mut lpa = Lpa::create(application_with(
        json!({"certificateProvider": {"lastName": "Byron-Lovelace"}}),
    ));
    lpa.service("confirm_not_related", json!({}));
    for name in ["Lovelace", "Byron-Lovelace"] {
        lpa.service(
            "update_application",
            json!({"certificateProvider": {"lastName": name}}),
        );
    }
    let id = lpa.finding_id("certificate_provider.same_last_name");
    lpa.caseworker(
        "accept_finding",
        json!({"finding": id, "reason": "checked by telephone"}),
    );
    lpa.service("submit", json!({}));
    lpa.service("record_payment", json!({"amountPence": 9200}));
    lpa.sign_all();
    let create = lpa
        .steps
        .iter()
        .find(|s| s.name == "opg.create")
        .expect("the create was enqueued");
    assert_eq!(
        create.payload["lpa"].get("certificateProviderNotRelatedConfirmedAt"),
        None,
        "the donor's confirmation lapsed: {}",
        create.payload["lpa"]
    );
}

/// The LPA workflow as version 2 had it: the waiting-period timer 28 x 24 hours after entry.
fn version_2() -> lpaflow_core::WorkflowDef {
    let text = include_str!("../../../workflows/lpa.toml")
        .replacen("version = 4", "version = 2", 1)
        .replacen(", at = \"midnight\"", "", 1);
    lpaflow_spec::load("lpa-v2.toml", &text, &lpaflow_lpa::catalog()).expect("loads")
}

#[test]
fn an_lpa_pinned_to_version_2_keeps_its_28_by_24_hour_waiting_period() {
    let application = application();
    let mut lpa = Lpa::try_create(application, at("2026-10-09T12:00:00Z")).expect("created");
    lpa.def = version_2();
    lpa.instance.workflow = lpa.def.reference().clone();
    lpa.service("submit", json!({}));
    lpa.service("record_payment", json!({"amountPence": 9200}));
    lpa.advance(at("2026-10-09T23:30:00Z") - lpa.now);
    lpa.sign_all();
    lpa.service("enter_waiting_period", json!({}));
    // Entered at 00:30 BST on 10 October: version 2 ends 28 x 24 h later, 30 minutes before UK midnight.
    assert_eq!(
        lpa.data()["waitingPeriod"]["endsAt"],
        json!("2026-11-06T23:30:00Z")
    );
    let timer = lpa
        .timers
        .iter()
        .find(|t| t.name == "waiting_period")
        .expect("timer");
    assert_eq!(
        timer.fire_at,
        at("2026-11-06T23:30:00Z"),
        "the data and the pinned timer agree"
    );
    lpa.advance(at("2026-11-06T23:29:59Z") - lpa.now);
    assert!(lpa.data()["registration"].is_null());
    lpa.advance(TimeDelta::seconds(1));
    assert_eq!(lpa.last_step().name.as_str(), "opg.update:REGISTER");
}

#[test]
fn the_repeat_window_is_measured_from_the_uk_day_of_receipt() {
    let repeat = |received: &str| {
        let lpa = Lpa::try_create(
            application_with(json!({
                "channel": "paper",
                "receivedAt": received,
                "fee": {"claimedType": "RepeatApplicationFee", "previousApplication":
                        {"uid": "M-AAAA-BBBB-CCCC", "fee": "FullFee", "date": "2025-06-18"}}
            })),
            at("2025-10-01T10:00:00Z"),
        )
        .expect("created");
        lpa.data()["fee"]["assessedType"].clone()
    };
    // Three calendar months from 18 June end on 18 September (UK): 23:30 BST on the 18th is inside, 00:30 BST on
    // the 19th (23:30 UTC on the 18th) is outside.
    assert_eq!(
        repeat("2025-09-18T22:30:00Z"),
        json!("RepeatApplicationFee")
    );
    assert_eq!(repeat("2025-09-18T23:30:00Z"), json!("FullFee"));
}

/// A paper application keyed in on 1 April 2026 whose donor's identity was checked at `checked`, then given
/// the receipt date `received`: the pointers of the refusal, or none if it is accepted.
#[track_caller]
fn receipt_after_identity(checked: Option<&str>, received: &str) -> Vec<String> {
    let mut lpa = Lpa::try_create(
        application_with(json!({"channel": "paper"})),
        at("2026-04-01T10:00:00Z"),
    )
    .expect("created");
    if let Some(checked) = checked {
        lpa.service(
            "confirm_donor_identity",
            json!({"type": "opg-paper-id", "checkedAt": checked}),
        );
    }
    match lpa.fire(
        "update_application",
        "service",
        json!({ "receivedAt": received }),
    ) {
        Ok(()) => {
            assert_eq!(lpa.data()["application"]["receivedAt"], json!(received));
            Vec::new()
        }
        Err(r) => problem_pointers(&r),
    }
}

#[test]
fn a_receipt_date_given_after_the_identity_check_is_not_before_its_uk_day() {
    // Checked at 00:30 BST on 30 March 2026 (23:30 UTC on the 29th): the identity date is 30 March.
    let checked = Some("2026-03-30T00:30:00+01:00");
    let refused = vec!["/receivedAt".to_owned()];
    // (identity checked, receivedAt, pointers of the refusal)
    let cases: &[(Option<&str>, &str, &[String])] = &[
        // 00:45 BST on 30 March is the same UK day, though its UTC date is the 29th.
        (checked, "2026-03-29T23:45:00Z", &[]),
        (checked, "2026-03-30", &[]),
        (checked, "2026-04-01T09:00:00+01:00", &[]),
        // 23:59 BST on 29 March: the day before.
        (checked, "2026-03-29T22:59:00Z", &refused),
        (checked, "2026-03-29", &refused),
        // Checked at 01:30 BST on 26 October 2025 (00:30 UTC, before the clocks went back), received the evening
        // before.
        (
            Some("2025-10-26T00:30:00Z"),
            "2025-10-25T23:59:00+01:00",
            &refused,
        ),
        (Some("2025-10-26T00:30:00Z"), "2025-10-26T00:00:00Z", &[]),
        // No identity check recorded: any past day.
        (None, "2026-03-01", &[]),
    ];
    for (checked, received, expected) in cases {
        assert_eq!(
            receipt_after_identity(*checked, received),
            *expected,
            "checked {checked:?}, received {received}"
        );
    }
}

#[test]
fn an_identity_check_after_the_receipt_is_the_usual_order_and_accepted() {
    let mut lpa = Lpa::try_create(
        application_with(json!({"channel": "paper", "receivedAt": "2026-03-20"})),
        at("2026-04-01T10:00:00Z"),
    )
    .expect("created");
    lpa.service(
        "confirm_donor_identity",
        json!({"type": "opg-paper-id", "checkedAt": "2026-03-30T00:30:00+01:00"}),
    );
    // The unchanged receipt date is not checked again when other fields change.
    lpa.service(
        "update_application",
        json!({"restrictionsAndConditions": "none"}),
    );
    assert_eq!(lpa.data()["application"]["receivedAt"], json!("2026-03-20"));
}

/// A calendar rule of `shared/DOMAIN.md` sections 3 and 4, run at one instant.
#[derive(Clone, Copy, Debug)]
enum Rule {
    /// A paper application received at the instant: `"{feeDate} {fullCostPence}"`.
    FeeDate,
    /// The donor signs at the instant, the only attorney born on the date: `18` or `under 18` (on the UK day
    /// of the signature; the LPA is made 20 minutes before it).
    AgeAtSigning,
    /// A paper repeat application received at the instant, the earlier one made on the date: the assessed type.
    RepeatWindow,
    /// An online application made at the instant, the donor born on the date: `warning` or `none`.
    Over100,
}

/// What `rule` says at `instant` given `date` (see [`Rule`]).
fn observe(rule: Rule, instant: &str, date: &str) -> String {
    match rule {
        Rule::FeeDate => {
            let ledger = paper_received(instant, json!({}));
            format!(
                "{} {}",
                ledger["feeDate"].as_str().unwrap_or("?"),
                ledger["amounts"]["fullCostPence"]
            )
        }
        Rule::AgeAtSigning => {
            let attorney = json!({"attorneys": [
                {"firstNames": "Charles", "lastName": "Babbage", "dateOfBirth": date,
                 "address": address("2 Road"), "appointmentType": "original", "channel": "online",
                 "email": "charles@example.org"}]});
            // Made 20 minutes before the signature, the same UK day: an attorney under 18 that day stops
            // `submit` already.
            let mut lpa = Lpa::try_create(
                application_with(attorney),
                at(instant) - TimeDelta::minutes(20),
            )
            .expect("created");
            if lpa.fire("submit", "service", json!({})).is_err() {
                return "under 18".to_owned();
            }
            lpa.service("record_payment", json!({"amountPence": 9200}));
            lpa.advance(TimeDelta::minutes(20));
            lpa.service("sign_as_donor", json!({ "signedAt": instant }));
            let under_18 = lpa.findings().iter().any(|f| f.0 == "attorney.under_18");
            if under_18 { "under 18" } else { "18" }.to_owned()
        }
        Rule::RepeatWindow => {
            let fee = json!({"fee": {"claimedType": "RepeatApplicationFee", "previousApplication":
                    {"uid": "M-AAAA-BBBB-CCCC", "fee": "FullFee", "date": date}}});
            paper_received(instant, fee)["assessedType"]
                .as_str()
                .unwrap_or("?")
                .to_owned()
        }
        Rule::Over100 => {
            let lpa = Lpa::try_create(
                application_with(json!({"donor": {"dateOfBirth": date}})),
                at(instant),
            )
            .expect("created");
            let warned = lpa
                .findings()
                .iter()
                .any(|f| f.0 == "person.over_100" && f.1 == "donor");
            if warned { "warning" } else { "none" }.to_owned()
        }
    }
}

/// The fee ledger of a paper application received at `instant` (with `patch`), keyed in weeks later.
fn paper_received(instant: &str, mut patch: Value) -> Value {
    patch["channel"] = json!("paper");
    patch["receivedAt"] = json!(instant);
    let lpa =
        Lpa::try_create(application_with(patch), at("2026-11-20T10:00:00Z")).expect("created");
    lpa.data()["fee"].clone()
}

#[track_caller]
fn check(rule: Rule, instant: &str, date: &str, expected: &str) {
    assert_eq!(
        observe(rule, instant, date),
        expected,
        "{rule:?} at {instant} with {date}"
    );
}

#[test]
fn each_calendar_rule_takes_the_uk_day_at_00_30_across_the_fee_rise_and_both_2026_clock_changes() {
    use Rule::*;
    // 00:30 BST is 23:30 UTC the day before: on 19 September 2025, on 30 March 2026 (the first BST midnight,
    // the day after the spring change) and on 25 October 2026 (the last BST midnight: the clocks go back at
    // 02:00 that night). At 00:30 GMT on 26 October, the day after the autumn change, the UTC date is the UK
    // date; it is in the table too.
    let cases: &[(Rule, &str, &str, &str)] = &[
        // The fee rise: 00:30 BST on 19 September is the new fee, 23:30 BST on the 18th the old one.
        (FeeDate, "2025-09-19T00:30:00+01:00", "", "2025-09-19 9200"),
        (FeeDate, "2025-09-18T23:30:00+01:00", "", "2025-09-18 8200"),
        (FeeDate, "2026-03-30T00:30:00+01:00", "", "2026-03-30 9200"),
        (FeeDate, "2026-10-25T00:30:00+01:00", "", "2026-10-25 9200"),
        (FeeDate, "2026-10-26T00:30:00+00:00", "", "2026-10-26 9200"),
        // A birthday on the day of a signature at 00:30: 18 that UK day, not the UTC day before.
        (
            AgeAtSigning,
            "2026-03-30T00:30:00+01:00",
            "2008-03-30",
            "18",
        ),
        (
            AgeAtSigning,
            "2026-03-30T00:30:00+01:00",
            "2008-03-31",
            "under 18",
        ),
        (
            AgeAtSigning,
            "2026-10-25T00:30:00+01:00",
            "2008-10-25",
            "18",
        ),
        (
            AgeAtSigning,
            "2026-10-25T00:30:00+01:00",
            "2008-10-26",
            "under 18",
        ),
        (
            AgeAtSigning,
            "2026-10-26T00:30:00+00:00",
            "2008-10-26",
            "18",
        ),
        // Three calendar months from 29 December 2025 end on 29 March 2026, the day of the spring change.
        (
            RepeatWindow,
            "2026-03-29T23:30:00+01:00",
            "2025-12-29",
            "RepeatApplicationFee",
        ),
        (
            RepeatWindow,
            "2026-03-30T00:30:00+01:00",
            "2025-12-29",
            "FullFee",
        ),
        // From 24 July 2026 they end on 24 October: 00:30 BST on the 25th is outside.
        (
            RepeatWindow,
            "2026-10-24T23:30:00+01:00",
            "2026-07-24",
            "RepeatApplicationFee",
        ),
        (
            RepeatWindow,
            "2026-10-25T00:30:00+01:00",
            "2026-07-24",
            "FullFee",
        ),
        // From 25 July 2026 they end on 25 October, the day of the autumn change.
        (
            RepeatWindow,
            "2026-10-25T23:30:00+00:00",
            "2026-07-25",
            "RepeatApplicationFee",
        ),
        (
            RepeatWindow,
            "2026-10-26T00:30:00+00:00",
            "2026-07-25",
            "FullFee",
        ),
        // More than 100 years before the UK day; exactly 100 years is no warning.
        (
            Over100,
            "2026-03-30T00:30:00+01:00",
            "1926-03-29",
            "warning",
        ),
        (Over100, "2026-03-30T00:30:00+01:00", "1926-03-30", "none"),
        (
            Over100,
            "2026-10-25T00:30:00+01:00",
            "1926-10-24",
            "warning",
        ),
        (Over100, "2026-10-25T00:30:00+01:00", "1926-10-25", "none"),
        (
            Over100,
            "2026-10-26T00:30:00+00:00",
            "1926-10-25",
            "warning",
        ),
        (Over100, "2026-10-26T00:30:00+00:00", "1926-10-26", "none"),
    ];
    for (rule, instant, date, expected) in cases {
        check(*rule, instant, date, expected);
    }
}

proptest::proptest! {
    /// The fee date of a paper application is the Europe/London date of the instant it was received, whatever
    /// the offset it is written with.
    #[test]
    fn the_fee_date_is_the_london_date_of_the_receipt(
        secs in 1_577_836_800i64..1_793_491_200,
        written_offset_hours in -12i32..=12,
    ) {
        let received = DateTime::from_timestamp(secs, 0).expect("in range");
        let offset = chrono::FixedOffset::east_opt(written_offset_hours * 3600).expect("valid offset");
        let written = received.with_timezone(&offset).to_rfc3339();
        let london = received
            .with_timezone(&chrono_tz::Europe::London)
            .date_naive()
            .to_string();
        let ledger = paper_received(&written, json!({}));
        proptest::prop_assert_eq!(ledger["feeDate"].as_str(), Some(london.as_str()));
        proptest::prop_assert_eq!(ledger["receivedOn"].as_str(), Some(london.as_str()));
    }
}
