//! `lpaflow serve`: the product. HTTP API + engine (timers, OPG delivery) on one store, with the OPG simulator
//! embedded when no `--opg-url` is given. With no configuration at all it starts in development mode: a
//! development secret, one printed token per role, and a loud warning.

use crate::app::{LpaEngine, OpgDelivery, opg_jwt_secret};
use crate::aws::OpgAwsArgs;
use crate::database::{DEFAULT_DATABASE_URL, DatabaseArgs};
use crate::secrets;
use anyhow::Context as _;
use clap::Args;
use lpaflow_api::{ApiConfig, AppState, Authenticator, Role};
use lpaflow_app::ServiceSettings;
use lpaflow_core::{Clock, ManualClock, SystemClock};
use lpaflow_opg::client::AwsSigning;
use lpaflow_opg::simulator::AwsVerification;
use lpaflow_opg::{OpgClientConfig, SimulatorConfig, SimulatorHandle};
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, env = "LPAFLOW_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    business_time: crate::business_time::BusinessTimeArgs,
    /// The OPG database (LPA Store API). Without it, an OPG simulator runs inside this process.
    #[arg(long, env = "LPAFLOW_OPG_URL")]
    opg_url: Option<String>,
    #[command(flatten)]
    opg_aws: OpgAwsArgs,
    /// Where the embedded OPG simulator keeps its data.
    #[arg(long, env = "LPAFLOW_OPG_SIM_DB", default_value = "lpaflow-opg-sim.db")]
    opg_sim_db: PathBuf,
    /// OPG steps delivered at once.
    #[arg(long, env = "LPAFLOW_OPG_CONCURRENCY", default_value_t = 16)]
    opg_concurrency: usize,
    /// Directory of workflow definitions (*.toml). When the default directory is missing, the built-in
    /// `lpa.toml` is used.
    #[arg(long, env = "LPAFLOW_WORKFLOWS")]
    workflows: Option<PathBuf>,
    /// Development mode: development JWT secret, printed tokens. The default when no secret, database URL or
    /// OPG URL is configured and the server listens on loopback; refused on other addresses unless
    /// --dev-on-public-address is also given.
    #[arg(long)]
    dev: bool,
    /// Allow development mode on a non-loopback `--listen` address. Anyone who can reach the server can then
    /// sign in as admin: only for a throwaway machine on a private network.
    #[arg(long)]
    dev_on_public_address: bool,
    /// Let an admin move the business clock forward (`POST /v1/dev/clock`); development mode only.
    #[arg(long)]
    dev_clock: bool,
    /// A file holding the API's JWT secret (instead of LPAFLOW_JWT_SECRET).
    #[arg(long, env = "LPAFLOW_JWT_SECRET_FILE")]
    jwt_secret_file: Option<PathBuf>,
    /// Largest request body in bytes.
    #[arg(long, env = "LPAFLOW_BODY_LIMIT_BYTES", default_value_t = 1024 * 1024)]
    body_limit_bytes: usize,
    /// How long idempotency keys are remembered (s, m, h, d, w).
    #[arg(long, env = "LPAFLOW_IDEMPOTENCY_TTL", default_value = "24h")]
    idempotency_ttl: String,
    /// How long a request that neither committed nor answered (its server died) blocks retries with its
    /// Idempotency-Key (s, m, h, d, w). A request that committed is answered at once on retry.
    #[arg(long, env = "LPAFLOW_IDEMPOTENCY_LOCK_TIMEOUT", default_value = "60s")]
    idempotency_lock_timeout: String,
    /// Connections served at once; when reached, new ones wait in the listen backlog (logged once per burst).
    #[arg(long, env = "LPAFLOW_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// Longest time a client may take to send a request's head (from its first byte, or from connecting),
    /// after which the connection is closed (s, m, h).
    #[arg(long, env = "LPAFLOW_HEADER_READ_TIMEOUT", default_value = "10s")]
    header_read_timeout: String,
    /// Longest time a keep-alive connection may wait for its next request (s, m, h).
    #[arg(long, env = "LPAFLOW_IDLE_TIMEOUT", default_value = "60s")]
    idle_timeout: String,
    /// Longest time a request may take before it is answered 503 `request_timeout` (s, m, h).
    #[arg(long, env = "LPAFLOW_REQUEST_TIMEOUT", default_value = "30s")]
    request_timeout: String,
    /// A console session unused for this long ends: the person signs in again (s, m, h).
    #[arg(long, env = "LPAFLOW_CONSOLE_IDLE_TIMEOUT", default_value = "30m")]
    console_idle_timeout: String,
    /// Peers whose `X-Forwarded-Proto`/`X-Forwarded-For` are believed: the TLS-terminating proxy's addresses
    /// or CIDR blocks (repeatable or comma-separated). From any other peer these headers are dropped.
    #[arg(
        long = "trusted-proxy",
        env = "LPAFLOW_TRUSTED_PROXY",
        value_delimiter = ','
    )]
    trusted_proxy: Vec<String>,
    /// This process's name as a lease holder (unique per process; default: random).
    #[arg(long, env = "LPAFLOW_NODE_ID")]
    node_id: Option<String>,
    /// LPAs kept in memory as this process last committed them, with the rules' reading of each, so a command
    /// on one does not read it back from the database (0: none; each costs about twice its data's size in
    /// memory). Safe with several processes: a commit checks the revision it was decided from.
    #[arg(long, env = "LPAFLOW_INSTANCE_CACHE", default_value_t = lpaflow_engine::DEFAULT_INSTANCE_CACHE)]
    instance_cache: usize,
    #[command(flatten)]
    liveness: crate::node_liveness::NodeLivenessArgs,
    #[command(flatten)]
    audit_checkpoints: crate::audit_checkpoints::AuditCheckpointArgs,
}

