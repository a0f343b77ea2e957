//! A development-only switch that takes the embedded OPG simulator down and brings it back, from the
//! operations page, so an operator (or a demonstration) sees an outage, the LPAs it holds up and the drain
//! afterwards without reaching for the simulator's admin URL. Only `serve --dev` with the embedded simulator
//! hands the console a switch (`Context::with_outage_switch`); only admins see and use it.

use super::layout;
use super::session::{CSRF_FIELD, CheckedForm, Session};
use crate::Context;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lpaflow_http::auth::Role;
use lpaflow_http::problem::Problem;
use maud::{Markup, html};

/// Something that can take the OPG the server talks to down and up again (the embedded simulator).
pub trait OutageSwitch: Send + Sync {
    /// Whether it is down now.
    fn is_down(&self) -> bool;
    /// Takes it down (`true`) or brings it back (`false`).
    fn set_down(&self, down: bool) -> Result<(), String>;
}

/// The switch's section of the operations page, for admins when there is a switch.
pub(super) fn section(state: &Context, session: &Session) -> Markup {
    let Some(switch) = state.outage_switch.as_ref() else {
        return html! {};
    };
    if session.caller.role != Role::Admin {
        return html! {};
    }
    let down = switch.is_down();
    html! {
        section.section aria-labelledby="dev-outage" {
            h2 id="dev-outage" { "Development: simulate an OPG outage" }
            p { "The embedded OPG simulator is "
                @if down { strong { "down" } ": every request to it fails as an outage would." } @else { "up." } }
            form method="post" action="/console/ops/dev-outage" {
                input type="hidden" name=(CSRF_FIELD) value=(session.csrf());
                input type="hidden" name="down" value=(if down { "no" } else { "yes" });
                @if down {
                    button.button type="submit" { "Bring the simulator back" }
                } @else {
                    button.button.button-warning type="submit" { "Take the simulator down" }
                }
            }
        }
    }
}

/// `POST /console/ops/dev-outage` (admin, development only): `down=yes|no`.
pub(super) async fn toggle(State(state): State<Context>, form: CheckedForm) -> Response {
    let session = &form.session;
    if let Err(f) = session
        .caller
        .require(&[Role::Admin], "simulate an OPG outage")
    {
        return layout::problem_page(Some(session), &f.into());
    }
    let Some(switch) = state.outage_switch.as_ref() else {
        let p = Problem::new(
            StatusCode::NOT_FOUND,
            "no_outage_switch",
            "there is no simulator to take down: this server is not in development mode with the embedded OPG simulator",
        );
        return layout::problem_page(Some(session), &p);
    };
    let down = form.get("down") == Some("yes");
    if let Err(e) = switch.set_down(down) {
        let p = Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "outage_switch_failed",
            format!("the simulator did not change: {e}"),
        );
        return layout::problem_page(Some(session), &p);
    }
    tracing::info!(down, actor = %session.caller.sub, "console: embedded OPG simulator switched");
    Redirect::to("/console/ops#dev-outage").into_response()
}
