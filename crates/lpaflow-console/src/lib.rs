//! lpaflow-console: the web console under `/console`, server-rendered HTML for caseworkers (queues, LPA pages with their
//! decisions), auditors (history with the hash-chain check, verify all), the fee report (caseworkers, auditors,
//! admins) and operators (OPG status, backlog, maintenance windows). Every page works without JavaScript; the vendored htmx only refreshes live counts and
//! the verify-all progress.
//!
//! Guarantees:
//! - The console is an adapter over `lpaflow-app`, like the API and never through it: every page calls the
//!   `LpaService` with the signed-in caller's `sub` and role, so the role lists of the service and the
//!   interpreter stay the authority (the console only hides what a role cannot do). It holds no SQL and
//!   imports neither the engine nor the store; problems, extractors and tokens come from `lpaflow-http`, as
//!   the API's do.
//! - Sessions are kept by the server (`lpaflow_app::sessions`); the HttpOnly, SameSite=Strict cookie scoped to
//!   `/console` (Secure unless the host is localhost) holds only a random secret. Signing out, an admin's
//!   revocation (`/console/sessions`), a sign-in under another role, the idle time and the token's expiry end
//!   a session at once. Every POST carries a CSRF token derived from the secret and is refused (403) without it
//!   ([`session`]).
//! - Names, dates of birth and addresses are rendered only on the LPA page, only for caseworkers, and never
//!   logged.
//! - Every response carries a strict Content-Security-Policy (scripts and styles from `/console/assets` only)
//!   and `Cache-Control: no-store` (pages may hold personal data).

mod audit;
mod audit_reveal;
mod confirm;
mod dev_outage;
mod fee_chart;
mod find;
mod form_payload;
mod forms;
mod graph;
mod layout;
mod lpa;
mod lpa_progress;
mod lpa_records;
mod lpa_sections;
mod ops;
mod ops_outages;
mod queue;
mod queue_rows;
mod reports;
mod session;
mod sessions;
mod signin;
mod verify;

use axum::Router;
use axum::extract::Extension;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::map_response;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use lpaflow_app::LpaService;
use lpaflow_http::auth::Authenticator;
use session::Session;
use std::sync::Arc;

pub use dev_outage::OutageSwitch;

const CSS: &str = include_str!("../assets/console.css");
const HTMX: &str = include_str!("../assets/vendor/htmx-2.0.11.min.js");

/// What the console keeps between requests: verify-all runs. Sessions live in
/// cookies, so any number of processes can serve the console.
#[derive(Debug, Default)]
pub(crate) struct ConsoleState {
    pub(crate) jobs: verify::Jobs,
}

/// What the console's handlers share. Cheap to clone.
#[derive(Clone)]
pub struct Context {
    pub(crate) lpas: LpaService,
    pub(crate) auth: Arc<Authenticator>,
    /// Development mode (`serve --dev`): the sign-in page offers development tokens.
    pub(crate) dev: bool,
    /// The embedded simulator's outage switch, in development mode only.
    pub(crate) outage_switch: Option<Arc<dyn OutageSwitch>>,
}

impl Context {
    /// The console over `lpas`, signing callers in with tokens `auth` verifies.
    pub fn new(lpas: LpaService, auth: Authenticator, dev: bool) -> Self {
        Self {
            lpas,
            auth: Arc::new(auth),
            dev,
            outage_switch: None,
        }
    }

    /// With a switch that takes the embedded OPG simulator down and up, shown to admins on the operations
    /// page. Development mode only: ignored otherwise.
    pub fn with_outage_switch(mut self, switch: Arc<dyn OutageSwitch>) -> Self {
        if self.dev {
            self.outage_switch = Some(switch);
        }
        self
    }
}

/// The console's routes under `/console`, showing and reading times in the rules' zone (UK time).
pub fn router(context: Context) -> Router {
    let zone = context.lpas.zone();
    let console = Arc::new(ConsoleState::default());
    let pages = Router::new()
        .route("/", get(home))
        .route("/sign-in", get(signin::show).post(signin::with_token))
        .route("/sign-in/dev", post(signin::dev))
        .route("/sign-out", post(signin::sign_out))
        .route("/queue", get(queue::show))
        .route("/queue/next", post(queue::take_next))
        .route("/lpas", get(find::find))
        .route("/lpas/{uid}", get(lpa::show))
        .route("/lpas/{uid}/events", post(lpa::fire))
        .route("/lpas/{uid}/sync/{id}/{decision}", post(lpa::decide_step))
        .route("/audit", get(audit::show))
        .route("/audit/{uid}/history.json", get(audit::download))
        .route("/audit/{uid}/reveal", post(audit_reveal::reveal))
        .route("/audit/verify", post(verify::start))
        .route("/audit/verify/{job}", get(verify::job))
        .route("/reports/fees", get(reports::show))
        .route("/ops", get(ops::show))
        .route("/ops/live", get(ops::live))
        .route("/ops/maintenance", post(ops::add_window))
        .route("/ops/dev-outage", post(dev_outage::toggle))
        .route("/ops/maintenance/{id}/remove", post(ops::remove_window))
        .route("/sessions", get(sessions::show))
        .route("/sessions/{id}/revoke", post(sessions::revoke))
        .route("/assets/console.css", get(|| asset(CSS, "text/css")))
        .route(
            "/assets/htmx.min.js",
            get(|| asset(HTMX, "text/javascript")),
        )
        .fallback(not_found)
        .layer(Extension(console))
        .layer(map_response(security_headers))
        .layer(axum::middleware::from_fn(move |req, next| {
            layout::in_zone(zone, req, next)
        }))
        .with_state(context);
    Router::new().nest("/console", pages)
}

async fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// `/console`: the signed-in role's first page.
async fn home(session: Option<Session>) -> Redirect {
    use lpaflow_http::auth::Role;
    match session.map(|s| s.caller.role) {
        None => Redirect::to("/console/sign-in"),
        Some(Role::Caseworker) => Redirect::to("/console/queue"),
        Some(Role::Auditor) => Redirect::to("/console/audit"),
        Some(Role::Admin) => Redirect::to("/console/ops"),
        Some(Role::Service) => Redirect::to("/console/lpas"),
    }
}

async fn not_found(session: Option<Session>, uri: axum::extract::OriginalUri) -> Response {
    if uri.path() == "/console/" {
        return Redirect::to("/console").into_response();
    }
    layout::message_page(
        StatusCode::NOT_FOUND,
        session.as_ref(),
        "Page not found",
        "There is no console page at this address. Check the address, or use the links above.",
    )
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