/// The OPG client settings: the real store's URL with the configured AWS signing, or the embedded simulator.
fn opg_client_config(
    args: &ServeArgs,
    opg_url: &str,
    opg_secret: &str,
    embedded: Option<AwsSigning>,
) -> anyhow::Result<OpgClientConfig> {
    let mut config = OpgClientConfig::new(opg_url, opg_secret);
    config.aws = match embedded {
        Some(signing) => Some(signing),
        None => args.opg_aws.signing()?,
    };
    if args.opg_url.is_some() && config.aws.is_none() {
        tracing::warn!(
            "no AWS credentials (--opg-aws-access-key-id or AWS_ACCESS_KEY_ID): requests to OPG are not signed, and the LPA Store's API Gateway refuses unsigned requests (403)"
        );
    }
    if let Some(aws) = &config.aws {
        tracing::info!(
            region = %aws.region,
            access_key_id = %aws.access_key_id,
            "requests to OPG are signed with AWS Signature V4 (execute-api)"
        );
    }
    Ok(config)
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(serve(args))
}

struct Mode {
    dev: bool,
    /// Why the server runs in this mode, for the start banner.
    why: &'static str,
    secret: String,
}

/// Development mode (a development secret, printed tokens, one-click admin sign-in in the console) only when
/// asked for with `--dev`, or when nothing is configured and the server listens on loopback; never on a
/// non-loopback address unless forced with `--dev-on-public-address`.
fn mode(args: &ServeArgs) -> anyhow::Result<Mode> {
    let configured = secrets::configured(args.jwt_secret_file.as_deref())?;
    let loopback = args.listen.ip().is_loopback();
    let unconfigured = configured.is_none()
        && args.opg_url.is_none()
        && args.database.database_url == DEFAULT_DATABASE_URL;
    let (dev, why) = match (args.dev, unconfigured && loopback) {
        (true, _) => (true, "--dev was given"),
        (false, true) => (
            true,
            "no JWT secret, database or OPG URL is configured and the server listens on loopback",
        ),
        (false, false) => (false, "--dev was not given"),
    };
    if dev && !loopback && !args.dev_on_public_address {
        anyhow::bail!(
            "development mode on {} would give anyone who can reach it admin tokens: listen on 127.0.0.1, \
             configure a JWT secret for production, or pass --dev-on-public-address if you really mean it",
            args.listen
        );
    }
    if args.dev_clock && !dev {
        anyhow::bail!(
            "--dev-clock is only for development mode (--dev): it lets an admin move time forward"
        );
    }
    let secret = match (configured, dev) {
        (Some(s), _) => s,
        (None, true) => secrets::development()?,
        (None, false) => anyhow::bail!(
            "no JWT secret: set LPAFLOW_JWT_SECRET or --jwt-secret-file for a real deployment, or pass --dev for a development server (on loopback)"
        ),
    };
    Ok(Mode { dev, why, secret })
}

/// The embedded simulator checks AWS signatures like the store's API Gateway, with the configured key pair or
/// one made up for this process, so that the product's own path signs every request.
fn embedded_signing(args: &ServeArgs) -> anyhow::Result<AwsSigning> {
    Ok(args.opg_aws.signing()?.unwrap_or_else(|| AwsSigning {
        region: crate::aws::DEFAULT_REGION.to_owned(),
        access_key_id: format!(
            "LPAFLOWSIM{}",
            &uuid::Uuid::new_v4().simple().to_string()[..10].to_ascii_uppercase()
        ),
        secret_access_key: format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        ),
        session_token: None,
    }))
}

