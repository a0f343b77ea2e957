//! `CORRECTION` (`lambda/update/correction.go`): corrections before registration, every key optional.
//!
//! Kept as the store does it, quirks included: signing dates of an online LPA cannot change; the donor's
//! date of birth cannot change once the identity check is done; name and date-of-birth changes add notes;
//! the attorney decision keys follow [`super::correction_parts::parse_appointment_decisions`] (an omitted
//! decision detail text is cleared); a corrected authorised signatory or independent witness is rebuilt from
//! its names (its uid is not kept); an attorney's signing-date error names `/attorney/<i>/signedAt`.

use chrono::{DateTime, Utc};
use lpaflow_lpa::lpa_store::{
    Address, AuthorisedSignatory, Channel, FieldError, IndependentWitness, Lpa, LpaStatus,
    Signatory,
};

use super::correction_parts::{
    AppointmentDecisions, AttorneyCorrection, CertificateProviderCorrection, DonorCorrection,
    parse_address, parse_appointment_decisions, parse_attorney, parse_certificate_provider,
    parse_donor, signed_at_changed,
};
use super::{
    Applyable, Parsed, attorney_index, note, parsed, pointer_to, slice_index,
    trust_corporation_index, value_of,
};
use crate::simulator::requests::SentChange;
use crate::simulator::rules::parse::{GoDate, Opts, Parser};
use crate::simulator::rules::validate::{GoTime, not_empty_text, not_empty_time, time_is_zero};
use crate::simulator::rules::{GoPanic, Refusal, refuse};

#[derive(Default)]
struct TrustCorporationCorrection {
    index: Option<usize>,
    name: String,
    company_number: String,
    email: String,
    address: Address,
    mobile: String,
    signatories: Vec<Signatory>,
}

#[derive(Default)]
struct NamesCorrection {
    first_names: String,
    last_name: String,
    phone: String,
    address: Address,
}

#[derive(Default)]
struct Correction {
    donor: DonorCorrection,
    attorney: AttorneyCorrection,
    certificate_provider: CertificateProviderCorrection,
    decisions: AppointmentDecisions,
    trust_corporation: TrustCorporationCorrection,
    authorised_signatory: NamesCorrection,
    independent_witness: NamesCorrection,
    witnessed_by_certificate_provider_at: GoTime,
    witnessed_by_independent_witness_at: GoTime,
    signed_at: GoTime,
}

impl Correction {
    fn apply_donor(&self, lpa: &mut Lpa, now: DateTime<Utc>) -> Vec<FieldError> {
        let c = &self.donor;
        let donor = &mut lpa.fields.donor;
        let stored_dob = GoDate::from_wire(&donor.date_of_birth);
        if donor.identity_check.is_some()
            && !c.date_of_birth.is_zero()
            && c.date_of_birth != stored_dob
        {
            return refuse(
                "/donor/dateOfBirth",
                "The donor's date of birth cannot be changed once the identity check is complete",
            );
        }
        if donor.first_names != c.first_names || donor.last_name != c.last_name {
            let name = format!("{} {}", c.first_names, c.last_name);
            lpa.notes
                .push(note("DONOR_NAME_CHANGE_V1", now, &[("newName", name)]));
        }
        if stored_dob != c.date_of_birth {
            lpa.notes.push(note(
                "DONOR_DOB_CHANGE_V1",
                now,
                &[("newDob", c.date_of_birth.text())],
            ));
        }
        let donor = &mut lpa.fields.donor;
        donor.first_names.clone_from(&c.first_names);
        donor.last_name.clone_from(&c.last_name);
        donor
            .other_names_known_by
            .clone_from(&c.other_names_known_by);
        donor.date_of_birth = c.date_of_birth.to_wire();
        donor.address = c.address.clone();
        donor.email.clone_from(&c.email);
        Vec::new()
    }

