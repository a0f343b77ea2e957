//! Reads an application's JSON into the typed [`Application`] and lists every problem with its JSON pointer
//! (`shared/DOMAIN.md` section 3, last point): required fields, known values, dates, a country on every
//! address, a well-formed UK postcode, and the rules that tie fields together (a half fee needs an income, a
//! property and affairs LPA says when it can be used, ...). Nothing here refuses: the caller decides whether
//! problems refuse the command (online) or become findings (paper).

use crate::application::{
    Address, Application, Attorney, CertificateProvider, Donor, FeeClaim, FeeType,
    HowAttorneysMakeDecisions, LpaType, Person, PreviousApplication,
};
use crate::fields::{Obj, Problems, child};
use chrono::NaiveDate;
use lpaflow_core::PayloadProblem;
use serde_json::Value;

/// The most attorneys (original and replacement together) an application may name.
pub const ATTORNEYS_MAX: usize = 20;
/// The most people to notify.
pub const PEOPLE_TO_NOTIFY_MAX: usize = 5;

const TOP_KEYS: &[&str] = &[
    "lpaType",
    "channel",
    "donor",
    "attorneys",
    "certificateProvider",
    "howAttorneysMakeDecisions",
    "howAttorneysMakeDecisionsDetails",
    "whenTheLpaCanBeUsed",
    "lifeSustainingTreatmentOption",
    "restrictionsAndConditions",
    "peopleToNotify",
    "fee",
];

/// Reads `value` (the whole application) on `today`; returns the typed view and every problem.
pub fn read_application(value: &Value, today: NaiveDate) -> (Application, Vec<PayloadProblem>) {
    let mut p = Problems::default();
    let mut app = Application::default();
    if let Some(o) = Obj::of(value, "", &mut p) {
        o.no_other_keys(TOP_KEYS, &mut p);
        app.lpa_type = o.req_enum("lpaType", &mut p);
        app.channel = o.req_enum("channel", &mut p);
        app.donor = read_donor(&o, today, &mut p);
        app.attorneys = read_attorneys(&o, today, &mut p);
        app.certificate_provider = read_certificate_provider(&o, today, &mut p);
        app.how_attorneys_make_decisions = o.opt_enum("howAttorneysMakeDecisions", &mut p);
        let details = o.opt_long_text("howAttorneysMakeDecisionsDetails", &mut p);
        app.when_the_lpa_can_be_used = o.opt_enum("whenTheLpaCanBeUsed", &mut p);
        app.life_sustaining_treatment_option = o.opt_enum("lifeSustainingTreatmentOption", &mut p);
        app.restrictions_and_conditions = o.opt_long_text("restrictionsAndConditions", &mut p);
        app.people_to_notify = read_people_to_notify(&o, &mut p);
        app.fee = read_fee(&o, today, &mut p);
        check_decisions(&app, details.is_some(), &mut p);
        check_type_specific(&o, &app, &mut p);
    }
    (app, p.0)
}

fn read_person(o: &Obj<'_>, today: NaiveDate, dob_required: bool, p: &mut Problems) -> Person {
    let date_of_birth = if dob_required {
        o.req_date("dateOfBirth", p)
    } else {
        o.opt_date("dateOfBirth", p)
    };
    if date_of_birth.is_some_and(|d| d > today) {
        p.add(o.ptr("dateOfBirth"), "must not be in the future");
    }
    let address_ptr = o.ptr("address");
    let address = match o.get("address") {
        None => {
            p.add(address_ptr, "is required");
            None
        }
        Some(v) => Obj::of(v, &address_ptr, p).map(|a| read_address(&a, p)),
    };
    Person {
        first_names: o.req_text("firstNames", p),
        last_name: o.req_text("lastName", p),
        date_of_birth: date_of_birth.filter(|d| *d <= today),
        address,
    }
}

fn read_address(o: &Obj<'_>, p: &mut Problems) -> Address {
    o.no_other_keys(&["line1", "line2", "town", "postcode", "country"], p);
    let country = o.req_text("country", p);
    let iso_code = country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase());
    if !country.is_empty() && !iso_code {
        p.add(
            o.ptr("country"),
            "must be a two-letter country code such as GB",
        );
    }
    let postcode = o.opt_text("postcode", p);
    if country == "GB" {
        match &postcode {
            None if o.get("postcode").is_none() => {
                p.add(o.ptr("postcode"), "is required in the UK")
            }
            Some(pc) if !uk_postcode_well_formed(pc) => {
                p.add(o.ptr("postcode"), "is not a well-formed UK postcode")
            }
            _ => {}
        }
    }
    Address {
        line1: o.req_text("line1", p),
        line2: o.opt_text("line2", p),
        town: o.req_text("town", p),
        postcode,
        country,
    }
}

/// True for a well-formed UK postcode (`SW1A 1AA`, `M1 1AE`, `GIR 0AA`), spaces and case ignored.
pub fn uk_postcode_well_formed(postcode: &str) -> bool {
    let compact: String = postcode
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if compact == "GIR0AA" {
        return true;
    }
    if !compact.is_ascii() || !(5..=7).contains(&compact.len()) {
        return false;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let shape = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                'A'..='Z' => 'A',
                '0'..='9' => '9',
                _ => '?',
            })
            .collect()
    };
    matches!(
        shape(outward).as_str(),
        "A9" | "A99" | "AA9" | "AA99" | "A9A" | "AA9A"
    ) && shape(inward) == "9AA"
}