async fn start_simulator(
    args: &ServeArgs,
    secret: &str,
    signing: &AwsSigning,
) -> anyhow::Result<SimulatorHandle> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot bind the embedded OPG simulator")?;
    let mut config = SimulatorConfig::new(&args.opg_sim_db, secret);
    config.aws = Some(AwsVerification {
        access_key_id: signing.access_key_id.clone(),
        secret_access_key: signing.secret_access_key.clone(),
        region: signing.region.clone(),
    });
    let handle = lpaflow_opg::simulator::start(config, listener)
        .await
        .map_err(|e| anyhow::anyhow!("the embedded OPG simulator did not start: {e}"))?;
    tracing::info!(url = %handle.base_url(), db = %args.opg_sim_db.display(), "embedded OPG simulator started");
    Ok(handle)
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mode = mode(&args)?;
    let idempotency_ttl = lpaflow_core::duration::parse_duration(&args.idempotency_ttl)
        .map_err(|e| anyhow::anyhow!("--idempotency-ttl: the duration {e}"))?;
    let lock_timeout = lpaflow_core::duration::parse_duration(&args.idempotency_lock_timeout)
        .map_err(|e| anyhow::anyhow!("--idempotency-lock-timeout: the duration {e}"))?;
    let limits = connection_limits(&args)?;
    let request_timeout = positive_duration("--request-timeout", &args.request_timeout)?;
    let session_idle = positive_duration("--console-idle-timeout", &args.console_idle_timeout)?;
    let auth = Authenticator::new(mode.secret.as_bytes())
        .map_err(|e| anyhow::anyhow!("LPAFLOW_JWT_SECRET / --jwt-secret-file: {e}"))?;
    let opg_secret = opg_jwt_secret();
    let (simulator, embedded) = match &args.opg_url {
        Some(_) => (None, None),
        None => {
            let signing = embedded_signing(&args)?;
            let sim = start_simulator(&args, &opg_secret, &signing).await?;
            (Some(sim), Some(signing))
        }
    };
    let opg_url = args
        .opg_url
        .clone()
        .or_else(|| simulator.as_ref().map(|s| s.base_url()))
        .unwrap_or_default();
    let dev_clock = args
        .dev_clock
        .then(|| Arc::new(ManualClock::offset_from_system()));
    let clock: Arc<dyn Clock> = match &dev_clock {
        Some(c) => c.clone(),
        None => Arc::new(SystemClock),
    };
    let workflows = crate::app::workflow_sources(args.workflows.as_deref())?;
    let liveness = args.liveness.options(Some(args.listen.to_string()))?;
    let checkpointer = args.audit_checkpoints.checkpointer()?;
    let store = args.database.open().await?;
    warn_if_history_alterable(&store).await;
    let audit_store = store.clone();
    let lpas = LpaEngine {
        workflows,
        clock,
        node_id: args.node_id.clone(),
        opg: Some(OpgDelivery {
            client: opg_client_config(&args, &opg_url, &opg_secret, embedded)?,
            concurrency: args.opg_concurrency,
        }),
        timers: true,
        zone: args.business_time.zone,
    }
    .start_service(store, service_settings(session_idle)?, |options| {
        options.liveness = Some(liveness);
        options.instance_cache = args.instance_cache;
    })
    .await?;
    let config = ApiConfig {
        body_limit_bytes: args.body_limit_bytes,
        idempotency_ttl: idempotency_ttl
            .to_std()
            .unwrap_or(Duration::from_secs(86_400)),
        dev: mode.dev,
        dev_clock,
        idempotency_lock_timeout: lock_timeout.to_std().unwrap_or(Duration::from_secs(60)),
        request_timeout,
        trusted_proxies: lpaflow_api::TrustedProxies::parse(&args.trusted_proxy)
            .map_err(|e| anyhow::anyhow!("--trusted-proxy: {e}"))?,
    };
    let state = AppState::new(lpas.clone(), auth.clone(), config);
    let mut console = lpaflow_console::Context::new(lpas.clone(), auth.clone(), mode.dev);
    if let Some(sim) = &simulator {
        console = console.with_outage_switch(Arc::new(SimulatorSwitch(sim.state().clone())));
    }
    let app = lpaflow_api::router_with(state.clone(), lpaflow_console::router(console));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    announce(addr, &args, &auth, &mode, &opg_url)?;
    let cancel = CancellationToken::new();
    let purge = tokio::spawn(lpaflow_api::idempotency::purge_loop(
        state.clone(),
        cancel.clone(),
    ));
    let checkpoints = checkpointer.map(|c| tokio::spawn(c.run(audit_store, cancel.clone())));
    let stop = cancel.clone();
    let served = lpaflow_api::serve(listener, app, limits, async move {
        shutdown_signal().await;
        stop.cancel();
    })
    .await;
    tracing::info!("HTTP server stopped; finishing commits and releasing leases");
    cancel.cancel();
    let _ = purge.await;
    if let Some(checkpoints) = checkpoints {
        let _ = checkpoints.await;
    }
    lpas.shutdown().await;
    if let Some(sim) = simulator {
        let _ = sim.shutdown().await;
    }
    served.context("the HTTP server failed")?;
    Ok(ExitCode::SUCCESS)
}

