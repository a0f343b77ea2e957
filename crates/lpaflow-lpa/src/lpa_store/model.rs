//! The LPA document, field for field as the store's Go structs declare it (`internal/shared/lpa.go`,
//! `person.go`, `image.go`): the same JSON names, the same `omitempty` (a field Go omits when empty is skipped
//! here when empty; one it always writes is always written), Go's zero times and dates (`go_time`). Fields
//! the store does not declare do not exist here, so a document built from these types cannot carry them,
//! and one read into them drops them as the store does.

use super::go_time::{self, Date};
use super::wire_enum::wire_enum;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;

fn is_false(b: &bool) -> bool {
    !*b
}

/// Go writes a nil slice as `null`; a store document decoded without attorneys has a nil one.
fn nil_if_empty<T: Serialize, S: Serializer>(list: &[T], s: S) -> Result<S::Ok, S::Error> {
    if list.is_empty() {
        s.serialize_none()
    } else {
        list.serialize(s)
    }
}

wire_enum!(
    /// `lpaType`.
    LpaType {
        /// Property and financial affairs.
        PropertyAndAffairs = "property-and-affairs",
        /// Health and welfare.
        PersonalWelfare = "personal-welfare",
    }
);

wire_enum!(
    /// `channel` of the LPA and of each actor.
    Channel {
        /// Online.
        Online = "online",
        /// Paper.
        Paper = "paper",
    }
);

wire_enum!(
    /// `language` and `contactLanguagePreference`.
    Lang {
        /// Welsh.
        Cy = "cy",
        /// English.
        En = "en",
    }
);

wire_enum!(
    /// The LPA's `status`.
    LpaStatus {
        /// Being made and signed.
        InProgress = "in-progress",
        /// The four weeks for objections.
        StatutoryWaitingPeriod = "statutory-waiting-period",
        /// Registered.
        Registered = "registered",
        /// Cannot be registered.
        CannotRegister = "cannot-register",
        /// Withdrawn by the donor.
        Withdrawn = "withdrawn",
        /// Registration cancelled.
        Cancelled = "cancelled",
        /// Not to be registered.
        DoNotRegister = "do-not-register",
        /// Expired.
        Expired = "expired",
    }
);

wire_enum!(
    /// An attorney's or trust corporation's `status`.
    AttorneyStatus {
        /// Acts.
        Active = "active",
        /// Waits (a replacement not yet stepped in).
        Inactive = "inactive",
        /// No longer part of the LPA (opted out or removed).
        Removed = "removed",
    }
);

wire_enum!(
    /// `appointmentType`.
    AppointmentType {
        /// Acts from registration.
        Original = "original",
        /// Steps in when an original attorney can no longer act.
        Replacement = "replacement",
    }
);

wire_enum!(
    /// An identity check's `type`.
    IdentityCheckType {
        /// GOV.UK One Login.
        OneLogin = "one-login",
        /// OPG's paper identity check.
        OpgPaperId = "opg-paper-id",
    }
);

wire_enum!(
    /// `howAttorneysMakeDecisions` and `howReplacementAttorneysMakeDecisions`.
    HowMakeDecisions {
        /// All together.
        Jointly = "jointly",
        /// Together or alone.
        JointlyAndSeverally = "jointly-and-severally",
        /// Some together, others alone (explained in the details).
        JointlyForSomeSeverallyForOthers = "jointly-for-some-severally-for-others",
    }
);

wire_enum!(
    /// `howReplacementAttorneysStepIn`.
    HowStepIn {
        /// When no original attorney can act.
        AllCanNoLongerAct = "all-can-no-longer-act",
        /// When one original attorney cannot act.
        OneCanNoLongerAct = "one-can-no-longer-act",
        /// As the details say.
        AnotherWay = "another-way",
    }
);

wire_enum!(
    /// `whenTheLpaCanBeUsed` (property and affairs).
    CanUse {
        /// Only once the donor has lost capacity.
        WhenCapacityLost = "when-capacity-lost",
        /// As soon as it is registered.
        WhenHasCapacity = "when-has-capacity",
    }
);

wire_enum!(
    /// `lifeSustainingTreatmentOption` (personal welfare).
    LifeSustainingTreatment {
        /// Attorneys may decide.
        OptionA = "option-a",
        /// Attorneys may not decide.
        OptionB = "option-b",
    }
);

