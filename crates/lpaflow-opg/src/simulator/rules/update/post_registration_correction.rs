//! `POST_REGISTRATION_CORRECTION` (`lambda/update/post_registration_correction.go`), handled by the store
//! although the published enum lacks it. It checks no status.
//!
//! Its starting values differ from `CORRECTION`'s, and clients see it: the donor's date of birth, the
//! certificate provider's `signedAt`, an attorney's `cannotMakeJointDecisions` and `restrictionsAndConditions`
//! start from zero, so their `old` must be empty, and applying an update that omits them clears
//! `cannotMakeJointDecisions` of the corrected attorney and the restrictions and conditions. A date of birth
//! differing from the stored one is refused.

use chrono::{DateTime, Utc};
use lpaflow_lpa::lpa_store::{FieldError, Lpa};

use super::correction_parts::{
    AppointmentDecisions, AttorneyCorrection, CertificateProviderCorrection, DonorCorrection,
    parse_appointment_decisions, parse_attorney, parse_certificate_provider, parse_donor,
};
use super::{Applyable, Parsed, attorney_index, parsed, slice_index, value_of};
use crate::simulator::requests::SentChange;
use crate::simulator::rules::parse::{GoDate, Opts, Parser};
use crate::simulator::rules::{GoPanic, Refusal, refuse};

#[derive(Default)]
struct PostRegistrationCorrection {
    donor: DonorCorrection,
    attorney: AttorneyCorrection,
    certificate_provider: CertificateProviderCorrection,
    decisions: AppointmentDecisions,
    restrictions_and_conditions: String,
}

impl Applyable for PostRegistrationCorrection {
    fn apply(&self, lpa: &mut Lpa, _now: DateTime<Utc>) -> Vec<FieldError> {
        let c = &self.donor;
        let donor = &mut lpa.fields.donor;
        if !c.date_of_birth.is_zero() && c.date_of_birth != GoDate::from_wire(&donor.date_of_birth)
        {
            return refuse(
                "/donor/dateOfBirth",
                "The donor's date of birth cannot be changed once the LPA is registered",
            );
        }
        donor.first_names.clone_from(&c.first_names);
        donor.last_name.clone_from(&c.last_name);
        donor
            .other_names_known_by
            .clone_from(&c.other_names_known_by);
        donor.address = c.address.clone();
        donor.email.clone_from(&c.email);

        let c = &self.certificate_provider;
        let cp = &mut lpa.fields.certificate_provider;
        cp.first_names.clone_from(&c.first_names);
        cp.last_name.clone_from(&c.last_name);
        cp.address = c.address.clone();
        cp.email.clone_from(&c.email);
        cp.phone.clone_from(&c.phone);

        let c = &self.attorney;
        if let Some(attorney) = c.index.and_then(|i| lpa.fields.attorneys.get_mut(i)) {
            attorney.first_names.clone_from(&c.first_names);
            attorney.last_name.clone_from(&c.last_name);
            attorney.date_of_birth = c.date_of_birth.to_wire();
            attorney.address = c.address.clone();
            attorney.email.clone_from(&c.email);
            attorney.mobile.clone_from(&c.mobile);
            attorney.cannot_make_joint_decisions = c.cannot_make_joint_decisions;
        }
        self.decisions.apply(lpa);
        lpa.fields
            .restrictions_and_conditions
            .clone_from(&self.restrictions_and_conditions);
        Vec::new()
    }
}

fn starting_values(lpa: &Lpa) -> PostRegistrationCorrection {
    let f = &lpa.fields;
    let (d, cp) = (&f.donor, &f.certificate_provider);
    PostRegistrationCorrection {
        donor: DonorCorrection {
            first_names: d.first_names.clone(),
            last_name: d.last_name.clone(),
            other_names_known_by: d.other_names_known_by.clone(),
            address: d.address.clone(),
            email: d.email.clone(),
            ..DonorCorrection::default()
        },
        certificate_provider: CertificateProviderCorrection {
            first_names: cp.first_names.clone(),
            last_name: cp.last_name.clone(),
            address: cp.address.clone(),
            email: cp.email.clone(),
            phone: cp.phone.clone(),
            ..CertificateProviderCorrection::default()
        },
        decisions: AppointmentDecisions::starting_from(lpa),
        ..PostRegistrationCorrection::default()
    }
}

pub fn parse(changes: &[SentChange], lpa: &Lpa) -> Parsed {
    if changes.is_empty() {
        return Err(Refusal::Invalid(refuse("/changes", "no changes provided")));
    }
    let mut data = starting_values(lpa);
    let mut chosen: Option<i64> = None;
    let PostRegistrationCorrection {
        donor,
        attorney,
        certificate_provider,
        decisions,
        restrictions_and_conditions,
    } = &mut data;
    let mut parser = Parser::new(changes);
    parser
        .prefix("/donor", true, |p| parse_donor(p, donor))
        .prefix("/certificateProvider", true, |p| {
            parse_certificate_provider(p, certificate_provider)
        })
        .prefix("/attorneys", true, |p| {
            p.each_key(|key, p| {
                let found = attorney_index(lpa, key);
                let Some(i) = found.filter(|i| chosen.is_none_or(|c| c == *i)) else {
                    p.out_of_range();
                    return;
                };
                chosen = Some(i);
                let Some((index, stored)) = slice_index(i)
                    .ok()
                    .and_then(|i| lpa.fields.attorneys.get(i).map(|a| (i, a)))
                else {
                    return p.panic(GoPanic("index out of range"));
                };
                attorney.index = Some(index);
                stored.first_names.clone_into(&mut attorney.first_names);
                stored.last_name.clone_into(&mut attorney.last_name);
                attorney.date_of_birth = GoDate::from_wire(&stored.date_of_birth);
                attorney.address = stored.address.clone();
                stored.email.clone_into(&mut attorney.email);
                stored.mobile.clone_into(&mut attorney.mobile);
                if stored.signed_at.is_some() {
                    attorney.signed_at = value_of(&stored.signed_at);
                }
                parse_attorney(p, attorney, true);
            })
            .consumed();
        });
    parse_appointment_decisions(&mut parser, lpa, decisions);
    let errors = parser
        .field(
            "/restrictionsAndConditions",
            restrictions_and_conditions,
            Opts::optional(),
        )
        .consumed()
        .finish();
    parsed(data, errors)
}

#[cfg(test)]
#[path = "post_registration_correction_tests.rs"]
mod tests;