/// The use-case settings: the defaults, with the console's idle time.
fn service_settings(session_idle: Duration) -> anyhow::Result<ServiceSettings> {
    Ok(ServiceSettings {
        session_idle: chrono::TimeDelta::from_std(session_idle)
            .map_err(|_| anyhow::anyhow!("--console-idle-timeout: too long"))?,
        ..ServiceSettings::default()
    })
}

/// A duration flag that must be more than zero.
fn positive_duration(flag: &str, text: &str) -> anyhow::Result<Duration> {
    let d = lpaflow_core::duration::parse_duration(text)
        .map_err(|e| anyhow::anyhow!("{flag}: the duration {e}"))?;
    d.to_std()
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| anyhow::anyhow!("{flag}: must be more than zero"))
}

fn connection_limits(args: &ServeArgs) -> anyhow::Result<lpaflow_api::ConnectionLimits> {
    if args.max_connections == 0 {
        anyhow::bail!("--max-connections: must be at least 1");
    }
    Ok(lpaflow_api::ConnectionLimits {
        max_connections: args.max_connections,
        header_read_timeout: positive_duration("--header-read-timeout", &args.header_read_timeout)?,
        idle_timeout: positive_duration("--idle-timeout", &args.idle_timeout)?,
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutdown requested");
}

fn announce(
    addr: SocketAddr,
    args: &ServeArgs,
    auth: &Authenticator,
    mode: &Mode,
    opg_url: &str,
) -> anyhow::Result<()> {
    let dev = mode.dev;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "lpaflow listening on http://{addr} (API /v1, OpenAPI /openapi.json)"
    );
    let _ = writeln!(
        out,
        "  database: {}",
        lpaflow_store::url::mask_password(&args.database.database_url)
    );
    let _ = writeln!(
        out,
        "  OPG:      {opg_url}{}",
        if args.opg_url.is_none() {
            " (embedded simulator)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "  mode:     {} ({})",
        if dev { "DEVELOPMENT" } else { "production" },
        mode.why
    );
    let _ = writeln!(
        out,
        "  console:  http://{addr}/console{}",
        if dev {
            " (one-click development sign-in on its sign-in page)"
        } else {
            " (sign in with a token from `lpaflow token issue`)"
        }
    );
    if !dev {
        print_announcement(&out);
        return Ok(());
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "  !! DEVELOPMENT MODE: development JWT secret (.lpaflow-dev-secret), tokens below valid 12h."
    );
    let _ = writeln!(
        out,
        "  !! Never use this setup for real LPAs: set LPAFLOW_JWT_SECRET and --opg-url."
    );
    out.push('\n');
    for role in Role::ALL {
        let token = auth
            .issue(&format!("dev-{role}"), role, 12 * 3600)
            .map_err(|e| anyhow::anyhow!(e))?;
        let _ = writeln!(out, "  {:<11} {token}", role.to_string());
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "  try: curl -s -H \"Authorization: Bearer <service token>\" http://{addr}/v1/workflows"
    );
    print_announcement(&out);
    Ok(())
}

/// Prints the announcement in one write. A closed stdout (a supervisor that does not read it, a test harness
/// that stopped reading) must never stop the server, so write errors are ignored.
fn print_announcement(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// On PostgreSQL, a serving role that owns the history table can disable its append-only triggers: say so.
async fn warn_if_history_alterable(store: &lpaflow_store::Store) {
    if store.backend() != lpaflow_store::Backend::Postgres {
        return;
    }
    match store.can_alter_history().await {
        Ok(false) => {}
        Ok(true) => tracing::warn!(
            "this server's database role owns the history table (or is a superuser), so it could disable the \
             append-only triggers; serve with a role granted only what it needs (docs/audit.md, \"Database roles\")"
        ),
        Err(e) => tracing::warn!(error = %e, "could not check who owns the history table"),
    }
}

/// The embedded simulator's outage fault as the console's development switch.
struct SimulatorSwitch(Arc<lpaflow_opg::simulator::SimulatorState>);

impl lpaflow_console::OutageSwitch for SimulatorSwitch {
    fn is_down(&self) -> bool {
        self.0.faults().outage
    }

    fn set_down(&self, down: bool) -> Result<(), String> {
        let patch = lpaflow_opg::simulator::FaultsPatch {
            outage: Some(down),
            ..Default::default()
        };
        self.0
            .patch_faults(&patch)
            .map(|_| ())
            .map_err(|errors| format!("{errors:?}"))
    }
}
