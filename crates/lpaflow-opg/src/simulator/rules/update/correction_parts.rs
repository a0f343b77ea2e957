//! The parts `CORRECTION` and `POST_REGISTRATION_CORRECTION` share (`lambda/update/correction.go`,
//! `post_registration_correction.go`, `internal/shared/actor_correction.go`): the corrected actors' values,
//! their sub-parsers, and the attorneys' decision settings, whose keys are asked for only when the stored
//! LPA's attorneys make them meaningful.

use chrono::{DateTime, FixedOffset};
use lpaflow_lpa::lpa_store::{
    Address, CanUse, HowMakeDecisions, HowStepIn, LifeSustainingTreatment, Lpa, LpaType,
    count_attorneys,
};

use crate::simulator::rules::parse::{GoDate, Opts, Parser, valid_date};
use crate::simulator::rules::validate::{
    GoTime, country, empty_text, not_empty_text, not_empty_time, valid_pointer,
};

/// `validateAddress`: every line optional, a given country must be a country code.
pub fn parse_address(p: &mut Parser, address: &mut Address) {
    p.field("/line1", &mut address.line1, Opts::optional())
        .field("/line2", &mut address.line2, Opts::optional())
        .field("/line3", &mut address.line3, Opts::optional())
        .field("/town", &mut address.town, Opts::optional())
        .field("/postcode", &mut address.postcode, Opts::optional())
        .field(
            "/country",
            &mut address.country,
            Opts::optional().validate(country),
        )
        .consumed();
}

/// `shared.DonorCorrection`.
#[derive(Default)]
pub struct DonorCorrection {
    pub first_names: String,
    pub last_name: String,
    pub other_names_known_by: String,
    pub date_of_birth: GoDate,
    pub address: Address,
    pub email: String,
}

/// `validateDonor` / `validatePostRegistrationDonor` (the same fields).
pub fn parse_donor(p: &mut Parser, d: &mut DonorCorrection) {
    let address = &mut d.address;
    p.field(
        "/firstNames",
        &mut d.first_names,
        Opts::optional().validate(not_empty_text),
    )
    .field(
        "/lastName",
        &mut d.last_name,
        Opts::optional().validate(not_empty_text),
    )
    .field(
        "/otherNamesKnownBy",
        &mut d.other_names_known_by,
        Opts::optional(),
    )
    .field(
        "/dateOfBirth",
        &mut d.date_of_birth,
        Opts::optional().validate(valid_date),
    )
    .prefix("/address", true, |p| parse_address(p, address))
    .field("/email", &mut d.email, Opts::optional())
    .consumed();
}

/// `shared.CertificateProviderCorrection`.
#[derive(Default)]
pub struct CertificateProviderCorrection {
    pub first_names: String,
    pub last_name: String,
    pub address: Address,
    pub email: String,
    pub phone: String,
    pub signed_at: GoTime,
}

/// `validateCertificateProvider` / `validatePostRegistrationCertificateProvider`.
pub fn parse_certificate_provider(p: &mut Parser, c: &mut CertificateProviderCorrection) {
    let address = &mut c.address;
    p.field(
        "/firstNames",
        &mut c.first_names,
        Opts::optional().validate(not_empty_text),
    )
    .field(
        "/lastName",
        &mut c.last_name,
        Opts::optional().validate(not_empty_text),
    )
    .prefix("/address", true, |p| parse_address(p, address))
    .field("/email", &mut c.email, Opts::optional())
    .field("/phone", &mut c.phone, Opts::optional())
    .field("/signedAt", &mut c.signed_at, Opts::optional())
    .consumed();
}

/// `shared.AttorneyCorrection`.
#[derive(Default)]
pub struct AttorneyCorrection {
    pub index: Option<usize>,
    pub first_names: String,
    pub last_name: String,
    pub date_of_birth: GoDate,
    pub address: Address,
    pub email: String,
    pub mobile: String,
    pub signed_at: GoTime,
    pub cannot_make_joint_decisions: bool,
}