/// A postal address (`Address`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Address {
    /// Always written.
    pub line1: String,
    /// Optional.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub line2: String,
    /// Optional.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub line3: String,
    /// Optional.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub town: String,
    /// Optional.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub postcode: String,
    /// ISO 3166-1 alpha-2; always written.
    pub country: String,
}

impl Address {
    /// Every field empty (Go's `IsZero`).
    pub fn is_zero(&self) -> bool {
        *self == Address::default()
    }
}

/// An identity check (`IdentityCheck`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IdentityCheck {
    /// When.
    #[serde(with = "go_time::required")]
    pub checked_at: Option<DateTime<FixedOffset>>,
    /// How.
    #[serde(rename = "type")]
    pub kind: IdentityCheckType,
}

/// The donor.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Donor {
    /// UUID.
    pub uid: String,
    /// First and middle names.
    pub first_names: String,
    /// Last name.
    pub last_name: String,
    /// Address.
    pub address: Address,
    /// Date of birth.
    pub date_of_birth: Date,
    /// Email.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// Other names.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub other_names_known_by: String,
    /// Always written.
    pub contact_language_preference: Lang,
    /// The identity check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_check: Option<IdentityCheck>,
}

/// The certificate provider.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CertificateProvider {
    /// UUID.
    pub uid: String,
    /// First and middle names.
    pub first_names: String,
    /// Last name.
    pub last_name: String,
    /// Address.
    pub address: Address,
    /// Email (online only).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// Phone; always written.
    pub phone: String,
    /// Online or paper; always written.
    pub channel: Channel,
    /// When they provided the certificate.
    #[serde(with = "go_time::optional", skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<DateTime<FixedOffset>>,
    /// Contact language.
    #[serde(skip_serializing_if = "Lang::is_unset")]
    pub contact_language_preference: Lang,
    /// The identity check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_check: Option<IdentityCheck>,
}

/// An attorney or replacement attorney.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Attorney {
    /// UUID.
    pub uid: String,
    /// First and middle names.
    pub first_names: String,
    /// Last name.
    pub last_name: String,
    /// Address.
    pub address: Address,
    /// Date of birth.
    pub date_of_birth: Date,
    /// Email (online only).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// Active, inactive or removed.
    pub status: AttorneyStatus,
    /// Original or replacement.
    pub appointment_type: AppointmentType,
    /// Mobile number.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mobile: String,
    /// When they signed.
    #[serde(with = "go_time::optional", skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<DateTime<FixedOffset>>,
    /// Contact language.
    #[serde(skip_serializing_if = "Lang::is_unset")]
    pub contact_language_preference: Lang,
    /// Online or paper.
    pub channel: Channel,
    /// For jointly-for-some-severally-for-others: this attorney cannot make joint decisions.
    #[serde(skip_serializing_if = "is_false")]
    pub cannot_make_joint_decisions: bool,
}

/// One person signing for a trust corporation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Signatory {
    /// First names.
    pub first_names: String,
    /// Last name.
    pub last_name: String,
    /// Title in the corporation.
    pub professional_title: String,
    /// When they signed.
    #[serde(with = "go_time::required")]
    pub signed_at: Option<DateTime<FixedOffset>>,
}

impl Signatory {
    /// Every field empty (Go's `IsZero`).
    pub fn is_zero(&self) -> bool {
        *self == Signatory::default()
    }
}

/// A trust corporation acting as attorney.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TrustCorporation {
    /// UUID.
    pub uid: String,
    /// Name.
    pub name: String,
    /// Company number; always written.
    pub company_number: String,
    /// Email (online only).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// Original or replacement.
    pub appointment_type: AppointmentType,
    /// Address.
    pub address: Address,
    /// Active, inactive or removed.
    pub status: AttorneyStatus,
    /// Mobile number.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mobile: String,
    /// Who signed for it (one or two).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signatories: Vec<Signatory>,
    /// Contact language.
    #[serde(skip_serializing_if = "Lang::is_unset")]
    pub contact_language_preference: Lang,
    /// Online or paper.
    pub channel: Channel,
}

/// A person to notify.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PersonToNotify {
    /// UUID.
    pub uid: String,
    /// First names.
    pub first_names: String,
    /// Last name.
    pub last_name: String,
    /// Address.
    pub address: Address,
}

