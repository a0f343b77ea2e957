//! Signing in and out. In production a person pastes the JWT they were issued (`lpaflow token issue`): it is
//! verified, and a session the server keeps starts for its subject and role, ending at the token's expiry at the
//! latest. With `serve --dev` the page also offers one button per role, which starts an hour's session as
//! `dev-<role>`. The role decides what the console shows; signing out ends the session on the server.

use super::layout::{self, Nav, error_summary, page};
use super::session::{
    self, CSRF_FIELD, CheckedForm, SESSION_COOKIE, SIGNIN_COOKIE, csrf_matches, csrf_token, field,
    set_cookie,
};
use crate::Context;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, TimeDelta, Utc};
use lpaflow_http::auth::{Caller, Role};
use maud::html;
use serde::Deserialize;

/// How long a development sign-in lasts at most.
const DEV_SESSION_SECONDS: i64 = 3600;

/// Messages the sign-in page can show.
#[derive(Debug, Default, Deserialize)]
pub(super) struct SignInQuery {
    ended: Option<String>,
    signed_out: Option<String>,
}

fn sign_in_page(
    state: &Context,
    headers: &HeaderMap,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let nonce = session::nonce();
    let csrf = csrf_token(&nonce);
    let dev = state.dev;
    let body = html! {
        @if let Some(e) = error {
            (error_summary("There is a problem", &[(e.to_owned(), Some("token".to_owned()))]))
        }
        h1 { "Sign in" }
        @if let Some(n) = notice {
            div.notice role="status" { p { (n) } }
        }
        @if dev {
            section aria-labelledby="dev-heading" {
                h2 #dev-heading { "Development sign-in" }
                p { "This server runs in development mode. Choose a role: you get a development token for one hour." }
                form method="post" action="/console/sign-in/dev" {
                    input type="hidden" name=(CSRF_FIELD) value=(csrf);
                    div.button-group {
                        @for role in Role::ALL {
                            button.button type="submit" name="role" value=(role) { "Sign in as " (role) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="token-heading" {
            h2 #token-heading { "Sign in with your access token" }
            form method="post" action="/console/sign-in" {
                input type="hidden" name=(CSRF_FIELD) value=(csrf);
                div class=(if error.is_some() { "form-group form-group-error" } else { "form-group" }) {
                    label.label for="token" { "Access token" }
                    div.hint #token-hint {
                        "Paste the token (JWT) you were given. It is kept in a cookie that only this console can read."
                    }
                    @if let Some(e) = error {
                        p.error-message #token-error { span.visually-hidden { "Error: " } (e) }
                    }
                    textarea.textarea #token name="token" rows="4" autocomplete="off" spellcheck="false"
                        aria-describedby=(if error.is_some() { "token-hint token-error" } else { "token-hint" }) {}
                }
                button.button type="submit" { "Sign in" }
            }
        }
    };
    let mut response = layout::respond(status, page("Sign in", None, Nav::None, body));
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(headers, SIGNIN_COOKIE, &nonce, Some(3600)),
    );
    response
}

/// `GET /console/sign-in`.
pub(super) async fn show(
    State(state): State<Context>,
    Query(q): Query<SignInQuery>,
    headers: HeaderMap,
) -> Response {
    let notice = if q.ended.is_some() {
        Some("Your session has ended. Sign in again.")
    } else if q.signed_out.is_some() {
        Some("You have signed out.")
    } else {
        None
    };
    sign_in_page(&state, &headers, StatusCode::OK, notice, None)
}

/// Reads the sign-in form, refusing it unless its token matches the nonce cookie.
async fn sign_in_form(
    state: &Context,
    req: Request,
) -> Result<(HeaderMap, Vec<(String, String)>), Response> {
    let headers = req.headers().clone();
    let fields = session::read_form(req, state, None).await?;
    let nonce = session::cookie(&headers, SIGNIN_COOKIE).unwrap_or("");
    if nonce.is_empty() || !csrf_matches(nonce, field(&fields, CSRF_FIELD)) {
        return Err(session::csrf_refused(None));
    }
    Ok((headers, fields))
}

/// Starts a session for `caller` (whose token is valid until `until`) and sends the browser to its first page.
async fn signed_in(
    state: &Context,
    headers: &HeaderMap,
    caller: &Caller,
    until: DateTime<Utc>,
) -> Response {
    let secret = match state.lpas.start_session(caller, until).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "console: a session could not be started");
            return layout::message_page(
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                "Sorry, the service is unavailable",
                "You could not be signed in because the database did not answer. Try again in a moment.",
            );
        }
    };
    let mut response = Redirect::to("/console").into_response();
    let h = response.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(headers, SESSION_COOKIE, &secret, None),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(headers, SIGNIN_COOKIE, "", Some(0)),
    );
    response
}

/// `POST /console/sign-in`: a pasted token.
pub(super) async fn with_token(State(state): State<Context>, req: Request) -> Response {
    let (headers, fields) = match sign_in_form(&state, req).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let token = field(&fields, "token").unwrap_or("").trim();
    if token.is_empty() {
        return sign_in_page(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some("Enter your access token"),
        );
    }
    match state.auth.verify_until(token) {
        Ok((caller, until)) => {
            tracing::info!(actor = %caller.sub, role = %caller.role, "console: signed in with a token");
            signed_in(&state, &headers, &caller, until).await
        }
        Err(e) => sign_in_page(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            None,
            Some(&layout::sentence(&e.to_string())),
        ),
    }
}

/// `POST /console/sign-in/dev` (`serve --dev` only): a development token for the chosen role.
pub(super) async fn dev(State(state): State<Context>, req: Request) -> Response {
    if !state.dev {
        return layout::message_page(
            StatusCode::NOT_FOUND,
            None,
            "Development sign-in is off",
            "This server is not in development mode. Sign in with your access token.",
        );
    }
    let (headers, fields) = match sign_in_form(&state, req).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(role) = field(&fields, "role").and_then(|r| r.parse::<Role>().ok()) else {
        return sign_in_page(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some("Choose a role"),
        );
    };
    let caller = Caller {
        sub: format!("dev-{role}"),
        role,
    };
    let until = Utc::now() + TimeDelta::seconds(DEV_SESSION_SECONDS);
    tracing::info!(%role, "console: development sign-in");
    signed_in(&state, &headers, &caller, until).await
}

/// `POST /console/sign-out`: ends the session on the server, then forgets the cookie.
pub(super) async fn sign_out(
    State(state): State<Context>,
    headers: HeaderMap,
    form: CheckedForm,
) -> Response {
    if let Err(e) = state.lpas.end_session(form.session.secret()).await {
        tracing::error!(error = %e, "console: a session could not be ended");
        return layout::message_page(
            StatusCode::SERVICE_UNAVAILABLE,
            Some(&form.session),
            "Sorry, the service is unavailable",
            "You were not signed out because the database did not answer. Try again in a moment.",
        );
    }
    tracing::info!(actor = %form.session.caller.sub, "console: signed out");
    let mut response = Redirect::to("/console/sign-in?signed_out=1").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&headers, SESSION_COOKIE, "", Some(0)),
    );
    response
}
