//! Webhook delivery: every worker process drains the outbox that final transitions fill.
//!
//! A message is claimed for a minute (so two dispatchers never send it at once), its URL's
//! host is resolved once and every address checked against the private-network guard, the
//! request goes to the checked address (no second lookup, no redirects followed), and the
//! attempt is logged. 2xx: delivered. 410: the receiver asks to stop — failed. Anything else:
//! retried after the next delay of `webhook_retry_delays_s` (±10% jitter), then failed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use montecell_shared::db::{WebhookDelivery, WebhookMessage};
use montecell_shared::resources::now_millis;
use montecell_shared::webhooks::{allow_list, check_address, retry_delays, sign};

use crate::WorkerState;

/// How long a claimed message is reserved for its dispatcher.
const LOCK_MS: i64 = 60_000;

/// Drains the outbox until the task is stopped.
pub async fn dispatch(state: Arc<WorkerState>) {
    loop {
        let now = now_millis();
        match state.db.due_webhooks(now, LOCK_MS, 16).await {
            Ok(messages) if !messages.is_empty() => {
                for m in messages {
                    deliver(&state, m).await;
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "webhook outbox unavailable"),
        }
        tokio::time::sleep(Duration::from_millis(state.settings.poll_interval_ms.clamp(50, 1000))).await;
    }
}

/// The address to connect to, checked: the host resolved once.
async fn target(url: &reqwest::Url, state: &WorkerState) -> Result<SocketAddr, String> {
    let host = url.host_str().ok_or("the URL has no host")?;
    let port = url.port_or_known_default().ok_or("the URL has no port")?;
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let allowed = allow_list(&state.settings.webhook_allow_private);
    // Every address the name has must pass: a name that also points inside is refused.
    for a in &addrs {
        check_address(a.ip(), &allowed)?;
    }
    addrs.first().copied().ok_or_else(|| format!("{host} has no address"))
}

async fn send(state: &WorkerState, m: &WebhookMessage) -> Result<u16, String> {
    let url = reqwest::Url::parse(&m.url).map_err(|e| format!("invalid URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("only http and https URLs are delivered".into());
    }
    let addr = target(&url, state).await?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_millis(state.settings.webhook_timeout_ms))
        .resolve(&host, addr)
        .user_agent(concat!("montecell-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())?;
    let timestamp = now_millis() / 1000;
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &m.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", sign(&m.secret, &m.id, timestamp, &m.payload))
        .body(m.payload.clone())
        .send()
        .await
        .map_err(|e| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text.push_str(": ");
                text.push_str(&s.to_string());
                source = s.source();
            }
            text
        })?;
    Ok(response.status().as_u16())
}

async fn deliver(state: &WorkerState, m: WebhookMessage) {
    let start = Instant::now();
    let outcome = send(state, &m).await;
    let attempt = m.attempts + 1;
    let delays = retry_delays(&state.settings.webhook_retry_delays_s);
    let now = now_millis();
    let (status_code, error) = match &outcome {
        Ok(code) => (Some(i64::from(*code)), None),
        Err(e) => (None, Some(e.clone())),
    };
    let (next_state, next_at) = match outcome {
        Ok(code) if (200..300).contains(&code) => ("delivered", now),
        Ok(410) => ("failed", now),
        _ => match delays.get(m.attempts.max(0) as usize) {
            Some(delay) => {
                let jitter = 0.9 + 0.2 * rand::random::<f64>();
                ("pending", now + (delay.as_secs_f64() * jitter * 1000.0) as i64)
            }
            None => ("failed", now),
        },
    };
    tracing::info!(message = %m.id, simulation = %m.simulation_id, attempt, status = ?status_code, error = ?error, state = next_state, "webhook attempt");
    let delivery = WebhookDelivery {
        message_id: m.id.clone(),
        attempt,
        status_code,
        error,
        duration_ms: start.elapsed().as_millis() as i64,
        created_at: now,
    };
    metrics::counter!("montecell_webhook_attempts_total", "state" => next_state).increment(1);
    if let Err(e) = state.db.record_delivery(&delivery, next_state, next_at).await {
        tracing::warn!(message = %m.id, error = %e, "webhook attempt not recorded; it will be retried when its lock expires");
    }
}
