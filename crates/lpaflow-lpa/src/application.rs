//! The application as the LPA Store names it (camelCase JSON), read into typed values. Its enumerations are
//! the LPA Store's own wire types ([`crate::lpa_store`]); what lpaflow adds (the fee claim, the certificate
//! provider's relationship, how long they have known the donor and their date of birth) is marked so here
//! and never leaves lpaflow.
//!
//! The instance keeps the application JSON exactly as the service sent it (plus generated attorney uids);
//! this module is the typed *view* the rules reason over. The view is lenient: a paper application may be
//! incomplete, so missing text reads as empty and missing dates and choices as `None`, and the problems found
//! while reading ([`crate::validation`]) are reported beside it rather than stopping it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use crate::lpa_store::{
    AppointmentType, CanUse, Channel, HowMakeDecisions, HowStepIn, Lang, LifeSustainingTreatment,
    LpaType,
};

/// How the certificate provider knows the donor (lpaflow's own: the LPA Store does not hold it).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantNames,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Relationship {
    /// A professional (doctor, solicitor...): no minimum acquaintance.
    Professional,
    /// A personal acquaintance: must have known the donor for at least two years.
    Personal,
}

/// The fee types of `shared/DOMAIN.md` section 4 (named as the LPA Store names them).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantNames,
    strum::EnumIter,
)]
pub enum FeeType {
    /// The full fee.
    FullFee,
    /// Remission: gross annual income under £12,000.
    HalfFee,
    /// Exemption: a means-tested benefit.
    NoFee,
    /// Waiver, at a caseworker's judgement.
    HardshipFee,
    /// A repeat application within 3 months: half of what was paid before.
    RepeatApplicationFee,
}

/// A postal address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Address {
    /// First line.
    pub line1: String,
    /// Second line.
    pub line2: Option<String>,
    /// Third line.
    pub line3: Option<String>,
    /// Town or city.
    pub town: String,
    /// Postcode (required and checked in the UK).
    pub postcode: Option<String>,
    /// ISO 3166-1 alpha-2 country code (`GB`).
    pub country: String,
}

impl Address {
    /// True if both are the same place (case, spaces and punctuation ignored; line 2 ignored).
    pub fn same_place(&self, other: &Address) -> bool {
        let key = |a: &Address| {
            [
                a.line1.as_str(),
                a.postcode.as_deref().unwrap_or(a.town.as_str()),
                a.country.as_str(),
            ]
            .map(normalise)
        };
        !self.line1.is_empty() && key(self) == key(other)
    }
}

/// Lower case letters and digits only: the form in which names and addresses are compared.
pub fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Someone named in the LPA.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Person {
    /// First and middle names.
    pub first_names: String,
    /// Last name (may be double-barrelled).
    pub last_name: String,
    /// Date of birth, if given and valid.
    pub date_of_birth: Option<NaiveDate>,
    /// Address, if given.
    pub address: Option<Address>,
}

impl Person {
    /// True if both have the same first names and last name (normalised); never for unnamed people.
    pub fn same_name(&self, other: &Person) -> bool {
        let full = |p: &Person| (normalise(&p.first_names), normalise(&p.last_name));
        !self.last_name.is_empty() && full(self) == full(other)
    }

    /// Each part of the last name (a double-barrelled name has two), normalised.
    pub fn last_name_parts(&self) -> Vec<String> {
        self.last_name
            .split(|c: char| c == '-' || c.is_whitespace())
            .map(normalise)
            .filter(|p| !p.is_empty())
            .collect()
    }
}

/// How to reach someone, and in which language (the LPA Store's `channel`, `email`, phone or mobile and
/// `contactLanguagePreference`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contact {
    /// Online or paper.
    pub channel: Option<Channel>,
    /// Email: required online, absent on paper (as the LPA Store requires of attorneys, trust corporations
    /// and the certificate provider).
    pub email: Option<String>,
    /// Phone number (the certificate provider's `phone`; an attorney's or trust corporation's `mobile`).
    pub phone: Option<String>,
    /// The language to write to them in.
    pub language: Option<Lang>,
}

/// The donor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Donor {
    /// Stable id (given by the service, or generated by the rules).
    pub uid: String,
    /// Name, date of birth and address.
    pub person: Person,
    /// Other names the donor is known by.
    pub other_names_known_by: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// The language to write to the donor in.
    pub contact_language: Option<Lang>,
}

/// An attorney or replacement attorney.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attorney {
    /// Stable id (given by the service, or generated by the rules).
    pub uid: String,
    /// Name, date of birth and address.
    pub person: Person,
    /// Original or replacement.
    pub appointment_type: Option<AppointmentType>,
    /// Channel, email, mobile and language.
    pub contact: Contact,
}

/// A trust corporation appointed as attorney or replacement attorney.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustCorporation {
    /// Stable id (given by the service, or generated by the rules).
    pub uid: String,
    /// Its name.
    pub name: String,
    /// Its company number, if known before it signs (it is sent to OPG when it signs).
    pub company_number: Option<String>,
    /// Its address.
    pub address: Option<Address>,
    /// Original or replacement.
    pub appointment_type: Option<AppointmentType>,
    /// Channel, email, mobile and language.
    pub contact: Contact,
}

