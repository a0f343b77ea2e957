//! The instance data of an LPA (`Instance::data`), as stored: one JSON object whose layout is documented in
//! `docs/lpa-data.md`. The application is kept exactly as the service sent it (attorneys get a generated uid if
//! they had none); everything else is owned by the rules. Derived parts (findings, fee amounts, deadlines) are
//! recomputed by [`LpaData::refresh`] at the end of every action, so what is stored always agrees with the
//! facts beside it.

use crate::application::{Application, AppointmentType, Lang};
use crate::assignment::CaseOwner;
use crate::deadlines::{self, Deadline};
use crate::error::Error;
use crate::fees::FeeLedger;
use crate::findings::{self, Finding};
use crate::objections::{Objection, Registration, StatusChange, WaitingPeriod};
use crate::safeguarding;
use crate::validation::read_application;
use chrono::{DateTime, NaiveDate, Utc};
use lpaflow_core::{BusinessZone, Data, PayloadProblem, Reading};
use serde::de::value::MapDeserializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// Where an attorney or trust corporation stands (the LPA Store's `status`: `active | inactive | removed`).
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
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum AttorneyStatus {
    /// Acts (an original attorney, or a replacement who stepped in).
    Active,
    /// A replacement waiting to step in (stored as `replacement` by lpaflow before version 2 of the data).
    #[serde(alias = "replacement")]
    Inactive,
    /// Opted out.
    Removed,
}

impl AttorneyStatus {
    /// The LPA Store's spelling.
    pub fn wire(self) -> crate::lpa_store::AttorneyStatus {
        match self {
            AttorneyStatus::Active => crate::lpa_store::AttorneyStatus::Active,
            AttorneyStatus::Inactive => crate::lpa_store::AttorneyStatus::Inactive,
            AttorneyStatus::Removed => crate::lpa_store::AttorneyStatus::Removed,
        }
    }
}

/// The rules' record of one attorney, keyed by uid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttorneyRecord {
    /// Active, inactive (a replacement waiting to step in) or removed.
    pub status: AttorneyStatus,
    /// When a replacement stepped in.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stepped_in_at: Option<DateTime<Utc>>,
    /// When the attorney opted out.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub opted_out_at: Option<DateTime<Utc>>,
}

/// How an identity was checked.
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
    strum::VariantNames,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum IdentityMethod {
    /// GOV.UK One Login.
    OneLogin,
    /// OPG's paper identity check.
    OpgPaperId,
}

impl IdentityMethod {
    /// The LPA Store's spelling.
    pub fn wire(self) -> crate::lpa_store::IdentityCheckType {
        match self {
            IdentityMethod::OneLogin => crate::lpa_store::IdentityCheckType::OneLogin,
            IdentityMethod::OpgPaperId => crate::lpa_store::IdentityCheckType::OpgPaperId,
        }
    }
}

/// One identity check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityCheck {
    /// The method (`type` as the LPA Store names it).
    #[serde(rename = "type")]
    pub method: IdentityMethod,
    /// When the check was made.
    pub checked_at: DateTime<Utc>,
    /// When lpaflow recorded it.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: String,
}

/// Identity checks of the donor and the certificate provider.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityChecks {
    /// The donor's.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub donor: Option<IdentityCheck>,
    /// The certificate provider's.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub certificate_provider: Option<IdentityCheck>,
}

/// One signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Signature {
    /// When it was signed.
    pub signed_at: DateTime<Utc>,
    /// For the donor: when the certificate provider witnessed the signature.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub witnessed_by_certificate_provider_at: Option<DateTime<Utc>>,
    /// For attorneys: declared not bankrupt nor subject to a debt relief order.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub confirmed_not_bankrupt: Option<bool>,
    /// For attorneys: a mobile number given when signing (replaces the application's).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mobile: Option<String>,
    /// For the certificate provider and attorneys: the contact language given when signing.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub contact_language_preference: Option<Lang>,
    /// When lpaflow recorded it.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: String,
}

/// One person signing for a trust corporation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatoryRecord {
    /// First names.
    pub first_names: String,
    /// Last name.
    pub last_name: String,
    /// Title in the corporation.
    pub professional_title: String,
    /// When they signed.
    pub signed_at: DateTime<Utc>,
}

/// A trust corporation's signature: one or two signatories, and the details the LPA Store takes with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustCorporationSignature {
    /// Who signed (one or two).
    pub signatories: Vec<SignatoryRecord>,
    /// Its company number.
    pub company_number: String,
    /// Its mobile number.
    pub mobile: String,
    /// The language to write to it in.
    pub contact_language_preference: Lang,
    /// When lpaflow recorded it.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: String,
}