/// Someone who witnessed the donor's signature besides the certificate provider.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IndependentWitness {
    /// UUID.
    pub uid: String,
    /// First names.
    pub first_names: String,
    /// Last name.
    pub last_name: String,
    /// Phone.
    pub phone: String,
    /// Address.
    pub address: Address,
}

/// Someone who signed for a donor who could not.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthorisedSignatory {
    /// UUID.
    pub uid: String,
    /// First names.
    pub first_names: String,
    /// Last name.
    pub last_name: String,
}

/// An image sent with a paper create (`FileUpload`): base64 data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FileUpload {
    /// File name.
    pub filename: String,
    /// Base64 content.
    pub data: String,
}

/// A stored image (`File`): its path in the store's bucket and the SHA-256 of its content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct File {
    /// Object key.
    pub path: String,
    /// Hex SHA-256.
    pub hash: String,
}

/// A note the store adds to an LPA (name changes, removed attorneys, severed restrictions).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Note {
    /// e.g. `ATTORNEY_REMOVED_V1`.
    #[serde(rename = "type")]
    pub kind: String,
    /// RFC 3339.
    pub datetime: String,
    /// What the note says.
    pub values: BTreeMap<String, String>,
}

/// The fields the create body and the stored LPA share (Go's `LpaInit` without its image lists, which differ
/// in type between the two).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LpaFields {
    /// Property and affairs or personal welfare.
    pub lpa_type: LpaType,
    /// Online or paper.
    pub channel: Channel,
    /// The LPA's language.
    pub language: Lang,
    /// The donor.
    pub donor: Donor,
    /// Attorneys and replacement attorneys.
    #[serde(serialize_with = "nil_if_empty")]
    pub attorneys: Vec<Attorney>,
    /// Trust corporations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trust_corporations: Vec<TrustCorporation>,
    /// The certificate provider.
    pub certificate_provider: CertificateProvider,
    /// People to notify.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub people_to_notify: Vec<PersonToNotify>,
    /// A witness besides the certificate provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub independent_witness: Option<IndependentWitness>,
    /// Who signed for the donor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorised_signatory: Option<AuthorisedSignatory>,
    /// How the attorneys decide.
    #[serde(skip_serializing_if = "HowMakeDecisions::is_unset")]
    pub how_attorneys_make_decisions: HowMakeDecisions,
    /// For jointly-for-some-severally-for-others.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub how_attorneys_make_decisions_details: String,
    /// The store chose `howAttorneysMakeDecisions`.
    #[serde(skip_serializing_if = "is_false")]
    pub how_attorneys_make_decisions_is_default: bool,
    /// How the replacement attorneys decide.
    #[serde(skip_serializing_if = "HowMakeDecisions::is_unset")]
    pub how_replacement_attorneys_make_decisions: HowMakeDecisions,
    /// For jointly-for-some-severally-for-others.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub how_replacement_attorneys_make_decisions_details: String,
    /// The store chose `howReplacementAttorneysMakeDecisions`.
    #[serde(skip_serializing_if = "is_false")]
    pub how_replacement_attorneys_make_decisions_is_default: bool,
    /// When the replacements step in.
    #[serde(skip_serializing_if = "HowStepIn::is_unset")]
    pub how_replacement_attorneys_step_in: HowStepIn,
    /// For another-way.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub how_replacement_attorneys_step_in_details: String,
    /// Property and affairs: when it may be used.
    #[serde(skip_serializing_if = "CanUse::is_unset")]
    pub when_the_lpa_can_be_used: CanUse,
    /// The store chose `whenTheLpaCanBeUsed`.
    #[serde(skip_serializing_if = "is_false")]
    pub when_the_lpa_can_be_used_is_default: bool,
    /// Personal welfare: life-sustaining treatment.
    #[serde(skip_serializing_if = "LifeSustainingTreatment::is_unset")]
    pub life_sustaining_treatment_option: LifeSustainingTreatment,
    /// The store chose `lifeSustainingTreatmentOption`.
    #[serde(skip_serializing_if = "is_false")]
    pub life_sustaining_treatment_option_is_default: bool,
    /// Free text.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub restrictions_and_conditions: String,
    /// When the donor signed; always written.
    #[serde(with = "go_time::required")]
    pub signed_at: Option<DateTime<FixedOffset>>,
    /// When the certificate provider witnessed it; always written.
    #[serde(with = "go_time::required")]
    pub witnessed_by_certificate_provider_at: Option<DateTime<FixedOffset>>,
    /// When the independent witness witnessed it.
    #[serde(with = "go_time::optional", skip_serializing_if = "Option::is_none")]
    pub witnessed_by_independent_witness_at: Option<DateTime<FixedOffset>>,
    /// When the donor confirmed they are not related to a certificate provider sharing a last name.
    #[serde(with = "go_time::optional", skip_serializing_if = "Option::is_none")]
    pub certificate_provider_not_related_confirmed_at: Option<DateTime<FixedOffset>>,
}