    fn apply_certificate_provider(&self, lpa: &mut Lpa, now: DateTime<Utc>) -> Vec<FieldError> {
        let c = &self.certificate_provider;
        let online = lpa.fields.channel == Channel::Online;
        let cp = &mut lpa.fields.certificate_provider;
        if online && signed_at_changed(&c.signed_at, &cp.signed_at) {
            return refuse(
                "/certificateProvider/signedAt",
                "The Certificate Provider Signed on date cannot be changed for online LPAs",
            );
        }
        let renamed = cp.first_names != c.first_names || cp.last_name != c.last_name;
        cp.first_names.clone_from(&c.first_names);
        cp.last_name.clone_from(&c.last_name);
        cp.address = c.address.clone();
        cp.email.clone_from(&c.email);
        cp.phone.clone_from(&c.phone);
        cp.signed_at = (!time_is_zero(&c.signed_at))
            .then_some(c.signed_at)
            .flatten();
        if renamed {
            let name = format!("{} {}", c.first_names, c.last_name);
            lpa.notes.push(note(
                "CERTIFICATE_PROVIDER_NAME_CHANGE_V1",
                now,
                &[("newName", name)],
            ));
        }
        Vec::new()
    }

    fn apply_attorney(&self, lpa: &mut Lpa) -> Vec<FieldError> {
        let c = &self.attorney;
        let online = lpa.fields.channel == Channel::Online;
        let Some((i, attorney)) = c
            .index
            .and_then(|i| lpa.fields.attorneys.get_mut(i).map(|a| (i, a)))
        else {
            return Vec::new();
        };
        if online && signed_at_changed(&c.signed_at, &attorney.signed_at) {
            return refuse(
                &format!("/attorney/{i}/signedAt"),
                "The attorney signed at date cannot be changed for online LPA",
            );
        }
        attorney.first_names.clone_from(&c.first_names);
        attorney.last_name.clone_from(&c.last_name);
        attorney.date_of_birth = c.date_of_birth.to_wire();
        attorney.address = c.address.clone();
        attorney.email.clone_from(&c.email);
        attorney.mobile.clone_from(&c.mobile);
        attorney.signed_at = (!time_is_zero(&c.signed_at))
            .then_some(c.signed_at)
            .flatten();
        Vec::new()
    }

    fn apply_trust_corporation(&self, lpa: &mut Lpa) {
        let c = &self.trust_corporation;
        let Some(tc) = c
            .index
            .and_then(|i| lpa.fields.trust_corporations.get_mut(i))
        else {
            return;
        };
        tc.name.clone_from(&c.name);
        tc.company_number.clone_from(&c.company_number);
        tc.email.clone_from(&c.email);
        tc.address = c.address.clone();
        tc.mobile.clone_from(&c.mobile);
        for (stored, corrected) in tc.signatories.iter_mut().zip(&c.signatories) {
            stored.first_names.clone_from(&corrected.first_names);
            stored.last_name.clone_from(&corrected.last_name);
            stored
                .professional_title
                .clone_from(&corrected.professional_title);
        }
    }

    fn apply_authorised_signatory(&self, lpa: &mut Lpa) {
        let c = &self.authorised_signatory;
        if !c.first_names.is_empty() && !c.last_name.is_empty() {
            lpa.fields.authorised_signatory = Some(AuthorisedSignatory {
                uid: String::new(),
                first_names: c.first_names.clone(),
                last_name: c.last_name.clone(),
            });
        }
    }

    fn apply_independent_witness(&self, lpa: &mut Lpa) {
        let c = &self.independent_witness;
        if c.first_names.is_empty()
            && c.last_name.is_empty()
            && c.phone.is_empty()
            && c.address.is_zero()
        {
            return;
        }
        let witness = lpa
            .fields
            .independent_witness
            .get_or_insert_with(IndependentWitness::default);
        if !c.first_names.is_empty() && !c.last_name.is_empty() {
            witness.uid = String::new();
            witness.first_names.clone_from(&c.first_names);
            witness.last_name.clone_from(&c.last_name);
        }
        if !c.phone.is_empty() {
            witness.phone.clone_from(&c.phone);
        }
        if !c.address.is_zero() {
            witness.address = c.address.clone();
        }
    }

    fn apply_witnessed_by(&self, lpa: &mut Lpa) {
        if !time_is_zero(&self.witnessed_by_certificate_provider_at) {
            lpa.fields.witnessed_by_certificate_provider_at =
                self.witnessed_by_certificate_provider_at;
        }
        if !time_is_zero(&self.witnessed_by_independent_witness_at) {
            lpa.fields.witnessed_by_independent_witness_at =
                pointer_to(self.witnessed_by_independent_witness_at);
        }
    }
}