/// The certificate provider.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateProvider {
    /// Stable id (given by the service, or generated by the rules).
    pub uid: String,
    /// Name, optional date of birth (lpaflow's own, for the age rule) and address.
    pub person: Person,
    /// Professional or personal (lpaflow's own).
    pub relationship: Option<Relationship>,
    /// For a personal relationship: how long they have known the donor (lpaflow's own).
    pub known_for_years: Option<i64>,
    /// Channel, email, phone and language.
    pub contact: Contact,
}

/// Someone the donor wants told when the LPA is registered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonToNotify {
    /// Stable id (given by the service, or generated by the rules).
    pub uid: String,
    /// Name and address.
    pub person: Person,
}

/// An earlier application, for the repeat application fee.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviousApplication {
    /// The earlier LPA's uid.
    pub uid: String,
    /// The fee type paid for it.
    pub fee: Option<FeeType>,
    /// When it was made.
    pub date: Option<NaiveDate>,
}

/// What the donor claims about the fee.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeeClaim {
    /// The fee type claimed.
    pub claimed_type: Option<FeeType>,
    /// Gross annual income (for a remission).
    pub gross_annual_income_pence: Option<i64>,
    /// Receives a means-tested benefit (for an exemption).
    pub receives_means_tested_benefit: Option<bool>,
    /// An earlier application (for a repeat application).
    pub previous_application: Option<PreviousApplication>,
}

/// The typed view of one application.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Application {
    /// Property and affairs or personal welfare.
    pub lpa_type: Option<LpaType>,
    /// Online or paper.
    pub channel: Option<Channel>,
    /// The language the LPA is made in.
    pub language: Option<Lang>,
    /// The donor.
    pub donor: Donor,
    /// Attorneys and replacement attorneys, in application order.
    pub attorneys: Vec<Attorney>,
    /// Trust corporations appointed as attorneys, in application order.
    pub trust_corporations: Vec<TrustCorporation>,
    /// The certificate provider.
    pub certificate_provider: CertificateProvider,
    /// How several original attorneys decide.
    pub how_attorneys_make_decisions: Option<HowMakeDecisions>,
    /// For jointly-for-some-severally-for-others: which decisions are made how.
    pub how_attorneys_make_decisions_details: Option<String>,
    /// How several replacement attorneys decide.
    pub how_replacement_attorneys_make_decisions: Option<HowMakeDecisions>,
    /// For jointly-for-some-severally-for-others.
    pub how_replacement_attorneys_make_decisions_details: Option<String>,
    /// When the replacement attorneys step in.
    pub how_replacement_attorneys_step_in: Option<HowStepIn>,
    /// For another-way.
    pub how_replacement_attorneys_step_in_details: Option<String>,
    /// When a property and affairs LPA may be used.
    pub when_the_lpa_can_be_used: Option<CanUse>,
    /// Life-sustaining treatment (personal welfare).
    pub life_sustaining_treatment_option: Option<LifeSustainingTreatment>,
    /// Restrictions and conditions, free text.
    pub restrictions_and_conditions: Option<String>,
    /// People to notify.
    pub people_to_notify: Vec<PersonToNotify>,
    /// The fee claim (lpaflow's own).
    pub fee: Option<FeeClaim>,
    /// When the OPG received the application (lpaflow's own; a paper form's receipt, not when it was keyed
    /// in). The fee that applies is the one of this day, in UK local time.
    pub received_at: Option<DateTime<Utc>>,
}

impl Application {
    /// True unless the application says it came on paper (invalid or missing channels are held to the online
    /// standard).
    pub fn is_paper(&self) -> bool {
        self.channel == Some(Channel::Paper)
    }

    /// The attorney with this uid.
    pub fn attorney(&self, uid: &str) -> Option<&Attorney> {
        self.attorneys.iter().find(|a| a.uid == uid)
    }

    /// The trust corporation with this uid.
    pub fn trust_corporation(&self, uid: &str) -> Option<&TrustCorporation> {
        self.trust_corporations.iter().find(|t| t.uid == uid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(first: &str, last: &str) -> Person {
        Person {
            first_names: first.into(),
            last_name: last.into(),
            ..Person::default()
        }
    }

    #[test]
    fn last_name_parts_split_double_barrelled_names() {
        assert_eq!(
            person("A", "Smith-Jones").last_name_parts(),
            ["smith", "jones"]
        );
        assert_eq!(
            person("A", "de la Mare").last_name_parts(),
            ["de", "la", "mare"]
        );
        assert_eq!(person("A", "O'Brien").last_name_parts(), ["obrien"]);
    }

    #[test]
    fn names_and_places_compare_normalised() {
        assert!(person("Ada ", "LOVELACE").same_name(&person("ada", "Lovelace")));
        assert!(!person("", "").same_name(&person("", "")));
        let a = Address {
            line1: "1 Road".into(),
            town: "Leeds".into(),
            postcode: Some("LS1 1AA".into()),
            country: "GB".into(),
            ..Address::default()
        };
        let b = Address {
            line1: "1, road".into(),
            postcode: Some("ls11aa".into()),
            ..a.clone()
        };
        assert!(a.same_place(&b));
        assert!(!a.same_place(&Address::default()));
    }

    #[test]
    fn enums_use_the_lpa_store_spelling() {
        assert_eq!(
            HowMakeDecisions::from_wire("jointly-for-some-severally-for-others"),
            HowMakeDecisions::JointlyForSomeSeverallyForOthers
        );
        assert_eq!(
            FeeType::RepeatApplicationFee.to_string(),
            "RepeatApplicationFee"
        );
        assert_eq!(LpaType::PersonalWelfare.to_string(), "personal-welfare");
    }
}