/// The body of `PUT /lpas/{uid}` (Go's `LpaInit`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LpaInit {
    /// Everything but the images.
    #[serde(flatten)]
    pub fields: LpaFields,
    /// Paper only: scans of the restrictions and conditions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub restrictions_and_conditions_images: Vec<FileUpload>,
    /// Paper only: scans of how the attorneys decide.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub how_attorneys_make_decisions_details_images: Vec<FileUpload>,
}

/// A stored LPA, as `GET /lpas/{uid}` answers (Go's `Lpa`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Lpa {
    /// Everything the create carried but the images.
    #[serde(flatten)]
    pub fields: LpaFields,
    /// `M-XXXX-XXXX-XXXX`.
    pub uid: String,
    /// The status.
    pub status: LpaStatus,
    /// When it was registered.
    #[serde(with = "go_time::optional", skip_serializing_if = "Option::is_none")]
    pub registration_date: Option<DateTime<FixedOffset>>,
    /// When the store last wrote it.
    #[serde(with = "go_time::required")]
    pub updated_at: Option<DateTime<FixedOffset>>,
    /// Stored scans of the restrictions and conditions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub restrictions_and_conditions_images: Vec<File>,
    /// Stored scans of how the attorneys decide.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub how_attorneys_make_decisions_details_images: Vec<File>,
    /// Notes the store added.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
}

impl Lpa {
    /// The index of the attorney a change key names: an index in range, or a uid (`FindAttorneyIndex`).
    pub fn attorney_index(&self, key: &str) -> Option<usize> {
        find_index(key, self.fields.attorneys.iter().map(|a| a.uid.as_str()))
    }

    /// The index of the trust corporation a change key names (`FindTrustCorporationIndex`).
    pub fn trust_corporation_index(&self, key: &str) -> Option<usize> {
        find_index(
            key,
            self.fields
                .trust_corporations
                .iter()
                .map(|t| t.uid.as_str()),
        )
    }
}

/// An index in range (as Go's `strconv.Atoi` reads it), else the position of the uid.
pub fn find_index<'a>(key: &str, uids: impl ExactSizeIterator<Item = &'a str>) -> Option<usize> {
    let len = uids.len();
    let mut uids = uids;
    match go_atoi(key) {
        Some(i) if i >= 0 && (i as usize) < len => Some(i as usize),
        _ => uids.position(|u| u == key),
    }
}

