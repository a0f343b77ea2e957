//! The LPA Store's update rules (`docs/opg-api.md`, "Updates"; `shared/DOMAIN.md` section 2), pure: given the
//! stored document and an update, either the new document or every reason it is refused.
//!
//! Order of checks: the shape of the update (changes or none), which keys the type may touch, a repeated
//! signature ("cannot sign again", checked before the values so a verbatim re-send gets that message), every
//! change's `old` ("does not match existing value") and `new` ("change is redundant"), then the type's own
//! rule on the stored state.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::document::{Change, FieldError, LpaStatus, Update, UpdateType};
use crate::pointer;
use crate::simulator::store::timestamp;

/// Most changes in one update.
pub const CHANGES_MAX: usize = 100;

const ID_TYPES: [&str; 2] = ["one-login", "opg-paper-id"];
const NOT_CORRECTABLE: [&str; 4] = ["/uid", "/status", "/registrationDate", "/updatedAt"];

type Refusal = Vec<FieldError>;

fn refuse<T>(source: impl Into<String>, detail: impl Into<String>) -> Result<T, Refusal> {
    Err(vec![FieldError::new(source, detail)])
}

fn is_signed_at(key: &str) -> bool {
    key == "/signedAt" || key.ends_with("/signedAt")
}

/// Whether the stored LPA already reflects the update (a duplicate, whether refused or applied).
pub fn reflects(doc: &Value, update: &Update) -> bool {
    (update.kind.is_signature() && already_signed(doc, &update.changes))
        || already_reflected(update, doc)
}

/// Every change's key already holds `new` (without changes: the type's target status is there).
fn already_reflected(update: &Update, doc: &Value) -> bool {
    if update.changes.is_empty() {
        return update
            .kind
            .target_status()
            .is_some_and(|t| LpaStatus::of(doc) == Some(t));
    }
    update
        .changes
        .iter()
        .all(|c| pointer::get(doc, &c.key) == &c.new)
}

fn already_signed(doc: &Value, changes: &[Change]) -> bool {
    changes
        .iter()
        .any(|c| is_signed_at(&c.key) && !pointer::get(doc, &c.key).is_null())
}

