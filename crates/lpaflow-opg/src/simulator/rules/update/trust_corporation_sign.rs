//! `TRUST_CORPORATION_SIGN` (`lambda/update/trust_corporation_sign.go`): one trust corporation, by index or
//! uid, signs through one or two signatories.
//!
//! What `old` must be differs by field, as in Go: `mobile`, `contactLanguagePreference` and the signatories
//! start from zero (so `old` must be empty even if the store holds a value), while `email`, `channel` and
//! `companyNumber` start from the stored trust corporation. `mobile`, `contactLanguagePreference`,
//! `companyNumber` and signatory 0 (all four of its fields) are required.

use chrono::{DateTime, Utc};
use lpaflow_lpa::lpa_store::{Channel, FieldError, Lang, Lpa, Signatory};

use super::{Applyable, Parsed, parsed, slice_index, trust_corporation_index};
use crate::simulator::requests::SentChange;
use crate::simulator::rules::parse::{Opts, Parser};
use crate::simulator::rules::validate::{GoTime, not_empty_text, valid_pointer};
use crate::simulator::rules::{GoPanic, refuse};

#[derive(Default, Clone)]
struct SignatoryValue {
    first_names: String,
    last_name: String,
    professional_title: String,
    signed_at: GoTime,
}

impl SignatoryValue {
    fn to_wire(&self) -> Signatory {
        Signatory {
            first_names: self.first_names.clone(),
            last_name: self.last_name.clone(),
            professional_title: self.professional_title.clone(),
            signed_at: self.signed_at,
        }
    }
}

#[derive(Default)]
struct TrustCorporationSign {
    channel: Channel,
    contact_language_preference: Lang,
    email: String,
    index: Option<usize>,
    mobile: String,
    company_number: String,
    signatories: [SignatoryValue; 2],
}

impl Applyable for TrustCorporationSign {
    fn apply(&self, lpa: &mut Lpa, _now: DateTime<Utc>) -> Vec<FieldError> {
        let Some(tc) = self
            .index
            .and_then(|i| lpa.fields.trust_corporations.get_mut(i))
        else {
            return Vec::new();
        };
        if tc
            .signatories
            .first()
            .is_some_and(|s| s.signed_at.is_some())
        {
            return refuse("/type", "trust corporation cannot sign again");
        }
        tc.mobile.clone_from(&self.mobile);
        tc.contact_language_preference = self.contact_language_preference.clone();
        tc.channel = self.channel.clone();
        tc.email.clone_from(&self.email);
        tc.company_number.clone_from(&self.company_number);
        let second = self.signatories[1].to_wire();
        tc.signatories = if second.is_zero() {
            vec![self.signatories[0].to_wire()]
        } else {
            vec![self.signatories[0].to_wire(), second]
        };
        Vec::new()
    }
}

pub fn parse(changes: &[SentChange], lpa: &Lpa) -> Parsed {
    let mut data = TrustCorporationSign::default();
    let mut chosen: Option<i64> = None;
    let errors = Parser::new(changes)
        .prefix("/trustCorporations", false, |p| {
            p.each_key(|key, each| {
                let found = trust_corporation_index(lpa, key);
                let Some(i) = found.filter(|i| chosen.is_none_or(|c| c == *i)) else {
                    each.out_of_range();
                    return;
                };
                chosen = Some(i);
                let tc = match slice_index(i).map(|i| (i, lpa.fields.trust_corporations.get(i))) {
                    Ok((i, Some(tc))) => {
                        data.index = Some(i);
                        tc
                    }
                    _ => return each.panic(GoPanic("index out of range")),
                };
                tc.email.clone_into(&mut data.email);
                data.channel = tc.channel.clone();
                tc.company_number.clone_into(&mut data.company_number);
                let signatories = &mut data.signatories;
                each.field("/mobile", &mut data.mobile, Opts::required())
                    .field(
                        "/contactLanguagePreference",
                        &mut data.contact_language_preference,
                        Opts::required().validate(valid_pointer),
                    )
                    .field(
                        "/companyNumber",
                        &mut data.company_number,
                        Opts::required().validate(not_empty_text),
                    )
                    .field("/email", &mut data.email, Opts::optional())
                    .field(
                        "/channel",
                        &mut data.channel,
                        Opts::optional().validate(valid_pointer),
                    )
                    .prefix("/signatories", false, |prefix| {
                        prefix
                            .each(&[0], |i, each| {
                                if i > 1 {
                                    each.out_of_range();
                                    return;
                                }
                                let Some(s) =
                                    usize::try_from(i).ok().and_then(|i| signatories.get_mut(i))
                                else {
                                    return each.panic(GoPanic("index out of range"));
                                };
                                each.field("/firstNames", &mut s.first_names, Opts::required())
                                    .field("/lastName", &mut s.last_name, Opts::required())
                                    .field(
                                        "/professionalTitle",
                                        &mut s.professional_title,
                                        Opts::required(),
                                    )
                                    .field("/signedAt", &mut s.signed_at, Opts::required())
                                    .consumed();
                            })
                            .consumed();
                    })
                    .consumed();
            })
            .consumed();
        })
        .consumed()
        .finish();
    parsed(data, errors)
}

#[cfg(test)]
#[path = "trust_corporation_sign_tests.rs"]
mod tests;
