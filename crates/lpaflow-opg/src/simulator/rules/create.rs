//! `PUT /lpas/{uid}` (`lambda/create/main.go`, `validate.go`, `set_defaults.go`): defaults, every
//! validation rule in the store's order with its source pointer and message, what an online and a paper LPA
//! do with errors, stored images and the actor UUIDs the store fills in.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chrono::{DateTime, Utc};
use lpaflow_lpa::lpa_store::{
    Address, Channel, FieldError, File, FileUpload, HowMakeDecisions, HowStepIn, Lpa, LpaFields,
    LpaInit, LpaStatus, LpaType, count_attorneys, go_time, set_defaults,
};
use sha2::{Digest, Sha256};

use super::Refusal;
use super::validate::{
    Check, country, date, empty_text, not_empty_text, not_empty_time, optional_time, unset, uuid,
    valid_value,
};

/// Collects `validate.WithSource` results in order.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn check(&mut self, source: &str, checks: &[Check]) {
        for detail in checks.iter().flatten() {
            self.0.push(FieldError::new(source, *detail));
        }
    }

    /// `validateAddress`: `line1` required, `country` required and a country code (both may fail).
    fn address(&mut self, prefix: &str, address: &Address) {
        self.check(
            &format!("{prefix}/line1"),
            &[not_empty_text(&address.line1)],
        );
        self.check(
            &format!("{prefix}/country"),
            &[not_empty_text(&address.country), country(&address.country)],
        );
    }

    /// An actor's email: required online, must be empty otherwise.
    fn email(&mut self, source: &str, channel: &Channel, email: &String) {
        if *channel == Channel::Online {
            self.check(source, &[not_empty_text(email)]);
        } else {
            self.check(source, &[empty_text(email)]);
        }
    }
}

