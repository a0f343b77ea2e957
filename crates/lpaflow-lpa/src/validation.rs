//! Reads an application's JSON into the typed [`Application`] and lists every problem with its JSON pointer
//! (`shared/DOMAIN.md` section 3, last point): required fields, known values, dates, a country on every
//! address, a well-formed UK postcode, and the rules that tie fields together (a half fee needs an income, a
//! property and affairs LPA says when it can be used, ...). Nothing here refuses: the caller decides whether
//! problems refuse the command (online) or become findings (paper).
//!
//! The rules that tie the attorneys' decisions together follow the LPA Store's create validation
//! (`lambda/create/validate.go`, after `set_defaults.go`), so that an online LPA lpaflow accepts is one the
//! store will accept when the donor has signed. People are read in [`crate::validation_people`].

use crate::application::{
    Application, FeeClaim, FeeType, HowMakeDecisions, HowStepIn, LpaType, PreviousApplication,
};
use crate::fields::{Obj, Problems};
use crate::validation_people::{
    check_unique_uids, is_original, is_replacement, read_attorneys, read_certificate_provider,
    read_donor, read_people_to_notify, read_trust_corporations,
};
use chrono::{DateTime, NaiveDate, Utc};
use lpaflow_core::{BusinessZone, PayloadProblem};
use serde_json::Value;

pub use crate::validation_people::{
    ATTORNEYS_MAX, PEOPLE_TO_NOTIFY_MAX, TRUST_CORPORATIONS_MAX, uk_postcode_well_formed,
    uuid_well_formed,
};

/// Every key an application may have at its top level (`uid` is the API's, taken off before these rules).
pub const TOP_KEYS: &[&str] = &[
    "lpaType",
    "channel",
    "language",
    "donor",
    "attorneys",
    "trustCorporations",
    "certificateProvider",
    "howAttorneysMakeDecisions",
    "howAttorneysMakeDecisionsDetails",
    "howReplacementAttorneysMakeDecisions",
    "howReplacementAttorneysMakeDecisionsDetails",
    "howReplacementAttorneysStepIn",
    "howReplacementAttorneysStepInDetails",
    "whenTheLpaCanBeUsed",
    "lifeSustainingTreatmentOption",
    "restrictionsAndConditions",
    "peopleToNotify",
    "fee",
    "receivedAt",
];

/// Reads `value` (the whole application) at `now`, with dates in `zone`; returns the typed view and every
/// problem.
pub fn read_application(
    value: &Value,
    now: DateTime<Utc>,
    zone: BusinessZone,
) -> (Application, Vec<PayloadProblem>) {
    let today = zone.date_of(now);
    let mut p = Problems::default();
    let mut app = Application::default();
    if let Some(o) = Obj::of(value, "", &mut p) {
        o.no_other_keys(TOP_KEYS, &mut p);
        app.lpa_type = o.req_wire("lpaType", &mut p);
        app.channel = o.req_wire("channel", &mut p);
        app.language = o.req_wire("language", &mut p);
        app.donor = read_donor(&o, today, &mut p);
        app.attorneys = read_attorneys(&o, today, &mut p);
        app.trust_corporations = read_trust_corporations(&o, &mut p);
        app.certificate_provider = read_certificate_provider(&o, today, &mut p);
        app.how_attorneys_make_decisions = o.opt_wire("howAttorneysMakeDecisions", &mut p);
        app.how_attorneys_make_decisions_details =
            o.opt_long_text("howAttorneysMakeDecisionsDetails", &mut p);
        app.how_replacement_attorneys_make_decisions =
            o.opt_wire("howReplacementAttorneysMakeDecisions", &mut p);
        app.how_replacement_attorneys_make_decisions_details =
            o.opt_long_text("howReplacementAttorneysMakeDecisionsDetails", &mut p);
        app.how_replacement_attorneys_step_in = o.opt_wire("howReplacementAttorneysStepIn", &mut p);
        app.how_replacement_attorneys_step_in_details =
            o.opt_long_text("howReplacementAttorneysStepInDetails", &mut p);
        app.when_the_lpa_can_be_used = o.opt_wire("whenTheLpaCanBeUsed", &mut p);
        app.life_sustaining_treatment_option = o.opt_wire("lifeSustainingTreatmentOption", &mut p);
        app.restrictions_and_conditions = o.opt_long_text("restrictionsAndConditions", &mut p);
        app.people_to_notify = read_people_to_notify(&o, today, &mut p);
        app.fee = read_fee(&o, today, &mut p);
        app.received_at = read_received_at(&o, now, zone, &mut p);
        check_unique_uids(
            &app.donor,
            &app.attorneys,
            &app.trust_corporations,
            &app.certificate_provider,
            &app.people_to_notify,
            &mut p,
        );
        check_originals(&app, &mut p);
        check_decisions(&app, &mut p);
        check_type_specific(&o, &app, &mut p);
    }
    (app, p.0)
}

