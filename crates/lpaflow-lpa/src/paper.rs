//! What a caseworker records for a paper application: the OPG's own caseworkers key in what arrives by post
//! (the not-related confirmation, fee evidence, signatures on the form), run the paper identity check
//! (`opg-paper-id`) and submit the application. The workflow file lets caseworkers fire those events; these
//! rules hold them to paper: a caseworker may act for a person only if that person uses paper, and may record
//! only the paper identity check. Online, the same events come from the service, which has the person's own
//! word through the online service; a caseworker recording them would be recording what nobody sent.

use crate::actions::Action;
use crate::application::{Application, Channel};
use crate::data::{IdentityMethod, LpaData};
use lpaflow_core::{ActionError, Context, PayloadProblem, Unmet};

/// The role OPG's caseworkers act in.
pub const CASEWORKER: &str = "caseworker";

/// Who a caseworker event is recorded for, known before its payload is read.
enum For {
    /// The donor (the application's channel).
    Donor,
    /// The certificate provider.
    CertificateProvider,
    /// An attorney or trust corporation named in the payload: checked when it is read.
    Named,
}

fn recorded_for(action: Action) -> Option<For> {
    match action {
        Action::Submit
        | Action::ConfirmNotRelated
        | Action::ProvideFeeEvidence
        | Action::ConfirmDonorIdentity
        | Action::SignAsDonor => Some(For::Donor),
        Action::ConfirmCertificateProviderIdentity | Action::SignAsCertificateProvider => {
            Some(For::CertificateProvider)
        }
        Action::SignAsAttorney | Action::SignAsTrustCorporation => Some(For::Named),
        _ => None,
    }
}

fn is_caseworker(ctx: &Context<'_>) -> bool {
    ctx.role.as_str() == CASEWORKER
}

fn not_on_paper(who: &str) -> Unmet {
    Unmet::new(
        "not_on_paper",
        format!(
            "{who} uses the online service: a caseworker records this only for someone who uses paper"
        ),
    )
}

/// What stops a caseworker firing `action` for this LPA, whatever the payload (empty for other roles and
/// other actions).
pub(crate) fn caseworker_preconditions(
    action: Action,
    ctx: &Context<'_>,
    data: &LpaData,
) -> Vec<Unmet> {
    if !is_caseworker(ctx) {
        return Vec::new();
    }
    let (app, _) = data.application(ctx.now, ctx.zone);
    match recorded_for(action) {
        Some(For::Donor) if !app.is_paper() => vec![Unmet::new(
            "not_on_paper",
            "this is an online application: a caseworker records this only for a paper application",
        )],
        Some(For::CertificateProvider)
            if !on_paper(app.certificate_provider.contact.channel.as_ref()) =>
        {
            vec![not_on_paper("the certificate provider")]
        }
        Some(For::Named) if !anyone_named_on_paper(&app) => {
            vec![not_on_paper("every attorney")]
        }
        Some(_) | None => Vec::new(),
    }
}

fn on_paper(channel: Option<&Channel>) -> bool {
    channel == Some(&Channel::Paper)
}

fn anyone_named_on_paper(app: &Application) -> bool {
    app.attorneys
        .iter()
        .any(|a| on_paper(a.contact.channel.as_ref()))
        || app
            .trust_corporations
            .iter()
            .any(|t| on_paper(t.contact.channel.as_ref()))
}

/// For a caseworker, refuses a signature of the attorney or trust corporation `uid` unless it uses paper.
pub(crate) fn caseworker_may_sign_for(
    ctx: &Context<'_>,
    app: &Application,
    uid: &str,
) -> Result<(), ActionError> {
    if !is_caseworker(ctx) {
        return Ok(());
    }
    let channel = app
        .attorney(uid)
        .map(|a| a.contact.channel.as_ref())
        .or_else(|| {
            app.trust_corporation(uid)
                .map(|t| t.contact.channel.as_ref())
        });
    match channel {
        Some(c) if on_paper(c) => Ok(()),
        Some(_) | None => Err(ActionError::Refused(vec![not_on_paper("this attorney")])),
    }
}

/// For a caseworker, refuses an identity check other than the OPG's paper one.
pub(crate) fn caseworker_identity_method(
    ctx: &Context<'_>,
    method: IdentityMethod,
) -> Result<(), ActionError> {
    if is_caseworker(ctx) && method != IdentityMethod::OpgPaperId {
        return Err(ActionError::Invalid(vec![PayloadProblem::new(
            "/type",
            "a caseworker records the OPG's paper identity check (opg-paper-id); a One Login check comes from the service",
        )]));
    }
    Ok(())
}