impl Applyable for Correction {
    fn apply(&self, lpa: &mut Lpa, now: DateTime<Utc>) -> Vec<FieldError> {
        let signed_at_moved = !time_is_zero(&self.signed_at)
            && self
                .signed_at
                .is_some_and(|new| Some(new) != lpa.fields.signed_at)
            && lpa.fields.channel == Channel::Online;
        if signed_at_moved {
            return refuse(
                "/signedAt",
                "LPA Signed on date cannot be changed for online LPAs",
            );
        }
        if lpa.status == LpaStatus::Registered {
            return refuse("/type", "Cannot make corrections to a Registered LPA");
        }
        for errors in [
            self.apply_donor(lpa, now),
            self.apply_certificate_provider(lpa, now),
            self.apply_attorney(lpa),
        ] {
            if !errors.is_empty() {
                return errors;
            }
        }
        self.apply_trust_corporation(lpa);
        self.decisions.apply(lpa);
        self.apply_authorised_signatory(lpa);
        self.apply_independent_witness(lpa);
        self.apply_witnessed_by(lpa);
        lpa.fields.signed_at = self.signed_at;
        Vec::new()
    }
}

/// The starting values: from the stored LPA where `validateCorrection` copies them.
fn starting_values(lpa: &Lpa) -> Correction {
    let f = &lpa.fields;
    let mut data = Correction {
        signed_at: f.signed_at,
        decisions: AppointmentDecisions::starting_from(lpa),
        witnessed_by_certificate_provider_at: f.witnessed_by_certificate_provider_at,
        witnessed_by_independent_witness_at: value_of(&f.witnessed_by_independent_witness_at),
        ..Correction::default()
    };
    let d = &f.donor;
    data.donor = DonorCorrection {
        first_names: d.first_names.clone(),
        last_name: d.last_name.clone(),
        other_names_known_by: d.other_names_known_by.clone(),
        date_of_birth: GoDate::from_wire(&d.date_of_birth),
        address: d.address.clone(),
        email: d.email.clone(),
    };
    let cp = &f.certificate_provider;
    data.certificate_provider = CertificateProviderCorrection {
        first_names: cp.first_names.clone(),
        last_name: cp.last_name.clone(),
        address: cp.address.clone(),
        email: cp.email.clone(),
        phone: cp.phone.clone(),
        signed_at: value_of(&cp.signed_at),
    };
    if let Some(s) = &f.authorised_signatory {
        data.authorised_signatory
            .first_names
            .clone_from(&s.first_names);
        data.authorised_signatory.last_name.clone_from(&s.last_name);
    }
    if let Some(w) = &f.independent_witness {
        data.independent_witness
            .first_names
            .clone_from(&w.first_names);
        data.independent_witness.last_name.clone_from(&w.last_name);
        data.independent_witness.address = w.address.clone();
    }
    data
}

