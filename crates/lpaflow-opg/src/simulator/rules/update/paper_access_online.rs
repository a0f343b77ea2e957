//! Paper actors going online: `PAPER_CERTIFICATE_PROVIDER_ACCESS_ONLINE`
//! (`lambda/update/paper_certificate_provider_access_online.go`) and `PAPER_ATTORNEY_ACCESS_ONLINE`
//! (`paper_attorney_access_online.go`). One required, non-empty `email`, compared against an empty
//! starting value (so `old` must be empty or null whatever the store holds); the actor's channel must be
//! paper.

use chrono::{DateTime, Utc};
use lpaflow_lpa::lpa_store::{Channel, FieldError, Lpa};

use super::{Applyable, Parsed, attorney_index, parsed};
use crate::simulator::requests::SentChange;
use crate::simulator::rules::parse::{Opts, Parser};
use crate::simulator::rules::validate::not_empty_text;
use crate::simulator::rules::{GoPanic, refuse};

struct PaperCertificateProviderAccessOnline {
    email: String,
}

impl Applyable for PaperCertificateProviderAccessOnline {
    fn apply(&self, lpa: &mut Lpa, _now: DateTime<Utc>) -> Vec<FieldError> {
        let cp = &mut lpa.fields.certificate_provider;
        if cp.channel != Channel::Paper {
            return refuse("/channel", "lpa channel is not paper");
        }
        cp.email.clone_from(&self.email);
        Vec::new()
    }
}

#[derive(Default)]
struct PaperAttorneyAccessOnline {
    index: Option<i64>,
    email: String,
}

impl Applyable for PaperAttorneyAccessOnline {
    fn apply(&self, lpa: &mut Lpa, _now: DateTime<Utc>) -> Vec<FieldError> {
        let attorney = self
            .index
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| lpa.fields.attorneys.get_mut(i));
        let Some(attorney) = attorney else {
            return Vec::new();
        };
        if attorney.channel != Channel::Paper {
            return refuse("/channel", "lpa channel is not paper");
        }
        attorney.email.clone_from(&self.email);
        Vec::new()
    }

    /// The parser keeps a negative index (`FindAttorneyIndex`); `Apply` indexes with it.
    fn panics_on_apply(&self) -> Option<GoPanic> {
        self.index
            .is_some_and(|i| i < 0)
            .then_some(GoPanic("index out of range"))
    }
}

pub fn parse_certificate_provider(changes: &[SentChange]) -> Parsed {
    let mut data = PaperCertificateProviderAccessOnline {
        email: String::new(),
    };
    let errors = Parser::new(changes)
        .field(
            "/certificateProvider/email",
            &mut data.email,
            Opts::required().validate(not_empty_text),
        )
        .consumed()
        .finish();
    parsed(data, errors)
}

pub fn parse_attorney(changes: &[SentChange], lpa: &Lpa) -> Parsed {
    let mut data = PaperAttorneyAccessOnline::default();
    let errors = Parser::new(changes)
        .prefix("/attorneys", false, |p| {
            p.each_key(|key, p| {
                let found = attorney_index(lpa, key);
                let Some(i) = found.filter(|i| data.index.is_none_or(|c| c == *i)) else {
                    p.out_of_range();
                    return;
                };
                data.index = Some(i);
                p.field(
                    "/email",
                    &mut data.email,
                    Opts::required().validate(not_empty_text),
                )
                .consumed();
            })
            .consumed();
        })
        .consumed()
        .finish();
    parsed(data, errors)
}

#[cfg(test)]
mod tests {
    //! paper_attorney_access_online_test.go, paper_certificate_provider_access_online_test.go
    use super::super::test_support::*;
    use lpaflow_lpa::lpa_store::{Attorney, Channel, Lpa};
    use serde_json::{Value, json};

    const UID: &str = "9ac5cb7c-fc75-40c7-8e53-059f36dbbe3d";

    fn lpa(channel: Channel) -> Lpa {
        let mut lpa = Lpa::default();
        lpa.fields.certificate_provider.channel = channel.clone();
        lpa.fields.certificate_provider.email = "stored@example.com".into();
        lpa.fields.attorneys = vec![Attorney {
            uid: UID.into(),
            channel,
            ..Attorney::default()
        }];
        lpa
    }

    #[test]
    fn a_paper_certificate_provider_goes_online() {
        let changes = || {
            vec![ch(
                "/certificateProvider/email",
                json!(""),
                json!("c@example.com"),
            )]
        };
        let after = run(
            "PAPER_CERTIFICATE_PROVIDER_ACCESS_ONLINE",
            changes(),
            &lpa(Channel::Paper),
        )
        .expect("ok");
        assert_eq!(after.fields.certificate_provider.email, "c@example.com");
        assert_eq!(
            run(
                "PAPER_CERTIFICATE_PROVIDER_ACCESS_ONLINE",
                changes(),
                &lpa(Channel::Online)
            ),
            Err(vec![e("/channel", "lpa channel is not paper")])
        );
        // old is compared with "", not with the stored email
        assert_eq!(
            errors_of(parse(
                "PAPER_CERTIFICATE_PROVIDER_ACCESS_ONLINE",
                vec![ch(
                    "/certificateProvider/email",
                    json!("stored@example.com"),
                    json!("c@example.com")
                )],
                &lpa(Channel::Paper)
            )),
            vec![e("/changes/0/old", "does not match existing value")]
        );
        assert_eq!(
            errors_of(parse(
                "PAPER_CERTIFICATE_PROVIDER_ACCESS_ONLINE",
                vec![],
                &lpa(Channel::Paper)
            )),
            vec![e("/changes", "missing /certificateProvider/email")]
        );
    }

    #[test]
    fn a_paper_attorney_goes_online() {
        for key in ["0", UID] {
            let changes = vec![ch(
                &format!("/attorneys/{key}/email"),
                json!(""),
                json!("c@example.com"),
            )];
            let after = run(
                "PAPER_ATTORNEY_ACCESS_ONLINE",
                changes.clone(),
                &lpa(Channel::Paper),
            )
            .expect("ok");
            assert_eq!(after.fields.attorneys[0].email, "c@example.com");
            assert_eq!(
                run(
                    "PAPER_ATTORNEY_ACCESS_ONLINE",
                    changes,
                    &lpa(Channel::Online)
                ),
                Err(vec![e("/channel", "lpa channel is not paper")])
            );
        }
        assert_eq!(
            errors_of(parse(
                "PAPER_ATTORNEY_ACCESS_ONLINE",
                vec![ch(
                    "/attorneys/1/email",
                    Value::Null,
                    json!("c@example.com")
                )],
                &lpa(Channel::Paper)
            )),
            vec![e("/changes/0/key", "index out of range")]
        );
        // "unexpected field"
        assert_eq!(
            errors_of(parse(
                "PAPER_ATTORNEY_ACCESS_ONLINE",
                vec![ch(
                    &format!("/attorneys/{UID}/name"),
                    Value::Null,
                    json!("name")
                )],
                &lpa(Channel::Paper)
            )),
            vec![
                e("/changes", &format!("missing /attorneys/{UID}/email")),
                e("/changes/0", "unexpected change provided")
            ]
        );
        assert_eq!(
            errors_of(parse(
                "PAPER_ATTORNEY_ACCESS_ONLINE",
                vec![ch("/attorneys/0/email", Value::Null, json!(""))],
                &lpa(Channel::Paper)
            )),
            vec![e("/changes/0/new", "field is required")]
        );
    }
}
