//! The harness of the API tests: a fresh SQLite database, the real LPA engine (`workflows/` of this repo, the
//! LPA rules), the router built by `lpaflow_api::router`, tokens for every role, a small request builder over
//! `tower::ServiceExt::oneshot`, and the steps that bring an LPA to a given state through the API itself.
#![allow(dead_code)]

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use lpaflow_api::problem::PROBLEM_JSON;
use lpaflow_api::{ApiConfig, AppState, Authenticator, Role};
use lpaflow_app::{LpaEngine, LpaService, OpgDelivery, ServiceSettings, WorkflowSource};
use lpaflow_core::{Clock, ManualClock};
use lpaflow_engine::{DeliveryOptions, Engine, EngineOptions, StepHandler};
use lpaflow_lpa::LpaRules;
use lpaflow_opg::OpgClientConfig;
use lpaflow_store::{Store, StoreOptions};
use lpaflow_test_support::TestDb;
use serde_json::{Value, json};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

/// The secret every harness signs its tokens with.
pub const SECRET: &[u8] = b"lpaflow api tests: a secret of enough bytes";

/// How long a test waits for background work (timers, deliveries) before it fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// The repository's `workflows/` directory.
/// The CSRF token of the console forms on `html`.
pub fn csrf(html: &str) -> String {
    let re = regex::Regex::new(r#"name="csrf" value="([0-9a-f]+)""#).unwrap();
    re.captures(html).expect("a form with its CSRF token")[1].to_owned()
}

pub fn workflows_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../workflows")
}

/// The repository's LPA workflow definition, as `serve` reads it.
pub fn workflow_sources() -> Vec<WorkflowSource> {
    let path = workflows_dir().join("lpa.toml");
    vec![WorkflowSource {
        origin: path.display().to_string(),
        text: std::fs::read_to_string(&path).expect("workflows/lpa.toml reads"),
    }]
}

/// What a harness runs with.
pub struct Setup {
    /// OPG delivery (none: steps are enqueued and never sent).
    pub opg: Option<OpgDelivery>,
    /// API settings; `dev_clock` is filled in when [`Setup::dev_clock`] is set.
    pub config: ApiConfig,
    /// Give the API the harness's manual clock as the development clock.
    pub dev_clock: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            opg: None,
            config: ApiConfig::default(),
            dev_clock: true,
        }
    }
}

impl Setup {
    /// Delivery of OPG steps to `base_url`, with short timeouts.
    pub fn opg_at(mut self, base_url: &str) -> Self {
        let mut client = OpgClientConfig::new(base_url, lpaflow_opg::DEV_JWT_SECRET);
        client.timeout_ms = 2_000;
        client.connect_timeout_ms = 500;
        self.opg = Some(OpgDelivery {
            client,
            concurrency: 4,
        });
        self
    }

    /// Changes the API settings.
    pub fn config(mut self, adjust: impl FnOnce(&mut ApiConfig)) -> Self {
        adjust(&mut self.config);
        self
    }
}

/// One API under test.
pub struct Harness {
    pub db: TestDb,
    pub engine: Engine,
    /// The store the engine runs on.
    pub store: Store,
    pub state: AppState,
    pub router: Router,
    pub auth: Authenticator,
    pub clock: Arc<ManualClock>,
}

impl Harness {
    /// The API over a fresh database, no OPG delivery, the development clock on.
    pub async fn start() -> Harness {
        Self::with(Setup::default()).await
    }

    /// The API as `setup` says.
    pub async fn with(setup: Setup) -> Harness {
        Self::on(TestDb::sqlite(), setup).await
    }

    /// The API as `setup` says, over `db` (a fresh database of either backend, see [`TestDb::all`]).
    pub async fn on(db: TestDb, setup: Setup) -> Harness {
        let Setup {
            opg,
            config,
            dev_clock,
        } = setup;
        Self::with_engine_on(db, config, dev_clock, |store, clock| async move {
            LpaEngine {
                workflows: workflow_sources(),
                clock,
                node_id: None,
                opg,
                timers: true,
                zone: lpaflow_core::BusinessZone::LONDON,
            }
            .start(store)
            .await
            .expect("the engine starts")
        })
        .await
    }