pub fn parse(changes: &[SentChange], lpa: &Lpa) -> Parsed {
    if changes.is_empty() {
        return Err(Refusal::Invalid(refuse("/changes", "no changes provided")));
    }
    let mut data = starting_values(lpa);
    let mut parser = Parser::new(changes);
    let mut chosen_attorney: Option<i64> = None;
    let mut chosen_trust_corporation: Option<i64> = None;
    let Correction {
        donor,
        attorney,
        certificate_provider,
        decisions,
        trust_corporation,
        authorised_signatory,
        independent_witness,
        witnessed_by_certificate_provider_at,
        witnessed_by_independent_witness_at,
        signed_at,
    } = &mut data;
    parser
        .field(
            "/signedAt",
            signed_at,
            Opts::optional().validate(not_empty_time),
        )
        .prefix("/donor", true, |p| parse_donor(p, donor))
        .prefix("/certificateProvider", true, |p| {
            parse_certificate_provider(p, certificate_provider)
        })
        .prefix("/attorneys", true, |p| {
            p.each_key(|key, p| {
                let found = attorney_index(lpa, key);
                let Some(i) = found.filter(|i| chosen_attorney.is_none_or(|c| c == *i)) else {
                    p.out_of_range();
                    return;
                };
                chosen_attorney = Some(i);
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
                parse_attorney(p, attorney, false);
            })
            .consumed();
        })
        .prefix("/trustCorporations", true, |p| {
            p.each_key(|key, p| {
                let found = trust_corporation_index(lpa, key);
                let Some(i) = found.filter(|i| chosen_trust_corporation.is_none_or(|c| c == *i))
                else {
                    p.out_of_range();
                    return;
                };
                chosen_trust_corporation = Some(i);
                let Some((index, stored)) = slice_index(i)
                    .ok()
                    .and_then(|i| lpa.fields.trust_corporations.get(i).map(|t| (i, t)))
                else {
                    return p.panic(GoPanic("index out of range"));
                };
                let tc = &mut *trust_corporation;
                tc.index = Some(index);
                stored.name.clone_into(&mut tc.name);
                stored.company_number.clone_into(&mut tc.company_number);
                stored.email.clone_into(&mut tc.email);
                tc.address = stored.address.clone();
                stored.mobile.clone_into(&mut tc.mobile);
                tc.signatories = stored.signatories.clone();
                parse_trust_corporation(p, tc);
            })
            .consumed();
        })
        .prefix("/authorisedSignatory", true, |p| {
            p.field(
                "/firstNames",
                &mut authorised_signatory.first_names,
                Opts::optional().validate(not_empty_text),
            )
            .field(
                "/lastName",
                &mut authorised_signatory.last_name,
                Opts::optional().validate(not_empty_text),
            )
            .consumed();
        })
        .prefix("/independentWitness", true, |p| {
            let w = &mut *independent_witness;
            let address = &mut w.address;
            p.field(
                "/firstNames",
                &mut w.first_names,
                Opts::optional().validate(not_empty_text),
            )
            .field(
                "/lastName",
                &mut w.last_name,
                Opts::optional().validate(not_empty_text),
            )
            .field(
                "/phone",
                &mut w.phone,
                Opts::optional().validate(not_empty_text),
            )
            .prefix("/address", true, |p| parse_address(p, address))
            .consumed();
        })
        .field(
            "/witnessedByCertificateProviderAt",
            witnessed_by_certificate_provider_at,
            Opts::optional().validate(not_empty_time),
        )
        .field(
            "/witnessedByIndependentWitnessAt",
            witnessed_by_independent_witness_at,
            Opts::optional().validate(not_empty_time),
        );
    parse_appointment_decisions(&mut parser, lpa, decisions);
    let errors = parser.consumed().finish();
    parsed(data, errors)
}

/// `validateTrustCorporation` (correction.go): signatories 0 and 1 by index; Go indexes the stored
/// signatories, so a signatory the trust corporation does not have (or a negative index) panics.
fn parse_trust_corporation(p: &mut Parser, tc: &mut TrustCorporationCorrection) {
    let address = &mut tc.address;
    let signatories = &mut tc.signatories;
    p.field(
        "/name",
        &mut tc.name,
        Opts::optional().validate(not_empty_text),
    )
    .field(
        "/companyNumber",
        &mut tc.company_number,
        Opts::optional().validate(not_empty_text),
    )
    .field("/email", &mut tc.email, Opts::optional())
    .prefix("/address", true, |p| parse_address(p, address))
    .field("/mobile", &mut tc.mobile, Opts::optional())
    .prefix("/signatories", true, |p| {
        p.each(&[], |i, p| {
            if i > 1 {
                p.out_of_range();
                return;
            }
            let Some(s) = usize::try_from(i).ok().and_then(|i| signatories.get_mut(i)) else {
                return p.panic(GoPanic("index out of range"));
            };
            p.field(
                "/firstNames",
                &mut s.first_names,
                Opts::optional().validate(not_empty_text),
            )
            .field(
                "/lastName",
                &mut s.last_name,
                Opts::optional().validate(not_empty_text),
            )
            .field(
                "/professionalTitle",
                &mut s.professional_title,
                Opts::optional(),
            )
            .consumed();
        })
        .consumed();
    })
    .consumed();
}

#[cfg(test)]
#[path = "correction_tests.rs"]
mod tests;