/// `Validate` (`lambda/create/validate.go`), run on the LPA after `SetDefaults`.
pub fn validate(lpa: &LpaFields) -> Vec<FieldError> {
    let mut e = Errors::default();
    let (active, replacements) = count_attorneys(&lpa.attorneys, &lpa.trust_corporations);
    e.check("/lpaType", &[valid_value(&lpa.lpa_type)]);
    e.check("/channel", &[valid_value(&lpa.channel)]);
    e.check("/language", &[valid_value(&lpa.language)]);

    let donor = &lpa.donor;
    e.check("/donor/uid", &[uuid(&donor.uid)]);
    e.check("/donor/firstNames", &[not_empty_text(&donor.first_names)]);
    e.check("/donor/lastName", &[not_empty_text(&donor.last_name)]);
    e.check("/donor/dateOfBirth", &[date(&donor.date_of_birth)]);
    e.address("/donor/address", &donor.address);
    e.check(
        "/donor/contactLanguagePreference",
        &[valid_value(&donor.contact_language_preference)],
    );
    if let Some(check) = &donor.identity_check {
        e.check(
            "/donor/identityCheck/checkedAt",
            &[not_empty_time(&check.checked_at)],
        );
        e.check("/donor/identityCheck/type", &[valid_value(&check.kind)]);
    }

    let cp = &lpa.certificate_provider;
    e.check("/certificateProvider/uid", &[uuid(&cp.uid)]);
    e.check(
        "/certificateProvider/firstNames",
        &[not_empty_text(&cp.first_names)],
    );
    e.check(
        "/certificateProvider/lastName",
        &[not_empty_text(&cp.last_name)],
    );
    e.address("/certificateProvider/address", &cp.address);
    e.check("/certificateProvider/channel", &[valid_value(&cp.channel)]);
    e.email("/certificateProvider/email", &cp.channel, &cp.email);
    e.check("/certificateProvider/phone", &[not_empty_text(&cp.phone)]);

    // validateAttorneys
    if lpa.attorneys.is_empty() {
        e.0.push(FieldError::new(
            "/attorneys",
            "at least one attorney is required",
        ));
    }
    for (i, a) in lpa.attorneys.iter().enumerate() {
        let at = |field: &str| format!("/attorneys/{i}/{field}");
        e.check(&at("uid"), &[uuid(&a.uid)]);
        e.check(&at("firstNames"), &[not_empty_text(&a.first_names)]);
        e.check(&at("lastName"), &[not_empty_text(&a.last_name)]);
        e.check(&at("dateOfBirth"), &[date(&a.date_of_birth)]);
        e.address(&format!("/attorneys/{i}/address"), &a.address);
        e.check(&at("status"), &[valid_value(&a.status)]);
        e.check(&at("channel"), &[valid_value(&a.channel)]);
        e.check(&at("appointmentType"), &[valid_value(&a.appointment_type)]);
        e.email(&at("email"), &a.channel, &a.email);
    }
    // validateTrustCorporations
    for (i, t) in lpa.trust_corporations.iter().enumerate() {
        let at = |field: &str| format!("/trustCorporations/{i}/{field}");
        e.check(&at("uid"), &[uuid(&t.uid)]);
        e.check(&at("name"), &[not_empty_text(&t.name)]);
        e.address(&format!("/trustCorporations/{i}/address"), &t.address);
        e.check(&at("status"), &[valid_value(&t.status)]);
        e.check(&at("channel"), &[valid_value(&t.channel)]);
        e.check(&at("appointmentType"), &[valid_value(&t.appointment_type)]);
        e.email(&at("email"), &t.channel, &t.email);
    }

    // The authorised signatory's and independent witness's uid need only be non-empty (not a UUID).
    if let Some(s) = &lpa.authorised_signatory {
        e.check("/authorisedSignatory/uid", &[not_empty_text(&s.uid)]);
        e.check(
            "/authorisedSignatory/firstNames",
            &[not_empty_text(&s.first_names)],
        );
        e.check(
            "/authorisedSignatory/lastName",
            &[not_empty_text(&s.last_name)],
        );
    }
    if let Some(w) = &lpa.independent_witness {
        e.check("/independentWitness/uid", &[not_empty_text(&w.uid)]);
        e.check(
            "/independentWitness/firstNames",
            &[not_empty_text(&w.first_names)],
        );
        e.check(
            "/independentWitness/lastName",
            &[not_empty_text(&w.last_name)],
        );
        e.check("/independentWitness/phone", &[not_empty_text(&w.phone)]);
        e.address("/independentWitness/address", &w.address);
        e.check(
            "/witnessedByIndependentWitnessAt",
            &[not_empty_time(&lpa.witnessed_by_independent_witness_at)],
        );
    }

    let decisions = &lpa.how_attorneys_make_decisions;
    if active > 1 {
        e.check("/howAttorneysMakeDecisions", &[valid_value(decisions)]);
    } else {
        e.check("/howAttorneysMakeDecisions", &[unset(decisions)]);
    }
    let some_severally = *decisions == HowMakeDecisions::JointlyForSomeSeverallyForOthers;
    let details = &lpa.how_attorneys_make_decisions_details;
    if some_severally && lpa.channel == Channel::Online {
        e.check(
            "/howAttorneysMakeDecisionsDetails",
            &[not_empty_text(details)],
        );
    } else if some_severally && lpa.channel == Channel::Paper {
        // validate.go checks the details text but names the images (a quirk of the store's).
        e.check(
            "/howAttorneysMakeDecisionsDetailsImages",
            &[not_empty_text(details)],
        );
    } else {
        e.check("/howAttorneysMakeDecisionsDetails", &[empty_text(details)]);
    }
    let step_in = &lpa.how_replacement_attorneys_step_in;
    if replacements > 0 && *decisions == HowMakeDecisions::JointlyAndSeverally {
        e.check("/howReplacementAttorneysStepIn", &[valid_value(step_in)]);
    }
    let step_in_details = &lpa.how_replacement_attorneys_step_in_details;
    if *step_in == HowStepIn::AnotherWay {
        e.check(
            "/howReplacementAttorneysStepInDetails",
            &[not_empty_text(step_in_details)],
        );
    } else {
        e.check(
            "/howReplacementAttorneysStepInDetails",
            &[empty_text(step_in_details)],
        );
    }
    let replacement_decisions = &lpa.how_replacement_attorneys_make_decisions;
    let replacements_decide = replacements > 1
        && (active == 1
            || *decisions == HowMakeDecisions::Jointly
            || (*decisions == HowMakeDecisions::JointlyAndSeverally
                && *step_in == HowStepIn::AllCanNoLongerAct));
    if replacements_decide {
        e.check(
            "/howReplacementAttorneysMakeDecisions",
            &[valid_value(replacement_decisions)],
        );
    } else {
        e.check(
            "/howReplacementAttorneysMakeDecisions",
            &[unset(replacement_decisions)],
        );
    }
    let replacement_details = &lpa.how_replacement_attorneys_make_decisions_details;
    if *replacement_decisions == HowMakeDecisions::JointlyForSomeSeverallyForOthers {
        e.check(
            "/howReplacementAttorneysMakeDecisionsDetails",
            &[not_empty_text(replacement_details)],
        );
    } else {
        e.check(
            "/howReplacementAttorneysMakeDecisionsDetails",
            &[empty_text(replacement_details)],
        );
    }
    if lpa.lpa_type == LpaType::PersonalWelfare {
        e.check(
            "/lifeSustainingTreatmentOption",
            &[valid_value(&lpa.life_sustaining_treatment_option)],
        );
        e.check(
            "/whenTheLpaCanBeUsed",
            &[unset(&lpa.when_the_lpa_can_be_used)],
        );
    }
    if lpa.lpa_type == LpaType::PropertyAndAffairs {
        e.check(
            "/whenTheLpaCanBeUsed",
            &[valid_value(&lpa.when_the_lpa_can_be_used)],
        );
        e.check(
            "/lifeSustainingTreatmentOption",
            &[unset(&lpa.life_sustaining_treatment_option)],
        );
    }
    e.check("/signedAt", &[not_empty_time(&lpa.signed_at)]);
    e.check(
        "/witnessedByCertificateProviderAt",
        &[not_empty_time(&lpa.witnessed_by_certificate_provider_at)],
    );
    e.check(
        "/certificateProviderNotRelatedConfirmedAt",
        &[optional_time(
            &lpa.certificate_provider_not_related_confirmed_at,
        )],
    );
    e.0
}

