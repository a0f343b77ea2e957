//! The application as the LPA Store names it (camelCase JSON), read into typed values.
//!
//! The instance keeps the application JSON exactly as the service sent it (plus generated attorney uids);
//! this module is the typed *view* the rules reason over. The view is lenient: a paper application may be
//! incomplete, so missing text reads as empty and missing dates and choices as `None`, and the problems found
//! while reading ([`crate::validation`]) are reported beside it rather than stopping it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

macro_rules! kebab_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize,
            strum::EnumString, strum::IntoStaticStr, strum::Display, strum::VariantNames,
        )]
        #[serde(rename_all = "kebab-case")]
        #[strum(serialize_all = "kebab-case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }
    };
}

kebab_enum!(
    /// The two kinds of LPA.
    LpaType {
        /// Property and financial affairs.
        PropertyAndAffairs,
        /// Health and welfare.
        PersonalWelfare,
    }
);

kebab_enum!(
    /// How the application reached OPG. Invalid online data is refused; invalid paper data becomes findings.
    Channel {
        /// Made with the online service.
        Online,
        /// Scanned from paper.
        Paper,
    }
);

kebab_enum!(
    /// Whether an attorney acts from the start or steps in when another cannot.
    AppointmentType {
        /// Acts from registration.
        Original,
        /// Steps in when an original attorney can no longer act.
        Replacement,
    }
);

kebab_enum!(
    /// How the certificate provider knows the donor.
    Relationship {
        /// A professional (doctor, solicitor...): no minimum acquaintance.
        Professional,
        /// A personal acquaintance: must have known the donor for at least two years.
        Personal,
    }
);

kebab_enum!(
    /// How several original attorneys decide.
    HowAttorneysMakeDecisions {
        /// All together.
        Jointly,
        /// Together or alone.
        JointlyAndSeverally,
        /// Some decisions together, others alone (explained in `howAttorneysMakeDecisionsDetails`).
        JointlyForSomeSeverallyForOthers,
    }
);

kebab_enum!(
    /// When a property and affairs LPA may be used.
    WhenTheLpaCanBeUsed {
        /// As soon as it is registered, with the donor's consent.
        WhenHasCapacity,
        /// Only once the donor has lost mental capacity.
        WhenCapacityLost,
    }
);

kebab_enum!(
    /// Whether attorneys of a personal welfare LPA may decide on life-sustaining treatment.
    LifeSustainingTreatmentOption {
        /// They may.
        OptionA,
        /// They may not.
        OptionB,
    }
);

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

/// The donor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Donor {
    /// Name, date of birth and address.
    pub person: Person,
    /// Contact email.
    pub email: Option<String>,
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
}

/// The certificate provider.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateProvider {
    /// Name, optional date of birth and address.
    pub person: Person,
    /// Professional or personal.
    pub relationship: Option<Relationship>,
    /// For a personal relationship: how long they have known the donor.
    pub known_for_years: Option<i64>,
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
    /// The donor.
    pub donor: Donor,
    /// Attorneys and replacement attorneys, in application order.
    pub attorneys: Vec<Attorney>,
    /// The certificate provider.
    pub certificate_provider: CertificateProvider,
    /// How several original attorneys decide.
    pub how_attorneys_make_decisions: Option<HowAttorneysMakeDecisions>,
    /// When a property and affairs LPA may be used.
    pub when_the_lpa_can_be_used: Option<WhenTheLpaCanBeUsed>,
    /// Life-sustaining treatment (personal welfare).
    pub life_sustaining_treatment_option: Option<LifeSustainingTreatmentOption>,
    /// Restrictions and conditions, free text.
    pub restrictions_and_conditions: Option<String>,
    /// People to notify.
    pub people_to_notify: Vec<Person>,
    /// The fee claim.
    pub fee: Option<FeeClaim>,
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
            "jointly-for-some-severally-for-others"
                .parse::<HowAttorneysMakeDecisions>()
                .ok(),
            Some(HowAttorneysMakeDecisions::JointlyForSomeSeverallyForOthers)
        );
        assert_eq!(
            FeeType::RepeatApplicationFee.to_string(),
            "RepeatApplicationFee"
        );
        assert_eq!(LpaType::PersonalWelfare.to_string(), "personal-welfare");
    }
}
