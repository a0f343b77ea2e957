//! The workload stub protocol of `shared/bench/opg_stub.py`, served by the simulator so `lpaflow bench
//! workload` needs no Python: `POST /lpas` with a string `lpa_id` counts per id (duplicates are the crash run's
//! measure), `/admin/offline|online|reset`, `/admin/stats`, `/admin/counts`, with byte-compatible JSON. Counts
//! live in memory, as in the Python stub, behind one short mutex.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};

use crate::simulator::http::uncounted;
use crate::simulator::state::SimulatorState;

#[derive(Default)]
struct Inner {
    offline: bool,
    ok: HashMap<String, u64>,
    rejected: u64,
    bad: u64,
    seq: u64,
    first_post: Option<f64>,
    last_ok: Option<f64>,
    switched_online_at: Option<f64>,
}

pub struct StubState {
    inner: Mutex<Inner>,
}

/// `GET /admin/stats`, keys in the Python stub's order.
#[derive(Debug, Serialize)]
struct StubStats {
    offline: bool,
    posts_201: u64,
    posts_503: u64,
    posts_400: u64,
    unique_ids: usize,
    dup_ids: usize,
    dup_extra_posts: u64,
    first_post: Option<f64>,
    last_ok: Option<f64>,
    switched_online_at: Option<f64>,
}

fn now_s() -> f64 {
    let micros = chrono::Utc::now().timestamp_micros();
    // Microsecond timestamps fit an f64 exactly for the next few centuries.
    micros as f64 / 1e6
}

impl StubState {
    pub fn new(offline: bool) -> Self {
        Self {
            inner: Mutex::new(Inner {
                offline,
                ..Inner::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn stats(&self) -> StubStats {
        let s = self.lock();
        let dups: Vec<u64> = s.ok.values().copied().filter(|v| *v > 1).collect();
        StubStats {
            offline: s.offline,
            posts_201: s.ok.values().sum(),
            posts_503: s.rejected,
            posts_400: s.bad,
            unique_ids: s.ok.len(),
            dup_ids: dups.len(),
            dup_extra_posts: dups.iter().map(|v| v - 1).sum(),
            first_post: s.first_post,
            last_ok: s.last_ok,
            switched_online_at: s.switched_online_at,
        }
    }
}

/// `POST /lpas` of the stub protocol (`body` is `None` when it is not JSON).
pub fn post_lpa(stub: &StubState, body: Option<&Value>) -> Response {
    let now = now_s();
    let lpa_id = body.and_then(|b| b.get("lpa_id")).and_then(Value::as_str);
    let mut s = stub.lock();
    s.first_post.get_or_insert(now);
    let reply = match lpa_id {
        None => {
            s.bad += 1;
            (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "body must be a JSON object with string lpa_id"})),
            )
        }
        Some(_) if s.offline => {
            s.rejected += 1;
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"error": "opg offline"})),
            )
        }
        Some(id) => {
            let n = {
                let n = s.ok.entry(id.to_owned()).or_default();
                *n += 1;
                *n
            };
            s.seq += 1;
            s.last_ok = Some(now);
            let body =
                json!({"opg_ref": format!("OPG-{:08}", s.seq), "lpa_id": id, "received_count": n});
            (StatusCode::CREATED, Json(body))
        }
    };
    drop(s);
    uncounted(reply.into_response())
}

type St = State<Arc<SimulatorState>>;

pub async fn offline(State(state): St) -> Response {
    state.stub.lock().offline = true;
    uncounted(Json(state.stub.stats()).into_response())
}

pub async fn online(State(state): St) -> Response {
    {
        let mut s = state.stub.lock();
        if s.offline {
            s.switched_online_at = Some(now_s());
        }
        s.offline = false;
    }
    uncounted(Json(state.stub.stats()).into_response())
}

/// Zeroes every counter; keeps the online/offline switch.
pub async fn reset(State(state): St) -> Response {
    {
        let mut s = state.stub.lock();
        let offline = s.offline;
        *s = Inner {
            offline,
            ..Inner::default()
        };
    }
    uncounted(Json(state.stub.stats()).into_response())
}

pub async fn stats(State(state): St) -> Response {
    uncounted(Json(state.stub.stats()).into_response())
}

pub async fn counts(State(state): St) -> Response {
    let counts = state.stub.lock().ok.clone();
    uncounted(Json(counts).into_response())
}
