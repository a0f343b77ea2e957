//! The page shell every console page shares (skip link, header with the signed-in role's navigation, sign-out),
//! the message page for errors, and the small formatting helpers: plain-words names, times in UTC, durations,
//! and the error summary that links to each field in trouble.

use super::session::{CSRF_FIELD, Session};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use lpaflow_core::BusinessZone;
use lpaflow_http::auth::Role;
use lpaflow_http::problem::Problem;
use maud::{DOCTYPE, Markup, html};

/// The sections of the header navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Nav {
    Queue,
    Lpas,
    Audit,
    Reports,
    Ops,
    None,
}

fn nav_items(role: Role) -> Vec<(Nav, &'static str, &'static str)> {
    let mut items = Vec::new();
    if role != Role::Service {
        items.push((Nav::Queue, "/console/queue", "Queue"));
    }
    items.push((Nav::Lpas, "/console/lpas", "Find an LPA"));
    if matches!(role, Role::Auditor | Role::Admin | Role::Caseworker) {
        items.push((Nav::Audit, "/console/audit", "Audit"));
        items.push((Nav::Reports, "/console/reports/fees", "Fee report"));
    }
    items.push((Nav::Ops, "/console/ops", "Operations"));
    items
}

/// A whole page.
pub(super) fn page(title: &str, session: Option<&Session>, current: Nav, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false}"#;
                title { (title) " - lpaflow console" }
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/htmx.min.js" defer {}
            }
            body {
                a.skip-link href="#main" { "Skip to main content" }
                header.header {
                    div.header-inner {
                        a.service-name href="/console" { "lpaflow console" }
                        @if let Some(s) = session {
                            nav aria-label="Console sections" {
                                ul.nav {
                                    @for (nav, href, label) in nav_items(s.caller.role) {
                                        li {
                                            @if nav == current {
                                                a href=(href) aria-current="page" { (label) }
                                            } @else {
                                                a href=(href) { (label) }
                                            }
                                        }
                                    }
                                }
                            }
                            div.signed-in {
                                span { "Signed in as " strong { (s.caller.sub) } " (" (s.caller.role) ")" }
                                form method="post" action="/console/sign-out" {
                                    input type="hidden" name=(CSRF_FIELD) value=(s.csrf());
                                    button.button.button-secondary.button-small type="submit" { "Sign out" }
                                }
                            }
                        }
                    }
                }
                main id="main" class="main" tabindex="-1" { (main) }
                footer.footer {
                    p { "lpaflow console. The API's role checks decide what each role may do; this console only hides what your role cannot do." }
                }
            }
        }
    }
}

/// A page with `status`.
pub(super) fn respond(status: StatusCode, markup: Markup) -> Response {
    (status, markup).into_response()
}

/// A page that only says something (errors, refusals).
pub(super) fn message_page(
    status: StatusCode,
    session: Option<&Session>,
    title: &str,
    text: &str,
) -> Response {
    respond(
        status,
        page(
            title,
            session,
            Nav::None,
            html! {
                h1 { (title) }
                p { (text) }
                p { a href="/console" { "Go to the console's start page" } }
            },
        ),
    )
}

/// The page for a problem the API would have answered with `p`.
pub(super) fn problem_page(session: Option<&Session>, p: &Problem) -> Response {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let title = match status {
        StatusCode::FORBIDDEN => "Your role cannot do this",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::UNAUTHORIZED => "You need to sign in again",
        s if s.is_server_error() => "Sorry, there is a problem with the service",
        _ => "This could not be done",
    };
    respond(
        status,
        page(
            title,
            session,
            Nav::None,
            html! {
                h1 { (title) }
                p { (sentence(&p.detail)) }
                @if !p.errors.is_empty() {
                    ul.list { @for e in &p.errors { li { (sentence(&e.detail)) } } }
                }
                @if let Some(id) = &p.request_id {
                    p { "If it keeps happening, quote this reference: " code { (id) } }
                }
                p { a href="/console" { "Go to the console's start page" } }
            },
        ),
    )
}

/// An error summary (GOV.UK pattern): a title and every problem, each linking to its field when it has one.
pub(super) fn error_summary(title: &str, items: &[(String, Option<String>)]) -> Markup {
    html! {
        div class="error-summary" id="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" autofocus {
            h2 id="error-summary-title" { (title) }
            ul.list {
                @for (text, anchor) in items {
                    li {
                        @if let Some(a) = anchor { a href={ "#" (a) } { (text) } } @else { (text) }
                    }
                }
            }
        }
    }
}

/// A success banner.
pub(super) fn banner(title: &str, text: &str) -> Markup {
    html! {
        div class="banner-success" id="result" role="status" {
            h2 { (title) }
            p { (text) }
        }
    }
}

/// A name in plain words: `discount_eligibility` -> `discount eligibility`, `change_status:expired` ->
/// `change status: expired`.
pub(super) fn words(name: &str) -> String {
    name.replace(':', ": ").replace(['_', '.'], " ")
}

/// An LPA's OPG sync status in words. An LPA that has never enqueued a step is "not sent yet" (nothing of it is
/// in the OPG database), not "synced".
pub(super) fn sync_words(stored: &lpaflow_app::StoredInstance) -> String {
    if stored.steps_enqueued == 0 {
        "not sent yet".to_owned()
    } else {
        words(&stored.sync_status.to_string())
    }
}

