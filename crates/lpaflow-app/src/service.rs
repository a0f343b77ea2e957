//! [`LpaService`]: the handle the adapters hold. It owns the engine and the engine's store (neither handed out)
//! and the settings that are use-case policy: which workflow new LPAs start, which events must name the
//! revision they were decided on. Commands go through the engine; reads the engine does not offer (queues,
//! reports, the backlog, idempotency reservations) go to the store the engine was started on.

use crate::caller::Caller;
use lpaflow_core::{BusinessZone, Command, InstanceId, WorkflowDef};
use lpaflow_engine::{Engine, Error, Outcome};
use lpaflow_store::{IdempotencyMark, Store, StoredInstance};
use serde_json::Value;
use std::sync::Arc;

/// Use-case settings (validated by the CLI).
#[derive(Clone, Debug)]
pub struct ServiceSettings {
    /// The workflow new LPAs are created with.
    pub lpa_workflow: String,
    /// Events whose command must carry the revision the caller last read (data changes).
    pub if_match_required: Vec<String>,
    /// A console session unused for this long ends (`serve --console-idle-timeout`).
    pub session_idle: chrono::TimeDelta,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            lpa_workflow: "lpa".to_owned(),
            if_match_required: vec!["update_application".to_owned()],
            session_idle: chrono::TimeDelta::minutes(30),
        }
    }
}

/// The LPA use cases. Cheap to clone.
#[derive(Clone)]
pub struct LpaService {
    pub(crate) engine: Engine,
    pub(crate) store: Store,
    pub(crate) settings: Arc<ServiceSettings>,
}

/// Why `fire` refused before the engine saw the command.
#[derive(Debug)]
pub enum FireError {
    /// The event changes data and the caller did not say which revision it read.
    RevisionRequired {
        /// The event.
        event: String,
    },
    /// The engine's answer.
    Engine(Error),
}

impl From<Error> for FireError {
    fn from(e: Error) -> Self {
        Self::Engine(e)
    }
}

/// Attempts at a generated reference that happens to exist already.
const GENERATED_UID_ATTEMPTS: u32 = 3;

impl LpaService {
    /// The service over `engine`, started on `store` (see [`crate::LpaEngine::start`]).
    pub fn new(engine: Engine, store: Store, settings: ServiceSettings) -> Self {
        Self {
            engine,
            store,
            settings: Arc::new(settings),
        }
    }

    /// Stops the engine: finishes commits in flight and releases this process's leases.
    pub async fn shutdown(&self) {
        self.engine.shutdown().await;
    }

    /// The settings.
    pub fn settings(&self) -> &ServiceSettings {
        &self.settings
    }

    /// The business clock's now.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.engine.clock().now()
    }

    /// The rules' business time zone (UK time).
    pub fn zone(&self) -> BusinessZone {
        self.engine.rules().zone()
    }

    /// The definition new LPAs are created with.
    pub fn lpa_definition(&self) -> Option<Arc<WorkflowDef>> {
        self.engine
            .definitions()
            .current(&self.settings.lpa_workflow)
            .cloned()
    }

    /// Creates an LPA from `payload` as `caller`: with reference `given`, or a generated one (drawn again if it
    /// exists already).
    pub async fn create(
        &self,
        caller: &Caller,
        given: Option<InstanceId>,
        payload: Value,
        key: Option<IdempotencyMark>,
    ) -> Result<Outcome, Error> {
        let mut attempts = 0;
        loop {
            let id = given.clone().unwrap_or_else(crate::uid::generate);
            let command = Command::new("create", caller.sub.as_str(), caller.role.to_string())
                .with_payload(payload.clone());
            match self.create_one(id, command, key.clone()).await {
                Err(Error::AlreadyExists(_))
                    if given.is_none() && attempts < GENERATED_UID_ATTEMPTS =>
                {
                    attempts += 1
                }
                other => return other,
            }
        }
    }

    /// Creates LPA `uid` of the configured workflow with `command` as it is.
    pub async fn create_one(
        &self,
        uid: InstanceId,
        command: Command,
        key: Option<IdempotencyMark>,
    ) -> Result<Outcome, Error> {
        self.engine
            .create_keyed(&self.settings.lpa_workflow, uid, command, key)
            .await
    }

    /// Fires `event` at LPA `uid` as `caller`, decided on revision `read` when the caller names it (required
    /// for the events that change data).
    pub async fn fire(
        &self,
        caller: &Caller,
        uid: &InstanceId,
        event: &str,
        payload: Value,
        read: Option<u64>,
        key: Option<IdempotencyMark>,
    ) -> Result<Outcome, FireError> {
        if read.is_none() && self.settings.if_match_required.iter().any(|e| e == event) {
            return Err(FireError::RevisionRequired {
                event: event.to_owned(),
            });
        }
        let mut command =
            Command::new(event, caller.sub.as_str(), caller.role.to_string()).with_payload(payload);
        if let Some(rev) = read {
            command = command.at_revision(rev);
        }
        Ok(self.fire_command(uid, command, key).await?)
    }

    /// Fires `command` as it is (the console builds its commands from forms).
    pub async fn fire_command(
        &self,
        uid: &InstanceId,
        command: Command,
        key: Option<IdempotencyMark>,
    ) -> Result<Outcome, Error> {
        self.engine.fire_keyed(uid, command, key).await
    }

    /// LPA `uid` as stored.
    pub async fn get(&self, uid: &InstanceId) -> Result<Option<StoredInstance>, Error> {
        self.engine.get(uid).await
    }

    /// LPA `uid` as stored, or `NotFound`.
    pub async fn existing(&self, uid: &InstanceId) -> Result<StoredInstance, Error> {
        self.engine
            .get(uid)
            .await?
            .ok_or_else(|| Error::NotFound(uid.clone()))
    }
}