/// `receivedAt`: an RFC 3339 instant, or a date (a paper form's receipt stamp), read as the start of that local
/// day; not in the future.
fn read_received_at(
    o: &Obj<'_>,
    now: DateTime<Utc>,
    zone: BusinessZone,
    p: &mut Problems,
) -> Option<DateTime<Utc>> {
    let day = o
        .get("receivedAt")
        .and_then(Value::as_str)
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
    match day {
        Some(day) if day > zone.date_of(now) => {
            p.add(o.ptr("receivedAt"), "must not be in the future");
            None
        }
        Some(day) => Some(zone.start_of(day)),
        None => o.opt_time_not_after("receivedAt", now, p),
    }
}

/// How long before it was created an online application may say it was received (a service may record the
/// moment the donor submitted, a little before it reached lpaflow); older receipt dates are for paper.
pub const ONLINE_RECEIPT_LEEWAY_HOURS: i64 = 24;

/// An online application is received when it is made: its `receivedAt` may not be back-dated (which would
/// choose its fee) by more than [`ONLINE_RECEIPT_LEEWAY_HOURS`] before `created`.
pub fn online_receipt_problems(app: &Application, created: DateTime<Utc>) -> Vec<PayloadProblem> {
    let earliest = created - chrono::TimeDelta::hours(ONLINE_RECEIPT_LEEWAY_HOURS);
    match app.received_at {
        Some(r) if !app.is_paper() && r < earliest => vec![PayloadProblem::new(
            "/receivedAt",
            format!(
                "an online application is received when it is made: at most {ONLINE_RECEIPT_LEEWAY_HOURS} hours before it was created"
            ),
        )],
        Some(_) | None => Vec::new(),
    }
}

fn read_fee(o: &Obj<'_>, today: NaiveDate, p: &mut Problems) -> Option<FeeClaim> {
    let ptr = o.ptr("fee");
    let Some(v) = o.get("fee") else {
        p.add(ptr, "is required");
        return None;
    };
    let f = Obj::of(v, &ptr, p)?;
    f.no_other_keys(
        &[
            "claimedType",
            "grossAnnualIncomePence",
            "receivesMeansTestedBenefit",
            "previousApplication",
        ],
        p,
    );
    let claim = FeeClaim {
        claimed_type: f.req_enum("claimedType", p),
        gross_annual_income_pence: f.opt_int("grossAnnualIncomePence", 0, 1_000_000_000_000, p),
        receives_means_tested_benefit: f.opt_bool("receivesMeansTestedBenefit", p),
        previous_application: read_previous(&f, today, p),
    };
    let needs = |present: bool, key: &str, why: &str, p: &mut Problems| {
        if !present {
            p.add(f.ptr(key), format!("is required for {why}"));
        }
    };
    match claim.claimed_type {
        Some(FeeType::HalfFee) => needs(
            claim.gross_annual_income_pence.is_some(),
            "grossAnnualIncomePence",
            "a HalfFee claim",
            p,
        ),
        Some(FeeType::NoFee) => needs(
            claim.receives_means_tested_benefit == Some(true),
            "receivesMeansTestedBenefit",
            "a NoFee claim (and must be true)",
            p,
        ),
        Some(FeeType::RepeatApplicationFee) => needs(
            claim.previous_application.is_some(),
            "previousApplication",
            "a RepeatApplicationFee claim",
            p,
        ),
        Some(FeeType::FullFee | FeeType::HardshipFee) | None => {}
    }
    Some(claim)
}

fn read_previous(f: &Obj<'_>, today: NaiveDate, p: &mut Problems) -> Option<PreviousApplication> {
    let ptr = f.ptr("previousApplication");
    let v = f.get("previousApplication")?;
    let o = Obj::of(v, &ptr, p)?;
    o.no_other_keys(&["uid", "fee", "date"], p);
    let uid = o.req_text("uid", p);
    if !uid.is_empty() && !lpa_uid_well_formed(&uid) {
        p.add(o.ptr("uid"), "must look like M-XXXX-XXXX-XXXX");
    }
    let fee: Option<FeeType> = o.req_enum("fee", p);
    if fee == Some(FeeType::RepeatApplicationFee) {
        p.add(o.ptr("fee"), "must be the type paid for the earlier application: FullFee, HalfFee, NoFee or HardshipFee");
    }
    let date = o.req_date("date", p);
    if date.is_some_and(|d| d > today) {
        p.add(o.ptr("date"), "must not be in the future");
    }
    Some(PreviousApplication { uid, fee, date })
}

/// True for an OPG LPA uid: `M-` and three groups of four from the alphabet `346789QWERTYUPADFGHJKLXCVBNM`.
pub fn lpa_uid_well_formed(uid: &str) -> bool {
    const ALPHABET: &str = "346789QWERTYUPADFGHJKLXCVBNM";
    let Some(rest) = uid.strip_prefix("M-") else {
        return false;
    };
    let groups: Vec<&str> = rest.split('-').collect();
    groups.len() == 3
        && groups
            .iter()
            .all(|g| g.len() == 4 && g.chars().all(|c| ALPHABET.contains(c)))
}