/// `validateAttorney` (correction.go); `POST_REGISTRATION_CORRECTION` adds `cannotMakeJointDecisions`.
pub fn parse_attorney(p: &mut Parser, a: &mut AttorneyCorrection, post_registration: bool) {
    let address = &mut a.address;
    p.field(
        "/firstNames",
        &mut a.first_names,
        Opts::optional().validate(not_empty_text),
    )
    .field(
        "/lastName",
        &mut a.last_name,
        Opts::optional().validate(not_empty_text),
    )
    .field(
        "/dateOfBirth",
        &mut a.date_of_birth,
        Opts::optional().validate(valid_date),
    )
    .field("/email", &mut a.email, Opts::optional())
    .field("/mobile", &mut a.mobile, Opts::optional())
    .prefix("/address", true, |p| parse_address(p, address))
    .field(
        "/signedAt",
        &mut a.signed_at,
        Opts::optional().validate(not_empty_time),
    );
    if post_registration {
        p.field(
            "/cannotMakeJointDecisions",
            &mut a.cannot_make_joint_decisions,
            Opts::optional(),
        );
    }
    p.consumed();
}

/// `signedAtChanged` (correction.go): nil counts as unchanged only when the new time is zero.
pub fn signed_at_changed(new: &GoTime, existing: &Option<DateTime<FixedOffset>>) -> bool {
    let new_zero = crate::simulator::rules::validate::time_is_zero(new);
    match existing {
        None => !new_zero,
        Some(_) if new_zero => true,
        Some(e) => new.is_none_or(|n| n != *e),
    }
}

/// `shared.AttorneyAppointmentTypeCorrection`.
#[derive(Default)]
pub struct AppointmentDecisions {
    pub how_attorneys_make_decisions: HowMakeDecisions,
    pub how_attorneys_make_decisions_details: String,
    pub how_replacement_attorneys_step_in: HowStepIn,
    pub how_replacement_attorneys_step_in_details: String,
    pub how_replacement_attorneys_make_decisions: HowMakeDecisions,
    pub how_replacement_attorneys_make_decisions_details: String,
    pub life_sustaining_treatment_option: LifeSustainingTreatment,
    pub when_the_lpa_can_be_used: CanUse,
}

impl AppointmentDecisions {
    /// The starting values: the step-in settings from the stored LPA, everything else zero (compared
    /// through `parse.Old` with the stored values).
    pub fn starting_from(lpa: &Lpa) -> Self {
        Self {
            how_replacement_attorneys_step_in: lpa.fields.how_replacement_attorneys_step_in.clone(),
            how_replacement_attorneys_step_in_details: lpa
                .fields
                .how_replacement_attorneys_step_in_details
                .clone(),
            ..Self::default()
        }
    }

    /// `AttorneyAppointmentPreRegistrationCorrection.Apply` (and its post-registration twin): the
    /// enumerations only when given, the detail texts always (an omitted detail text is cleared).
    pub fn apply(&self, lpa: &mut Lpa) {
        let f = &mut lpa.fields;
        if !self.how_attorneys_make_decisions.is_unset() {
            f.how_attorneys_make_decisions = self.how_attorneys_make_decisions.clone();
            f.how_attorneys_make_decisions_is_default = false;
        }
        if !self.how_replacement_attorneys_make_decisions.is_unset() {
            f.how_replacement_attorneys_make_decisions =
                self.how_replacement_attorneys_make_decisions.clone();
            f.how_replacement_attorneys_make_decisions_is_default = false;
        }
        if !self.life_sustaining_treatment_option.is_unset() {
            f.life_sustaining_treatment_option = self.life_sustaining_treatment_option.clone();
            f.life_sustaining_treatment_option_is_default = false;
        }
        if !self.when_the_lpa_can_be_used.is_unset() {
            f.when_the_lpa_can_be_used = self.when_the_lpa_can_be_used.clone();
            f.when_the_lpa_can_be_used_is_default = false;
        }
        f.how_attorneys_make_decisions_details
            .clone_from(&self.how_attorneys_make_decisions_details);
        f.how_replacement_attorneys_step_in = self.how_replacement_attorneys_step_in.clone();
        f.how_replacement_attorneys_step_in_details
            .clone_from(&self.how_replacement_attorneys_step_in_details);
        f.how_replacement_attorneys_make_decisions_details
            .clone_from(&self.how_replacement_attorneys_make_decisions_details);
    }
}