impl Signature {
    /// A signature made at `signed_at`, recorded at `recorded_at` by `recorded_by`, with nothing else given.
    pub fn new(signed_at: DateTime<Utc>, recorded_at: DateTime<Utc>, recorded_by: String) -> Self {
        Self {
            signed_at,
            witnessed_by_certificate_provider_at: None,
            confirmed_not_bankrupt: None,
            mobile: None,
            contact_language_preference: None,
            recorded_at,
            recorded_by,
        }
    }

    /// The signing date, in the business zone (UK local time).
    pub fn date(&self, zone: BusinessZone) -> NaiveDate {
        zone.date_of(self.signed_at)
    }
}

/// Signatures of everyone who signs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Signatures {
    /// The donor's.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub donor: Option<Signature>,
    /// The certificate provider's.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub certificate_provider: Option<Signature>,
    /// Each attorney's, by uid.
    #[serde(default)]
    pub attorneys: BTreeMap<String, Signature>,
    /// Each trust corporation's, by uid.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub trust_corporations: BTreeMap<String, TrustCorporationSignature>,
}

/// The donor's confirmation that they are not related to a certificate provider who shares a last name,
/// with the last names it was given for (it lapses for good when any of them changes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotRelatedConfirmation {
    /// When.
    pub confirmed_at: DateTime<Utc>,
    /// Who recorded it.
    pub confirmed_by: String,
    /// `donor`, `certificateProvider`, `attorney:<uid>` -> last name, as confirmed.
    pub last_names: BTreeMap<String, String>,
    /// When a change of one of those names made it lapse (for good).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub lapsed_at: Option<DateTime<Utc>>,
}

impl NotRelatedConfirmation {
    /// True while it covers the last names as they are in `app` and has never lapsed.
    pub fn holds(&self, app: &Application) -> bool {
        self.lapsed_at.is_none() && self.last_names == crate::safeguarding::last_names(app)
    }
}

/// The certificate provider's opt-out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptOut {
    /// When.
    pub at: DateTime<Utc>,
    /// Who recorded it.
    pub by: String,
}

/// The LPA's creation in OPG: it is sent when the donor signs (the LPA Store receives the LPA as the donor
/// executed it). The attorneys' statuses at that moment are kept because the store decides, from them, which
/// decision fields it holds and which defaults it fills (`docs/opg-api.md`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpgCreate {
    /// When the create was enqueued.
    pub at: DateTime<Utc>,
    /// Attorneys' and trust corporations' statuses in the create, by uid.
    pub statuses: BTreeMap<String, AttorneyStatus>,
}

/// The member of the data that holds the application.
const APPLICATION: &str = "application";

/// Everything the rules keep about one LPA.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LpaData {
    /// The application (LPA Store shape), as the service sent it. Shared, with the instance's data member it
    /// was read from ([`LpaData::load`]) and with the data an action hands over ([`LpaData::to_data`]): an
    /// action copies `LpaData` before it changes it, and most leave the application as it was
    /// (`update_application` replaces it whole).
    pub application: Arc<Value>,
    /// Rules-owned state of each attorney, by uid.
    #[serde(default)]
    pub attorneys: BTreeMap<String, AttorneyRecord>,
    /// Rules-owned state of each trust corporation, by uid.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub trust_corporations: BTreeMap<String, AttorneyRecord>,
    /// When the application was submitted for checks.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub submitted_at: Option<DateTime<Utc>>,
    /// The create in OPG (sent when the donor signs; before it, OPG steps are declined).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub opg_create: Option<OpgCreate>,
    /// Safeguarding, deadline, validation and sync findings.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// The donor's not-related confirmation.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub not_related: Option<NotRelatedConfirmation>,
    /// The fee ledger.
    pub fee: FeeLedger,
    /// Identity checks.
    #[serde(default)]
    pub identity: IdentityChecks,
    /// Signatures.
    #[serde(default)]
    pub signatures: Signatures,
    /// The certificate provider's opt-out.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub certificate_provider_opt_out: Option<OptOut>,
    /// Objections raised in the waiting period.
    #[serde(default)]
    pub objections: Vec<Objection>,
    /// Signing deadlines known from the data.
    #[serde(default)]
    pub deadlines: Vec<Deadline>,
    /// The statutory waiting period.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub waiting_period: Option<WaitingPeriod>,
    /// Registration.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub registration: Option<Registration>,
    /// Every change of LPA Store status, with its reason.
    #[serde(default)]
    pub status_changes: Vec<StatusChange>,
    /// The caseworker who has the case, if anyone.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub case_owner: Option<CaseOwner>,
}