/// Attorneys who act from the start and replacements, trust corporations included, as the application names
/// them (an opt-out before the donor signs changes the counts: `document::decisions` then sends only what the
/// store accepts for the attorneys left).
fn counts(app: &Application) -> (usize, usize) {
    let appointments = app
        .attorneys
        .iter()
        .map(|a| &a.appointment_type)
        .chain(app.trust_corporations.iter().map(|t| &t.appointment_type));
    appointments.fold((0, 0), |(o, r), a| {
        (
            o + usize::from(is_original(a)),
            r + usize::from(is_replacement(a)),
        )
    })
}

fn check_originals(app: &Application, p: &mut Problems) {
    let (originals, _) = counts(app);
    if !app.attorneys.is_empty() && originals == 0 {
        p.add(
            "/attorneys",
            "must name at least one original attorney (or an original trust corporation)",
        );
    }
}

/// A text that goes with one choice only: required with it, absent otherwise (the store's rule).
fn details(p: &mut Problems, key: &str, given: bool, needed: bool, why: &str) {
    match (needed, given) {
        (true, false) => p.add(format!("/{key}"), format!("is required for {why}")),
        (false, true) => p.add(format!("/{key}"), format!("must be given only for {why}")),
        (true, true) | (false, false) => {}
    }
}

/// How attorneys and replacements decide and step in, as `lambda/create/validate.go` ties them together.
fn check_decisions(app: &Application, p: &mut Problems) {
    use HowMakeDecisions::{Jointly, JointlyAndSeverally, JointlyForSomeSeverallyForOthers};
    let (active, replacements) = counts(app);
    let how = app.how_attorneys_make_decisions.as_ref();
    match (active > 1, how.is_some()) {
        (true, false) => p.add(
            "/howAttorneysMakeDecisions",
            "is required when there is more than one original attorney",
        ),
        (false, true) => p.add(
            "/howAttorneysMakeDecisions",
            "must be given only when there is more than one original attorney",
        ),
        (true, true) | (false, false) => {}
    }
    details(
        p,
        "howAttorneysMakeDecisionsDetails",
        app.how_attorneys_make_decisions_details.is_some(),
        how == Some(&JointlyForSomeSeverallyForOthers),
        "jointly-for-some-severally-for-others",
    );
    let step_in = app.how_replacement_attorneys_step_in.as_ref();
    if replacements > 0 && how == Some(&JointlyAndSeverally) && step_in.is_none() {
        // validate.go requires it then (set_defaults.go fills no default).
        p.add(
            "/howReplacementAttorneysStepIn",
            "is required when attorneys decide jointly-and-severally and there is a replacement",
        );
    }
    details(
        p,
        "howReplacementAttorneysStepInDetails",
        app.how_replacement_attorneys_step_in_details.is_some(),
        step_in == Some(&HowStepIn::AnotherWay),
        "another-way",
    );
    let all_step_in = step_in == Some(&HowStepIn::AllCanNoLongerAct);
    let replacements_decide = replacements > 1
        && (active == 1
            || how == Some(&Jointly)
            || (how == Some(&JointlyAndSeverally) && all_step_in));
    let replacement_how = app.how_replacement_attorneys_make_decisions.as_ref();
    if replacement_how.is_some() && !replacements_decide {
        p.add(
            "/howReplacementAttorneysMakeDecisions",
            "must be given only with more than one replacement attorney who step in together",
        );
    }
    if replacements > 1 && active > 1 && how == Some(&JointlyForSomeSeverallyForOthers) {
        // set_defaults.go gives howReplacementAttorneysMakeDecisions a default here, which validate.go then
        // refuses: the store cannot hold this combination.
        p.add(
            "/howAttorneysMakeDecisions",
            "jointly-for-some-severally-for-others cannot be combined with more than one replacement \
             attorney: the LPA Store refuses that combination",
        );
    }
    details(
        p,
        "howReplacementAttorneysMakeDecisionsDetails",
        app.how_replacement_attorneys_make_decisions_details
            .is_some(),
        replacement_how == Some(&JointlyForSomeSeverallyForOthers),
        "replacement attorneys deciding jointly-for-some-severally-for-others",
    );
}

fn check_type_specific(o: &Obj<'_>, app: &Application, p: &mut Problems) {
    let (required, forbidden) = match &app.lpa_type {
        Some(LpaType::PropertyAndAffairs) => {
            ("whenTheLpaCanBeUsed", "lifeSustainingTreatmentOption")
        }
        Some(LpaType::PersonalWelfare) => ("lifeSustainingTreatmentOption", "whenTheLpaCanBeUsed"),
        _ => return,
    };
    let kind = app
        .lpa_type
        .as_ref()
        .map(LpaType::as_str)
        .unwrap_or_default();
    if o.get(required).is_none() {
        p.add(o.ptr(required), format!("is required for a {kind} LPA"));
    }
    if o.get(forbidden).is_some() {
        p.add(o.ptr(forbidden), format!("does not apply to a {kind} LPA"));
    }
}

#[cfg(test)]
#[path = "validation_tests.rs"]
mod tests;