fn read_donor(o: &Obj<'_>, today: NaiveDate, p: &mut Problems) -> Donor {
    let ptr = o.ptr("donor");
    let Some(v) = o.get("donor") else {
        p.add(ptr, "is required");
        return Donor::default();
    };
    let Some(d) = Obj::of(v, &ptr, p) else {
        return Donor::default();
    };
    d.no_other_keys(
        &["firstNames", "lastName", "dateOfBirth", "email", "address"],
        p,
    );
    let email = d.opt_text("email", p);
    if email.as_deref().is_some_and(|e| !e.contains('@')) {
        p.add(d.ptr("email"), "is not an email address");
    }
    Donor {
        person: read_person(&d, today, true, p),
        email,
    }
}

fn read_attorneys(o: &Obj<'_>, today: NaiveDate, p: &mut Problems) -> Vec<Attorney> {
    let ptr = o.ptr("attorneys");
    let Some(items) = o.opt_array("attorneys", p) else {
        if o.get("attorneys").is_none() {
            p.add(&ptr, "is required: name at least one attorney");
        }
        return Vec::new();
    };
    if items.len() > ATTORNEYS_MAX {
        p.add(&ptr, format!("names more than {ATTORNEYS_MAX} attorneys"));
    }
    let mut out: Vec<Attorney> = Vec::new();
    for (i, item) in items.iter().enumerate().take(ATTORNEYS_MAX) {
        let item_ptr = child(&ptr, &i.to_string());
        let Some(a) = Obj::of(item, &item_ptr, p) else {
            continue;
        };
        a.no_other_keys(
            &[
                "uid",
                "firstNames",
                "lastName",
                "dateOfBirth",
                "address",
                "appointmentType",
            ],
            p,
        );
        let uid = a.req_text("uid", p);
        if !uid.is_empty() && out.iter().any(|x| x.uid == uid) {
            p.add(a.ptr("uid"), "is used by another attorney");
        }
        out.push(Attorney {
            uid,
            person: read_person(&a, today, true, p),
            appointment_type: a.req_enum("appointmentType", p),
        });
    }
    if !out.is_empty()
        && !out
            .iter()
            .any(|a| a.appointment_type == Some(crate::application::AppointmentType::Original))
    {
        p.add(&ptr, "must name at least one original attorney");
    }
    if items.is_empty() {
        p.add(&ptr, "must name at least one attorney");
    }
    out
}

fn read_certificate_provider(
    o: &Obj<'_>,
    today: NaiveDate,
    p: &mut Problems,
) -> CertificateProvider {
    let ptr = o.ptr("certificateProvider");
    let Some(v) = o.get("certificateProvider") else {
        p.add(ptr, "is required");
        return CertificateProvider::default();
    };
    let Some(c) = Obj::of(v, &ptr, p) else {
        return CertificateProvider::default();
    };
    c.no_other_keys(
        &[
            "firstNames",
            "lastName",
            "dateOfBirth",
            "address",
            "relationship",
            "knownForYears",
        ],
        p,
    );
    CertificateProvider {
        person: read_person(&c, today, false, p),
        relationship: c.req_enum("relationship", p),
        known_for_years: c.opt_int("knownForYears", 0, 120, p),
    }
}

fn read_people_to_notify(o: &Obj<'_>, p: &mut Problems) -> Vec<Person> {
    let ptr = o.ptr("peopleToNotify");
    let Some(items) = o.opt_array("peopleToNotify", p) else {
        return Vec::new();
    };
    if items.len() > PEOPLE_TO_NOTIFY_MAX {
        p.add(
            &ptr,
            format!("names more than {PEOPLE_TO_NOTIFY_MAX} people"),
        );
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate().take(PEOPLE_TO_NOTIFY_MAX) {
        let item_ptr = child(&ptr, &i.to_string());
        let Some(n) = Obj::of(item, &item_ptr, p) else {
            continue;
        };
        n.no_other_keys(&["uid", "firstNames", "lastName", "address"], p);
        let _uid = n.opt_text("uid", p);
        let address = n.get("address").and_then(|v| {
            let ap = n.ptr("address");
            Obj::of(v, &ap, p).map(|a| read_address(&a, p))
        });
        out.push(Person {
            first_names: n.req_text("firstNames", p),
            last_name: n.req_text("lastName", p),
            date_of_birth: None,
            address,
        });
    }
    out
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

fn check_decisions(app: &Application, has_details: bool, p: &mut Problems) {
    let originals = app
        .attorneys
        .iter()
        .filter(|a| a.appointment_type == Some(crate::application::AppointmentType::Original))
        .count();
    if originals > 1 && app.how_attorneys_make_decisions.is_none() {
        p.add(
            "/howAttorneysMakeDecisions",
            "is required when there is more than one original attorney",
        );
    }
    if app.how_attorneys_make_decisions
        == Some(HowAttorneysMakeDecisions::JointlyForSomeSeverallyForOthers)
        && !has_details
    {
        p.add(
            "/howAttorneysMakeDecisionsDetails",
            "is required for jointly-for-some-severally-for-others",
        );
    }
}

fn check_type_specific(o: &Obj<'_>, app: &Application, p: &mut Problems) {
    let (required, forbidden) = match app.lpa_type {
        Some(LpaType::PropertyAndAffairs) => {
            ("whenTheLpaCanBeUsed", "lifeSustainingTreatmentOption")
        }
        Some(LpaType::PersonalWelfare) => ("lifeSustainingTreatmentOption", "whenTheLpaCanBeUsed"),
        None => return,
    };
    let kind = app.lpa_type.map(<&str>::from).unwrap_or_default();
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