    /// The API over an engine that `make` builds on a fresh store with the harness's clock.
    pub async fn with_engine<F, Fut>(config: ApiConfig, dev_clock: bool, make: F) -> Harness
    where
        F: FnOnce(Store, Arc<dyn Clock>) -> Fut,
        Fut: Future<Output = Engine>,
    {
        Self::with_engine_on(TestDb::sqlite(), config, dev_clock, make).await
    }

    /// The API over the LPA engine whose `opg.` steps go to `handler`, with `delivery`'s timing (its handlers are
    /// replaced), on a fresh SQLite database.
    pub async fn with_opg_handler(
        handler: Arc<dyn StepHandler>,
        delivery: DeliveryOptions,
    ) -> Harness {
        Self::with_engine(ApiConfig::default(), false, |store, clock| async move {
            let definitions = lpaflow_app::wiring::definitions(&workflow_sources(), &store)
                .await
                .unwrap();
            let mut options =
                EngineOptions::new(store, definitions, Arc::new(LpaRules::default()), clock);
            options.delivery = Some(DeliveryOptions {
                handlers: vec![("opg.".to_owned(), handler)],
                ..delivery
            });
            Engine::start(options).await.unwrap()
        })
        .await
    }

    /// [`Harness::with_engine`] over `db`.
    pub async fn with_engine_on<F, Fut>(
        db: TestDb,
        mut config: ApiConfig,
        dev_clock: bool,
        make: F,
    ) -> Harness
    where
        F: FnOnce(Store, Arc<dyn Clock>) -> Fut,
        Fut: Future<Output = Engine>,
    {
        let store = Store::open(StoreOptions::new(db.url()))
            .await
            .expect("the test database opens");
        let clock = Arc::new(ManualClock::offset_from_system());
        let engine = make(store.clone(), clock.clone()).await;
        if dev_clock {
            config.dev_clock = Some(clock.clone());
        }
        let auth = Authenticator::new(SECRET).expect("the secret is long enough");
        let lpas = LpaService::new(engine.clone(), store.clone(), ServiceSettings::default());
        let dev = config.dev;
        let state = AppState::new(lpas.clone(), auth.clone(), config);
        let console = lpaflow_console::Context::new(lpas, auth.clone(), dev);
        let router = lpaflow_api::router_with(state.clone(), lpaflow_console::router(console));
        Harness {
            db,
            engine,
            store,
            state,
            router,
            auth,
            clock,
        }
    }

    /// A token for `role` (subject `test-<role>`).
    pub fn token(&self, role: Role) -> String {
        self.auth
            .issue(&format!("test-{role}"), role, 3600)
            .expect("a token")
    }

    /// A `Cookie` header value holding a console session for `role` (subject `test-<role>`), started on the
    /// server as signing in would.
    pub async fn console_cookie(&self, role: Role) -> String {
        let caller = lpaflow_app::Caller {
            sub: format!("test-{role}"),
            role,
        };
        let until = chrono::Utc::now() + chrono::TimeDelta::hours(1);
        let secret = self
            .state
            .lpas()
            .start_session(&caller, until)
            .await
            .expect("a session starts");
        format!("lpaflow_console={secret}")
    }

    /// A request to the router.
    pub fn req(&self, method: Method, uri: &str) -> Req<'_> {
        Req {
            harness: self,
            method,
            uri: uri.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn get(&self, uri: &str) -> Req<'_> {
        self.req(Method::GET, uri)
    }