/// The document after `update`, or why it is refused.
pub fn apply_update(doc: &Value, update: &Update, now: DateTime<Utc>) -> Result<Value, Refusal> {
    let (kind, changes) = (update.kind, update.changes.as_slice());
    if changes.len() > CHANGES_MAX {
        return refuse("/changes", format!("at most {CHANGES_MAX} changes"));
    }
    if !kind.takes_changes() && !changes.is_empty() {
        return refuse("/changes", "this type takes no changes");
    }
    if kind.takes_changes() && changes.is_empty() {
        return refuse("/changes", "at least one change is required");
    }
    let errors: Refusal = changes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            key_allowed(kind, &c.key, doc)
                .err()
                .map(|d| FieldError::new(format!("/changes/{i}/key"), d))
        })
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    if kind.is_signature() {
        if !changes.iter().any(|c| is_signed_at(&c.key)) {
            return refuse("/changes", "a signature needs signedAt");
        }
        if already_signed(doc, changes) {
            return refuse("/type", "cannot sign again");
        }
    }
    let mut errors = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        let stored = pointer::get(doc, &c.key);
        if *stored != c.old {
            errors.push(FieldError::new(
                format!("/changes/{i}/old"),
                "does not match existing value",
            ));
        } else if *stored == c.new {
            errors.push(FieldError::new(
                format!("/changes/{i}/new"),
                "change is redundant",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    type_rule(kind, doc, changes)?;
    let mut new = doc.clone();
    for (i, c) in changes.iter().enumerate() {
        pointer::set(&mut new, &c.key, c.new.clone())
            .or_else(|e| refuse(format!("/changes/{i}/key"), e.to_string()))?;
    }
    if let Some(target) = kind.target_status() {
        new["status"] = Value::from(target.as_str());
    }
    if kind == UpdateType::Register {
        new["registrationDate"] = Value::from(now.date_naive().to_string());
    }
    match kind {
        UpdateType::DonorConfirmIdentity => {
            identity_complete(&new, "/donor/identityCheck", changes)?
        }
        UpdateType::CertificateProviderConfirmIdentity => {
            identity_complete(&new, "/certificateProvider/identityCheck", changes)?;
        }
        _ => {}
    }
    new["updatedAt"] = Value::from(timestamp(now));
    Ok(new)
}

/// The attorney (or trust corporation) index a key points into, if it exists in `doc`.
fn indexed(doc: &Value, key: &str, list: &str) -> Option<usize> {
    let segs = pointer::segments(key).ok()?;
    if segs.len() < 3 || segs[0] != list {
        return None;
    }
    let i: usize = segs[1].parse().ok()?;
    doc.get(list)?.as_array()?.get(i).map(|_| i)
}

fn key_allowed(kind: UpdateType, key: &str, doc: &Value) -> Result<(), String> {
    if pointer::segments(key).is_err() {
        return Err("key must be a JSON pointer".to_owned());
    }
    let under = |prefix: &str| key == prefix || key.starts_with(&format!("{prefix}/"));
    let allowed = match kind {
        UpdateType::DonorSign => key == "/signedAt",
        UpdateType::CertificateProviderSign => key.starts_with("/certificateProvider/"),
        UpdateType::AttorneySign => {
            return indexed(doc, key, "attorneys")
                .map(|_| ())
                .ok_or_else(|| "no attorney at this index".to_owned());
        }
        UpdateType::AttorneyOptOut => {
            let i = indexed(doc, key, "attorneys").ok_or("no attorney at this index")?;
            key == format!("/attorneys/{i}/status")
        }
        UpdateType::TrustCorporationSign => {
            return indexed(doc, key, "trustCorporations")
                .map(|_| ())
                .ok_or_else(|| "no trust corporation at this index".to_owned());
        }
        UpdateType::DonorConfirmIdentity => {
            key == "/donor/identityCheck/checkedAt" || key == "/donor/identityCheck/type"
        }
        UpdateType::CertificateProviderConfirmIdentity => {
            key == "/certificateProvider/identityCheck/checkedAt"
                || key == "/certificateProvider/identityCheck/type"
        }
        UpdateType::OpgStatusChange => key == "/status",
        UpdateType::Correction => {
            if NOT_CORRECTABLE.contains(&key) || is_signed_at(key) {
                return Err("cannot be corrected".to_owned());
            }
            if key == "/donor/dateOfBirth" && !pointer::get(doc, "/donor/identityCheck").is_null() {
                return Err("date of birth cannot be corrected after the identity check".to_owned());
            }
            true
        }
        UpdateType::FeeDecision => key.starts_with("/fee/"),
        UpdateType::ChangeAttorneys => under("/attorneys"),
        UpdateType::SeverRestrictionsAndConditions => under("/restrictionsAndConditions"),
        UpdateType::CertificateProviderOptOut
        | UpdateType::DonorWithdrawLpa
        | UpdateType::StatutoryWaitingPeriod
        | UpdateType::Register => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(format!("not allowed for {}", kind.as_str()))
    }
}

/// The index every change of an attorney update concerns (one attorney per update).
fn one_attorney(doc: &Value, changes: &[Change]) -> Result<usize, Refusal> {
    let mut indices = changes
        .iter()
        .filter_map(|c| indexed(doc, &c.key, "attorneys"));
    let first = indices
        .next()
        .ok_or_else(|| vec![FieldError::new("/changes", "no attorney")])?;
    if indices.any(|i| i != first) {
        return refuse("/changes", "changes must concern one attorney");
    }
    Ok(first)
}

fn type_rule(kind: UpdateType, doc: &Value, changes: &[Change]) -> Result<(), Refusal> {
    let status = LpaStatus::of(doc);
    let is = |s: LpaStatus| status == Some(s);
    let status_name = status.map_or("unknown", LpaStatus::as_str);
    let signed = |key: &str| !pointer::get(doc, key).is_null();
    match kind {
        UpdateType::DonorSign if !is(LpaStatus::InProgress) => {
            refuse("/type", "the LPA is not in progress")
        }
        UpdateType::AttorneySign => {
            let i = one_attorney(doc, changes)?;
            if pointer::get(doc, &format!("/attorneys/{i}/status")) == "removed" {
                return refuse("/type", "attorney has been removed");
            }
            Ok(())
        }
        UpdateType::CertificateProviderOptOut if signed("/certificateProvider/signedAt") => {
            refuse("/type", "certificate provider cannot opt out after signing")
        }
        UpdateType::AttorneyOptOut => attorney_opt_out(doc, changes),
        UpdateType::DonorWithdrawLpa
            if is(LpaStatus::Withdrawn)
                || is(LpaStatus::Registered)
                || is(LpaStatus::CannotRegister) =>
        {
            refuse(
                "/type",
                format!("cannot withdraw an LPA that is {status_name}"),
            )
        }
        UpdateType::StatutoryWaitingPeriod => waiting_period(doc, status),
        UpdateType::Register if !is(LpaStatus::StatutoryWaitingPeriod) => {
            refuse("/type", "the LPA is not in the statutory waiting period")
        }
        UpdateType::OpgStatusChange => status_change(status, changes),
        UpdateType::Correction if is(LpaStatus::Registered) => {
            refuse("/type", "cannot correct a registered LPA")
        }
        UpdateType::ChangeAttorneys | UpdateType::SeverRestrictionsAndConditions
            if is(LpaStatus::Registered) =>
        {
            refuse("/type", "cannot change a registered LPA")
        }
        _ => Ok(()),
    }
}

/// An attorney opting out becomes `removed` (before signing); in the same update a replacement attorney may
/// step in (`replacement` -> `active`).
fn attorney_opt_out(doc: &Value, changes: &[Change]) -> Result<(), Refusal> {
    let mut removed = 0usize;
    for (i, c) in changes.iter().enumerate() {
        let Some(a) = indexed(doc, &c.key, "attorneys") else {
            return refuse(format!("/changes/{i}/key"), "no attorney at this index");
        };
        if c.new == "removed" {
            if !pointer::get(doc, &format!("/attorneys/{a}/signedAt")).is_null() {
                return refuse("/type", "attorney cannot opt out after signing");
            }
            removed += 1;
        } else if !(c.old == "replacement" && c.new == "active") {
            return refuse(
                format!("/changes/{i}/new"),
                "an attorney opting out becomes removed; only a replacement may step in",
            );
        }
    }
    if removed == 0 {
        return refuse("/changes", "an attorney opting out becomes removed");
    }
    Ok(())
}

/// Into the waiting period: in progress; donor, certificate provider, every attorney not removed and every
/// trust-corporation signatory signed. Every missing signature is listed.
fn waiting_period(doc: &Value, status: Option<LpaStatus>) -> Result<(), Refusal> {
    if status != Some(LpaStatus::InProgress) {
        return refuse("/type", "the LPA is not in progress");
    }
    let mut errors = Vec::new();
    let unsigned = |v: &Value| v.get("signedAt").is_none_or(Value::is_null);
    if unsigned(doc) {
        errors.push(FieldError::new("/type", "donor has not signed"));
    }
    if doc.get("certificateProvider").is_none_or(unsigned) {
        errors.push(FieldError::new(
            "/type",
            "certificate provider has not signed",
        ));
    }
    let active = |v: &&Value| v.get("status").and_then(Value::as_str) != Some("removed");
    let list = |name: &str| {
        doc.get(name)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for (i, a) in list("attorneys")
        .iter()
        .enumerate()
        .filter(|(_, a)| active(a))
    {
        if unsigned(a) {
            errors.push(FieldError::new(
                "/type",
                format!("attorney {i} has not signed"),
            ));
        }
    }
    for (i, tc) in list("trustCorporations")
        .iter()
        .enumerate()
        .filter(|(_, t)| active(t))
    {
        let signatories = tc
            .get("signatories")
            .and_then(Value::as_array)
            .filter(|s| !s.is_empty());
        let missing = match signatories {
            Some(s) => s.iter().any(unsigned),
            None => unsigned(tc),
        };
        if missing {
            errors.push(FieldError::new(
                "/type",
                format!("trust corporation {i} has a signatory who has not signed"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A caseworker's status change (`shared/DOMAIN.md` section 2).
fn status_change(from: Option<LpaStatus>, changes: &[Change]) -> Result<(), Refusal> {
    use LpaStatus as S;
    let to = changes
        .first()
        .and_then(|c| c.new.as_str())
        .and_then(|s| s.parse::<LpaStatus>().ok());
    let allowed = match (to, from) {
        (Some(S::CannotRegister), Some(f)) => !matches!(f, S::Registered | S::Cancelled),
        (Some(S::Cancelled), Some(f)) => f == S::Registered,
        (Some(S::DoNotRegister), Some(f)) => f == S::StatutoryWaitingPeriod,
        (Some(S::Expired), Some(f)) => matches!(
            f,
            S::InProgress | S::StatutoryWaitingPeriod | S::DoNotRegister
        ),
        (Some(_), _) | (None, _) => {
            return refuse("/changes/0/new", "not a status a caseworker can set");
        }
    };
    if allowed {
        Ok(())
    } else {
        let (from, to) = (
            from.map_or("unknown", S::as_str),
            to.map_or("unknown", S::as_str),
        );
        refuse(
            "/changes/0/new",
            format!("cannot change status from {from} to {to}"),
        )
    }
}

/// An identity confirmation needs a method and a check time.
fn identity_complete(doc: &Value, at: &str, changes: &[Change]) -> Result<(), Refusal> {
    let source = |suffix: &str| {
        let key = format!("{at}/{suffix}");
        changes
            .iter()
            .position(|c| c.key == key)
            .map_or("/changes".to_owned(), |i| format!("/changes/{i}/new"))
    };
    let mut errors = Vec::new();
    let kind = pointer::get(doc, &format!("{at}/type")).as_str();
    if !kind.is_some_and(|k| ID_TYPES.contains(&k)) {
        errors.push(FieldError::new(
            source("type"),
            "identity check type must be one-login or opg-paper-id",
        ));
    }
    let checked = pointer::get(doc, &format!("{at}/checkedAt")).as_str();
    if checked.is_none_or(|t| DateTime::parse_from_rfc3339(t).is_err()) {
        errors.push(FieldError::new(
            source("checkedAt"),
            "identity check needs a check time",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