/// Go's `strconv.Atoi`: an optional sign and decimal digits, nothing else.
fn go_atoi(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The active attorneys and waiting replacements, trust corporations included (`CountAttorneys`).
pub fn count_attorneys(
    attorneys: &[Attorney],
    trust_corporations: &[TrustCorporation],
) -> (usize, usize) {
    let pairs = attorneys
        .iter()
        .map(|a| (&a.status, &a.appointment_type))
        .chain(
            trust_corporations
                .iter()
                .map(|t| (&t.status, &t.appointment_type)),
        );
    let (mut active, mut replacements) = (0, 0);
    for (status, appointment) in pairs {
        if *status == AttorneyStatus::Active {
            active += 1;
        } else if *status == AttorneyStatus::Inactive
            && *appointment == AppointmentType::Replacement
        {
            replacements += 1;
        }
    }
    (active, replacements)
}

/// The defaults the store fills before it validates a create (`lambda/create/set_defaults.go`): the LPA as
/// the store will hold it. lpaflow applies them to know what the store holds after its create.
pub fn set_defaults(mut fields: LpaFields) -> LpaFields {
    let (active, replacements) = count_attorneys(&fields.attorneys, &fields.trust_corporations);
    if active > 1 && fields.how_attorneys_make_decisions.is_unset() {
        fields.how_attorneys_make_decisions = HowMakeDecisions::Jointly;
        fields.how_attorneys_make_decisions_is_default = true;
    }
    let replacement_decisions = replacements > 1
        && (fields.how_replacement_attorneys_step_in == HowStepIn::AllCanNoLongerAct
            || fields.how_attorneys_make_decisions != HowMakeDecisions::JointlyAndSeverally);
    if replacement_decisions && fields.how_replacement_attorneys_make_decisions.is_unset() {
        fields.how_replacement_attorneys_make_decisions = HowMakeDecisions::Jointly;
        fields.how_replacement_attorneys_make_decisions_is_default = true;
    }
    if fields.lpa_type == LpaType::PropertyAndAffairs && fields.when_the_lpa_can_be_used.is_unset()
    {
        fields.when_the_lpa_can_be_used = CanUse::WhenHasCapacity;
        fields.when_the_lpa_can_be_used_is_default = true;
    }
    if fields.lpa_type == LpaType::PersonalWelfare
        && fields.life_sustaining_treatment_option.is_unset()
    {
        fields.life_sustaining_treatment_option = LifeSustainingTreatment::OptionB;
        fields.life_sustaining_treatment_option_is_default = true;
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn fields_go_omits_when_empty_are_omitted_and_the_others_are_written() {
        let value = serde_json::to_value(LpaFields::default()).expect("json");
        assert_eq!(
            value,
            json!({
                "lpaType": "", "channel": "", "language": "",
                "donor": {"uid": "", "firstNames": "", "lastName": "",
                          "address": {"line1": "", "country": ""}, "dateOfBirth": "",
                          "contactLanguagePreference": ""},
                "attorneys": null,
                "certificateProvider": {"uid": "", "firstNames": "", "lastName": "",
                                        "address": {"line1": "", "country": ""}, "phone": "", "channel": ""},
                "signedAt": "0001-01-01T00:00:00Z",
                "witnessedByCertificateProviderAt": "0001-01-01T00:00:00Z"
            })
        );
    }

    #[test]
    fn unknown_fields_are_dropped_and_unknown_values_kept() {
        let lpa: LpaInit = serde_json::from_value(json!({
            "lpaType": "personal-welfare", "channel": "carrier-pigeon",
            "fee": {"claimedType": "HalfFee"},
            "certificateProvider": {"relationship": "professional", "phone": "07700"}
        }))
        .expect("reads");
        assert_eq!(lpa.fields.lpa_type, LpaType::PersonalWelfare);
        assert_eq!(lpa.fields.channel, Channel::Other("carrier-pigeon".into()));
        let back = serde_json::to_value(&lpa).expect("json");
        assert_eq!(back.get("fee"), None);
        assert_eq!(back["channel"], Value::from("carrier-pigeon"));
        assert_eq!(back["certificateProvider"].get("relationship"), None);
    }

    #[test]
    fn indexes_are_positions_in_range_or_uids() {
        let uids = ["a", "b", "7"];
        let find = |k: &str| find_index(k, uids.iter().copied());
        assert_eq!(find("0"), Some(0));
        assert_eq!(find("+1"), Some(1));
        assert_eq!(find("b"), Some(1));
        assert_eq!(find("3"), None);
        assert_eq!(find("7"), Some(2));
        assert_eq!(find("x"), None);
        assert_eq!(find(""), None);
    }

    #[test]
    fn defaults_follow_the_store() {
        let active = |appointment: AppointmentType, status: AttorneyStatus| Attorney {
            appointment_type: appointment,
            status,
            ..Attorney::default()
        };
        let fields = LpaFields {
            lpa_type: LpaType::PersonalWelfare,
            attorneys: vec![
                active(AppointmentType::Original, AttorneyStatus::Active),
                active(AppointmentType::Original, AttorneyStatus::Active),
                active(AppointmentType::Replacement, AttorneyStatus::Inactive),
                active(AppointmentType::Replacement, AttorneyStatus::Inactive),
            ],
            ..LpaFields::default()
        };
        let filled = set_defaults(fields);
        assert_eq!(
            filled.how_attorneys_make_decisions,
            HowMakeDecisions::Jointly
        );
        assert!(filled.how_attorneys_make_decisions_is_default);
        assert_eq!(
            filled.how_replacement_attorneys_make_decisions,
            HowMakeDecisions::Jointly
        );
        assert_eq!(
            filled.life_sustaining_treatment_option,
            LifeSustainingTreatment::OptionB
        );
        assert!(filled.when_the_lpa_can_be_used.is_unset());
    }
}