    pub fn post(&self, uri: &str) -> Req<'_> {
        self.req(Method::POST, uri)
    }

    pub fn delete(&self, uri: &str) -> Req<'_> {
        self.req(Method::DELETE, uri)
    }

    /// Creates an LPA from `application` as a service; its view.
    #[track_caller]
    pub fn create_with(&self, application: Value) -> impl Future<Output = Value> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            let r = self
                .post("/v1/lpas")
                .role(Role::Service)
                .json(&application)
                .send()
                .await;
            assert_eq!(
                r.status,
                StatusCode::CREATED,
                "create at {caller}: {}",
                r.text()
            );
            r.json()
        }
    }

    /// Creates a valid LPA; its uid.
    pub async fn create(&self) -> String {
        uid_of(&self.create_with(application()).await)
    }

    /// Fires `event` as `role`.
    pub async fn fire(&self, uid: &str, role: Role, event: &str, payload: Value) -> Reply {
        self.post(&format!("/v1/lpas/{uid}/events"))
            .role(role)
            .json(&json!({"event": event, "payload": payload}))
            .send()
            .await
    }

    /// Fires `event` as `role` and requires 200; the view after it.
    #[track_caller]
    pub fn fire_ok<'a>(
        &'a self,
        uid: &'a str,
        role: Role,
        event: &'a str,
        payload: Value,
    ) -> impl Future<Output = Value> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let r = self.fire(uid, role, event, payload).await;
            assert_eq!(
                r.status,
                StatusCode::OK,
                "{event} as {role} at {caller}: {}",
                r.text()
            );
            r.json()
        }
    }

    /// The view of `uid` as `role`.
    pub async fn view(&self, uid: &str, role: Role) -> Value {
        let r = self.get(&format!("/v1/lpas/{uid}")).role(role).send().await;
        assert_eq!(r.status, StatusCode::OK, "view {uid}: {}", r.text());
        r.json()
    }

    /// A new LPA, submitted and paid: in `signing`.
    pub async fn lpa_in_signing(&self) -> String {
        let uid = self.create().await;
        self.fire_ok(&uid, Role::Service, "submit", json!({})).await;
        let view = self
            .fire_ok(
                &uid,
                Role::Service,
                "record_payment",
                json!({"amountPence": 9200}),
            )
            .await;
        assert_eq!(view["state"], "signing", "{view}");
        uid
    }

    /// A new LPA the donor has signed: in `signing`, its `opg.create` step enqueued.
    pub async fn sent_to_opg(&self) -> String {
        let uid = self.lpa_in_signing().await;
        self.fire_ok(&uid, Role::Service, "sign_as_donor", json!({}))
            .await;
        uid
    }

    /// Identity checks and every signature of the LPA `uid` (in `signing`).
    pub async fn sign_all(&self, uid: &str) {
        let checked = (self.clock.now() - chrono::TimeDelta::minutes(5)).to_rfc3339();
        self.fire_ok(
            uid,
            Role::Service,
            "confirm_donor_identity",
            json!({"type": "one-login", "checkedAt": checked}),
        )
        .await;
        self.fire_ok(
            uid,
            Role::Service,
            "confirm_certificate_provider_identity",
            json!({"type": "opg-paper-id", "checkedAt": checked}),
        )
        .await;
        self.fire_ok(uid, Role::Service, "sign_as_donor", json!({}))
            .await;
        let view = self
            .fire_ok(
                uid,
                Role::Service,
                "sign_as_certificate_provider",
                json!({}),
            )
            .await;
        for attorney in attorney_uids(&view) {
            self.fire_ok(
                uid,
                Role::Service,
                "sign_as_attorney",
                json!({"uid": attorney, "confirmedNotBankrupt": true}),
            )
            .await;
        }
    }

    /// A new LPA in the statutory waiting period.
    pub async fn lpa_waiting(&self) -> String {
        let uid = self.lpa_in_signing().await;
        self.sign_all(&uid).await;
        let view = self
            .fire_ok(&uid, Role::Caseworker, "enter_waiting_period", json!({}))
            .await;
        assert_eq!(view["state"], "statutory_waiting_period", "{view}");
        uid
    }

    /// Polls the view of `uid` (as a caseworker) until `done` holds, failing after [`DEADLINE`].
    pub async fn view_until(&self, uid: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let started = tokio::time::Instant::now();
        loop {
            let view = self.view(uid, Role::Caseworker).await;
            if done(&view) {
                return view;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "{what}: not reached in {DEADLINE:?}; last view: {view:#}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// Held by every test that changes or reads the process-wide fee refund counters (`/metrics`), so one test's
/// refunds never land in another's expected sums. Tests in this binary share one metrics recorder.
pub static FEE_COUNTERS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Polls `check` until it returns `Some`, failing with `what` after [`DEADLINE`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = tokio::time::Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(started.elapsed() < DEADLINE, "{what}: not in {DEADLINE:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A request being built.
pub struct Req<'a> {
    harness: &'a Harness,
    method: Method,
    uri: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Req<'_> {
    /// Authenticates as `role`.
    pub fn role(self, role: Role) -> Self {
        let token = self.harness.token(role);
        self.bearer(&token)
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A JSON body.
    pub fn json(self, value: &Value) -> Self {
        self.header("content-type", "application/json")
            .body(value.to_string())
    }

    /// A raw body.
    pub fn body(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = bytes.into();
        self
    }

    /// The request, for callers that send it themselves.
    pub fn build(self) -> Request<Body> {
        let mut builder = Request::builder().method(self.method).uri(&self.uri);
        for (k, v) in &self.headers {
            builder = builder.header(k, v);
        }
        builder
            .body(Body::from(self.body))
            .expect("a valid request")
    }

    pub async fn send(self) -> Reply {
        let router = self.harness.router.clone();
        send(router, self.build()).await
    }
}

/// Sends `request` to `router` and reads the whole response.
pub async fn send(router: Router, request: Request<Body>) -> Reply {
    let response = router.oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("the body reads").to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        bytes,
    }
}

/// A response.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Bytes,
}

impl Reply {
    /// The body as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Requires a problem+json response with `status` and `code`; the problem.
    #[track_caller]
    pub fn problem(&self, status: StatusCode, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(
            self.header(header::CONTENT_TYPE.as_str()),
            Some(PROBLEM_JSON),
            "{}",
            self.text()
        );
        let p = self.json();
        assert_eq!(p["code"], code, "{p:#}");
        assert_eq!(p["status"], status.as_u16(), "{p:#}");
        assert_eq!(p["type"], format!("/problems/{code}"), "{p:#}");
        assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()), "{p:#}");
        p
    }

    /// The `{pointer, ...}` of every listed problem.
    pub fn pointers(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .map(|p| p["pointer"].as_str().unwrap_or("?").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `code` of every listed problem.
    pub fn error_codes(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .map(|p| p["code"].as_str().unwrap_or("?").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The uid of a view.
/// Whether `role` may POST to `path` at all (the router's authorization gate).
pub fn may_post(path: &str, role: Role) -> bool {
    if path == "/v1/lpas" {
        role == Role::Service
    } else if path.ends_with("/events") {
        matches!(role, Role::Service | Role::Caseworker)
    } else {
        role == Role::Admin
    }
}

pub fn uid_of(view: &Value) -> String {
    view["uid"].as_str().expect("a view has a uid").to_owned()
}

/// The uids the engine gave the attorneys of a view.
pub fn attorney_uids(view: &Value) -> Vec<String> {
    view["application"]["attorneys"]
        .as_array()
        .expect("attorneys")
        .iter()
        .map(|a| a["uid"].as_str().expect("an attorney uid").to_owned())
        .collect()
}

pub use lpaflow_test_support::lpa_application::{application, application_with};

/// An application whose certificate provider has an attorney's name: a blocking finding from creation.
pub fn blocked_application() -> Value {
    application_with(
        json!({"certificateProvider": {"firstNames": "Charles", "lastName": "Babbage"}}),
    )
}

/// A local address nothing listens on.
pub async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}