/// The records of `appointments` (uid, appointment type), keeping what opt-outs and step-ins decided.
fn records<'a>(
    old: &BTreeMap<String, AttorneyRecord>,
    appointments: impl Iterator<Item = (&'a String, &'a Option<AppointmentType>)>,
) -> BTreeMap<String, AttorneyRecord> {
    appointments
        .map(|(uid, appointment)| {
            let kept = old
                .get(uid)
                .filter(|r| r.status == AttorneyStatus::Removed || r.stepped_in_at.is_some());
            let record = kept.cloned().unwrap_or(AttorneyRecord {
                status: match appointment {
                    Some(AppointmentType::Replacement) => AttorneyStatus::Inactive,
                    Some(
                        AppointmentType::Original
                        | AppointmentType::Unset
                        | AppointmentType::Other(_),
                    )
                    | None => AttorneyStatus::Active,
                },
                stepped_in_at: None,
                opted_out_at: None,
            });
            (uid.clone(), record)
        })
        .collect()
}

#[cfg(debug_assertions)]
thread_local! {
    static FRESH_READS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many times [`LpaData::read`] found nothing kept and read the JSON, on this thread (debug builds only:
/// tests count the reads a command makes).
#[cfg(debug_assertions)]
#[doc(hidden)]
pub fn fresh_reads_on_this_thread() -> u64 {
    FRESH_READS.with(std::cell::Cell::get)
}

impl LpaData {
    /// New data for an application keyed in on `keyed_on` (derived parts still to refresh).
    pub fn new(application: Value, keyed_on: NaiveDate) -> Self {
        Self {
            application: application.into(),
            attorneys: BTreeMap::new(),
            trust_corporations: BTreeMap::new(),
            submitted_at: None,
            opg_create: None,
            findings: Vec::new(),
            not_related: None,
            fee: FeeLedger::new(keyed_on),
            identity: IdentityChecks::default(),
            signatures: Signatures::default(),
            certificate_provider_opt_out: None,
            objections: Vec::new(),
            deadlines: Vec::new(),
            waiting_period: None,
            registration: None,
            status_changes: Vec::new(),
            case_owner: None,
        }
    }

    /// Reads an instance's data. The application is shared with `data`, not copied (it is most of an LPA,
    /// and most commands leave it as it was); every other member is read from its JSON.
    pub fn load(data: &Data) -> Result<Self, Error> {
        let corrupt = |e: serde_json::Error| Error::CorruptData(e.to_string());
        let Some(members) = data.members() else {
            return Self::deserialize(&data.to_value()).map_err(corrupt);
        };
        // The application is read as `null` here and replaced by the shared one after.
        static NULL: Value = Value::Null;
        let fields = members.iter().map(|(k, v)| {
            let v: &Value = if k == APPLICATION { &NULL } else { v };
            (k.as_str(), v)
        });
        let mut read = Self::deserialize(MapDeserializer::<_, serde_json::Error>::new(fields))
            .map_err(corrupt)?;
        if let Some(application) = data.member(APPLICATION) {
            read.application = Arc::clone(application);
        }
        Ok(read)
    }

    /// Reads data held as one JSON value (tests and tools; [`LpaData::load`] on an instance's data).
    pub fn load_value(value: &Value) -> Result<Self, Error> {
        Self::deserialize(value).map_err(|e| Error::CorruptData(e.to_string()))
    }

    /// The data of `data` as `reading` keeps it, read now if nothing is kept yet: one command reads its
    /// LPA once, whichever of guards, action, step payloads and labels asks first ([`Reading`]).
    pub fn read<'r>(data: &Data, reading: &'r Reading) -> Cow<'r, Result<Self, Error>> {
        let read = reading.get_or_read(|| {
            #[cfg(debug_assertions)]
            FRESH_READS.with(|n| n.set(n.get() + 1));
            Self::load(data)
        });
        // Every test run checks that no reading was ever handed along with data it was not made from.
        debug_assert_eq!(
            read.as_ref().as_ref().ok(),
            Self::load(data).ok().as_ref(),
            "a reading is only ever used with the data it was read from"
        );
        read
    }

    /// The data as one JSON value (a copy of everything, the application too).
    pub fn to_value(&self) -> Result<Value, Error> {
        serde_json::to_value(self).map_err(|e| Error::CorruptData(e.to_string()))
    }

    /// The data as an instance's data, whose application is this one's, shared: what an action hands
    /// over. Every other member is written from the typed data. (`&mut` only to leave the application out
    /// while the rest is written, a `null` in its place; it is back when this returns.)
    pub fn to_data(&mut self) -> Result<Data, Error> {
        static LEFT_OUT: LazyLock<Arc<Value>> = LazyLock::new(|| Arc::new(Value::Null));
        let application = std::mem::replace(&mut self.application, Arc::clone(&LEFT_OUT));
        let rest = serde_json::to_value(&*self);
        self.application = application;
        let rest = rest.map_err(|e| Error::CorruptData(e.to_string()))?;
        let Value::Object(rest) = rest else {
            return Err(Error::CorruptData("LPA data is not an object".to_owned()));
        };
        let mut data = Data::from(rest);
        data.set(APPLICATION, Arc::clone(&self.application));
        Ok(data)
    }

    /// The typed application and its problems, read at `now` with dates in `zone`.
    pub fn application(
        &self,
        now: DateTime<Utc>,
        zone: BusinessZone,
    ) -> (Application, Vec<PayloadProblem>) {
        read_application(&self.application, now, zone)
    }

    /// The date ages and windows are taken on: the donor's signing date, else `today` (local dates).
    pub fn reference_date(&self, today: NaiveDate, zone: BusinessZone) -> NaiveDate {
        self.signatures
            .donor
            .as_ref()
            .map_or(today, |s| s.date(zone))
    }

    /// The status of the attorney `uid` (`None` for an unknown uid).
    pub fn attorney_status(&self, uid: &str) -> Option<AttorneyStatus> {
        self.attorneys.get(uid).map(|r| r.status)
    }

    /// The status of the trust corporation `uid`.
    pub fn trust_corporation_status(&self, uid: &str) -> Option<AttorneyStatus> {
        self.trust_corporations.get(uid).map(|r| r.status)
    }

    /// Brings the attorney and trust corporation records in line with the application: new ones start as
    /// their appointment says; those who opted out stay removed and replacements who stepped in stay active.
    pub fn sync_attorneys(&mut self, app: &Application) {
        let attorneys = app.attorneys.iter().map(|a| (&a.uid, &a.appointment_type));
        self.attorneys = records(&self.attorneys, attorneys);
        let corporations = app
            .trust_corporations
            .iter()
            .map(|t| (&t.uid, &t.appointment_type));
        self.trust_corporations = records(&self.trust_corporations, corporations);
    }

    /// Recomputes the derived parts at `now`, with dates in `zone`: the not-related confirmation's lapse, fee
    /// amounts, deadlines and findings.
    pub fn refresh(&mut self, now: DateTime<Utc>, zone: BusinessZone) {
        let read = self.application(now, zone);
        self.refresh_read(&read, now, zone);
    }

    /// [`LpaData::refresh`] with the application already read at `now` (`self.application(now, zone)`):
    /// an action that leaves the application as it was reads it once for both of its refreshes.
    pub fn refresh_read(
        &mut self,
        (app, problems): &(Application, Vec<PayloadProblem>),
        now: DateTime<Utc>,
        zone: BusinessZone,
    ) {
        let today = zone.date_of(now);
        self.lapse_not_related(app, now);
        let on = self.reference_date(today, zone);
        let received_on = app.received_at.map(|r| zone.date_of(r));
        self.fee.refresh(app.fee.as_ref(), received_on, now);
        self.deadlines = deadlines::compute(self, app, zone);
        let hits = safeguarding::evaluate(&safeguarding::Input {
            app,
            data: self,
            problems,
            on,
            today,
            zone,
        });
        self.findings = findings::reconcile(&self.findings, &hits, now);
    }

    /// The findings as they would be after a refresh at `now` (guards and explanations use these, so that a
    /// condition that cleared with time does not wait for the next change).
    pub fn current_findings(&self, now: DateTime<Utc>, zone: BusinessZone) -> Vec<Finding> {
        let mut fresh = self.clone();
        fresh.refresh(now, zone);
        fresh.findings
    }

    /// The donor's not-related confirmation lapses for good once any last name it covered changes: changing
    /// the names back does not revive it; the donor must confirm again.
    fn lapse_not_related(&mut self, app: &Application, now: DateTime<Utc>) {
        if let Some(c) = self.not_related.as_mut()
            && c.lapsed_at.is_none()
            && c.last_names != crate::safeguarding::last_names(app)
        {
            c.lapsed_at = Some(now);
        }
    }
}