/// Go's `base64.StdEncoding`: padded, trailing bits allowed; `DecodeString` skips `\r` and `\n`.
const GO_STD_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// `UploadFile` (`internal/objectstore/client.go`): the object key given, the hex SHA-256 of the decoded
/// content. The simulator keeps no content.
fn stored_image(upload: &FileUpload, path: String) -> Result<File, Refusal> {
    let cleaned: String = upload
        .data
        .chars()
        .filter(|c| *c != '\r' && *c != '\n')
        .collect();
    let content = GO_STD_BASE64
        .decode(cleaned)
        .map_err(|_| Refusal::ServerError("an image's data is not base64"))?;
    Ok(File {
        path,
        hash: hex::encode(Sha256::digest(&content)),
    })
}

/// What the store writes for a create, or why it refuses it (`lambda/create/main.go` after the duplicate
/// check and the decode): defaults, validation (an online LPA with errors is refused; a paper one is stored
/// anyway), a paper LPA's images, UUIDs for actors without one, status `in-progress`, `updatedAt`.
pub fn created_lpa(uid: &str, init: LpaInit, now: DateTime<Utc>) -> Result<Lpa, Refusal> {
    let fields = set_defaults(init.fields);
    let errors = validate(&fields);
    if !errors.is_empty() {
        if fields.channel == Channel::Paper {
            tracing::info!(%uid, errors = errors.len(), "paper LPA stored with validation errors");
        } else {
            return Err(Refusal::Invalid(errors));
        }
    }
    let mut lpa = Lpa {
        fields,
        uid: uid.to_owned(),
        status: LpaStatus::InProgress,
        updated_at: Some(go_time::from_utc(now)),
        ..Lpa::default()
    };
    if lpa.fields.channel == Channel::Paper {
        for (i, image) in init.restrictions_and_conditions_images.iter().enumerate() {
            let path = format!("{uid}/scans/rc_{i}_{}", image.filename);
            lpa.restrictions_and_conditions_images
                .push(stored_image(image, path)?);
        }
        for (i, image) in init
            .how_attorneys_make_decisions_details_images
            .iter()
            .enumerate()
        {
            let path = format!("{uid}/scans/amd_{i}_{}", image.filename);
            lpa.how_attorneys_make_decisions_details_images
                .push(stored_image(image, path)?);
        }
    }
    fill_actor_uids(&mut lpa.fields);
    Ok(lpa)
}

/// `// add UIDs to actors`: a v4 UUID for each actor sent without a uid.
fn fill_actor_uids(fields: &mut LpaFields) {
    let fill = |uid: &mut String| {
        if uid.is_empty() {
            *uid = uuid::Uuid::new_v4().to_string();
        }
    };
    fill(&mut fields.donor.uid);
    fill(&mut fields.certificate_provider.uid);
    fields.attorneys.iter_mut().for_each(|a| fill(&mut a.uid));
    fields
        .trust_corporations
        .iter_mut()
        .for_each(|t| fill(&mut t.uid));
    fields
        .people_to_notify
        .iter_mut()
        .for_each(|p| fill(&mut p.uid));
    if let Some(w) = &mut fields.independent_witness {
        fill(&mut w.uid);
    }
    if let Some(s) = &mut fields.authorised_signatory {
        fill(&mut s.uid);
    }
}

#[cfg(test)]
#[path = "create_tests.rs"]
mod tests;