/// An OPG step in words: `opg.create` -> `send the LPA to the OPG database`, `opg.update:DONOR_WITHDRAW_LPA`
/// -> `tell the OPG database: the donor withdraws the LPA`. A step this list does not know is put in plain
/// words from its name.
pub(super) fn step_words(step: &str) -> String {
    if step == "opg.create" {
        return "send the LPA to the OPG database".to_owned();
    }
    let Some(update) = step.strip_prefix("opg.update:") else {
        return words(step);
    };
    let what = match update {
        "CERTIFICATE_PROVIDER_SIGN" => "the certificate provider signed",
        "ATTORNEY_SIGN" => "an attorney signed",
        "TRUST_CORPORATION_SIGN" => "a trust corporation signed",
        "DONOR_CONFIRM_IDENTITY" => "the donor's identity was checked",
        "CERTIFICATE_PROVIDER_CONFIRM_IDENTITY" => {
            "the certificate provider's identity was checked"
        }
        "CERTIFICATE_PROVIDER_OPT_OUT" => "the certificate provider opted out",
        "ATTORNEY_OPT_OUT" => "an attorney opted out",
        "TRUST_CORPORATION_OPT_OUT" => "a trust corporation opted out",
        "CHANGE_ATTORNEYS" => "the attorneys changed (a replacement steps in)",
        "DONOR_WITHDRAW_LPA" => "the donor withdraws the LPA",
        "STATUTORY_WAITING_PERIOD" => "the statutory waiting period started",
        "REGISTER" => "register the LPA",
        "OPG_STATUS_CHANGE" => "a caseworker changed the LPA's status",
        other => {
            return format!(
                "tell the OPG database: {}",
                other.to_lowercase().replace('_', " ")
            );
        }
    };
    format!("tell the OPG database: {what}")
}

/// A fee type in words: `HalfFee` -> `half fee (remission)`.
pub(super) fn fee_type_words(fee_type: lpaflow_lpa::application::FeeType) -> &'static str {
    use lpaflow_lpa::application::FeeType;
    match fee_type {
        FeeType::FullFee => "full fee",
        FeeType::HalfFee => "half fee (remission)",
        FeeType::NoFee => "no fee (exemption)",
        FeeType::HardshipFee => "hardship (waiver)",
        FeeType::RepeatApplicationFee => "repeat application (half of what was paid before)",
    }
}

/// A name as a button or heading: first letter capital.
pub(super) fn title_words(name: &str) -> String {
    let w = words(name);
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => w,
    }
}

/// Capitalises a sentence from the API and ends it with a full stop.
pub(super) fn sentence(text: &str) -> String {
    let mut s = title_case_first(text.trim());
    if !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    s
}

fn title_case_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

tokio::task_local! {
    /// The zone pages show times in, for the request being rendered ([`in_zone`]).
    pub(super) static DISPLAY_ZONE: BusinessZone;
}

/// Renders the request in `zone`: every time on its pages is local time there.
pub(super) async fn in_zone(zone: BusinessZone, req: Request, next: Next) -> Response {
    DISPLAY_ZONE.scope(zone, next.run(req)).await
}

/// The zone of the page being rendered (the rules' business zone; UTC outside a request).
pub(super) fn zone() -> BusinessZone {
    DISPLAY_ZONE.try_with(|z| *z).unwrap_or(BusinessZone::UTC)
}

/// `25 Nov 2026 14:32 GMT`, `1 Jul 2026 09:00 BST`: local time with its abbreviation.
pub(super) fn time(t: &DateTime<Utc>) -> String {
    let zone = zone();
    format!(
        "{} {}",
        zone.local(*t).format("%-d %b %Y %H:%M"),
        zone.abbreviation(*t)
    )
}

/// A machine-readable `<time>` element (RFC 3339 with the local offset).
pub(super) fn time_el(t: &DateTime<Utc>) -> Markup {
    html! { time datetime=(zone().rfc3339(*t)) { (time(t)) } }
}

/// `3 days 4 hours`, `12 minutes`, `less than a minute`.
pub(super) fn duration(d: TimeDelta) -> String {
    let secs = d.num_seconds().max(0);
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    let unit = |n: i64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    if days > 0 {
        if hours > 0 {
            format!("{} {}", unit(days, "day"), unit(hours, "hour"))
        } else {
            unit(days, "day")
        }
    } else if hours > 0 {
        format!("{} {}", unit(hours, "hour"), unit(minutes, "minute"))
    } else if minutes > 0 {
        unit(minutes, "minute")
    } else {
        "less than a minute".to_owned()
    }
}

/// `value` percent-encoded for a query string (everything but unreserved characters).
pub(super) fn query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Pence as pounds: `£92.00`, `-£46.00`.
pub(super) fn pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let p = pence.unsigned_abs();
    format!("{sign}£{}.{:02}", p / 100, p % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_read_as_what_they_tell_the_opg_database() {
        assert_eq!(
            super::step_words("opg.update:DONOR_WITHDRAW_LPA"),
            "tell the OPG database: the donor withdraws the LPA"
        );
        assert_eq!(
            super::step_words("opg.update:SOMETHING_NEW"),
            "tell the OPG database: something new"
        );
        assert_eq!(super::step_words("mail.reminder"), "mail reminder");
    }

    #[test]
    fn names_durations_and_money_read_as_plain_words() {
        assert_eq!(
            words("statutory_waiting_period"),
            "statutory waiting period"
        );
        assert_eq!(
            title_words("change_status:expired"),
            "Change status: expired"
        );
        assert_eq!(
            sentence("the role service may not x"),
            "The role service may not x."
        );
        assert_eq!(duration(TimeDelta::seconds(30)), "less than a minute");
        assert_eq!(duration(TimeDelta::minutes(61)), "1 hour 1 minute");
        assert_eq!(duration(TimeDelta::hours(50)), "2 days 2 hours");
        assert_eq!(duration(TimeDelta::days(3)), "3 days");
        assert_eq!(pounds(9200), "£92.00");
        assert_eq!(pounds(-4605), "-£46.05");
        assert_eq!(query_value("a b&c=d"), "a%20b%26c%3Dd");
    }
}