/// A detail text: required and non-empty, or optional and empty; `old` compared with the stored text.
fn detail_opts(required: bool, old: &String) -> Opts<'_, String> {
    if required {
        Opts::required().old(old).validate(not_empty_text)
    } else {
        Opts::optional().old(old).validate(empty_text)
    }
}

/// The decision keys, asked for in Go's order and only where the stored LPA's attorneys (as counted by
/// `CountAttorneys`) and the values already read make them apply. The two detail texts are required when
/// their setting is jointly-for-some-severally-for-others, and must otherwise be empty.
pub fn parse_appointment_decisions(p: &mut Parser, lpa: &Lpa, d: &mut AppointmentDecisions) {
    use HowMakeDecisions as H;
    let f = &lpa.fields;
    let (active, replacements) = count_attorneys(&f.attorneys, &f.trust_corporations);
    if active > 1 {
        p.field(
            "/howAttorneysMakeDecisions",
            &mut d.how_attorneys_make_decisions,
            Opts::optional()
                .old(&f.how_attorneys_make_decisions)
                .validate(valid_pointer),
        );
    }
    let attorneys_are = |h: H, d: &AppointmentDecisions| {
        d.how_attorneys_make_decisions == h
            || (d.how_attorneys_make_decisions.is_unset() && f.how_attorneys_make_decisions == h)
    };
    let some_severally = attorneys_are(H::JointlyForSomeSeverallyForOthers, d);
    p.field(
        "/howAttorneysMakeDecisionsDetails",
        &mut d.how_attorneys_make_decisions_details,
        detail_opts(some_severally, &f.how_attorneys_make_decisions_details),
    );
    let jointly_and_severally = attorneys_are(H::JointlyAndSeverally, d);
    if replacements > 0 && jointly_and_severally {
        p.field(
            "/howReplacementAttorneysStepIn",
            &mut d.how_replacement_attorneys_step_in,
            Opts::optional().validate(valid_pointer),
        );
    }
    let another_way = d.how_replacement_attorneys_step_in == HowStepIn::AnotherWay;
    p.field(
        "/howReplacementAttorneysStepInDetails",
        &mut d.how_replacement_attorneys_step_in_details,
        if another_way {
            Opts::required().validate(not_empty_text)
        } else {
            Opts::optional().validate(empty_text)
        },
    );
    let all_cannot_act = d.how_replacement_attorneys_step_in == HowStepIn::AllCanNoLongerAct;
    if replacements > 1 && (all_cannot_act || !jointly_and_severally) {
        p.field(
            "/howReplacementAttorneysMakeDecisions",
            &mut d.how_replacement_attorneys_make_decisions,
            Opts::optional()
                .old(&f.how_replacement_attorneys_make_decisions)
                .validate(valid_pointer),
        );
    }
    let replacements_some_severally = d.how_replacement_attorneys_make_decisions
        == H::JointlyForSomeSeverallyForOthers
        || (d.how_replacement_attorneys_make_decisions.is_unset()
            && f.how_replacement_attorneys_make_decisions == H::JointlyForSomeSeverallyForOthers);
    p.field(
        "/howReplacementAttorneysMakeDecisionsDetails",
        &mut d.how_replacement_attorneys_make_decisions_details,
        detail_opts(
            replacements_some_severally,
            &f.how_replacement_attorneys_make_decisions_details,
        ),
    );
    if f.lpa_type == LpaType::PersonalWelfare {
        p.field(
            "/lifeSustainingTreatmentOption",
            &mut d.life_sustaining_treatment_option,
            Opts::optional()
                .old(&f.life_sustaining_treatment_option)
                .validate(valid_pointer),
        );
    }
    if f.lpa_type == LpaType::PropertyAndAffairs {
        p.field(
            "/whenTheLpaCanBeUsed",
            &mut d.when_the_lpa_can_be_used,
            Opts::optional()
                .old(&f.when_the_lpa_can_be_used)
                .validate(valid_pointer),
        );
    }
}
