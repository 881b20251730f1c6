//! One function per subcommand (`cmd_x`); each parses nothing itself and writes only to the writer it is given.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;

use crate::settings::{
    DeliveriesCommand, OrgsCommand, OutboxCommand, ReplayArgs, ServeArgs, TokenCommand,
};
use crate::store::{DeliveryStatus, Store};
use crate::token::{Role, create_token};
use crate::{server, webhook};

/// Runs `serve` until SIGINT/SIGTERM.
pub async fn cmd_serve(args: ServeArgs, database_url: &str) -> anyhow::Result<()> {
    let app = server::build(&args, database_url).await?;
    app.run(server::shutdown_signal()).await
}

/// Runs `deliveries list|retry`.
pub async fn cmd_deliveries(
    cmd: DeliveriesCommand,
    database_url: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let store = Store::connect(database_url).await?;
    match cmd {
        DeliveriesCommand::List(args) => {
            let rows = store.list_deliveries(args.status, args.limit).await?;
            // Config problems are per org; each line names its file and line.
            let problems: Vec<(String, String)> = store
                .orgs()
                .await?
                .into_iter()
                .flat_map(|o| {
                    let org = o.org;
                    o.problems.into_iter().map(move |p| (org.clone(), p))
                })
                .collect();
            if args.json {
                let problems: Vec<_> = problems
                    .iter()
                    .map(|(org, message)| serde_json::json!({"org": org, "message": message}))
                    .collect();
                let doc = serde_json::json!({"deliveries": rows, "config_problems": problems});
                writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
            } else {
                writeln!(
                    out,
                    "{:<38} {:<16} {:<28} {:<16} {:<10} {:>8}  ERROR",
                    "ID", "ORG", "EVENT", "ACTION", "STATUS", "ATTEMPTS"
                )?;
                for r in &rows {
                    writeln!(
                        out,
                        "{:<38} {:<16} {:<28} {:<16} {:<10} {:>8}  {}",
                        r.id,
                        r.org.as_deref().unwrap_or("-"),
                        r.event,
                        r.action.as_deref().unwrap_or("-"),
                        r.status,
                        r.attempts,
                        r.last_error.as_deref().unwrap_or("")
                    )?;
                }
                if !problems.is_empty() {
                    writeln!(out, "\nconfig problems:")?;
                    for (org, message) in &problems {
                        writeln!(out, "  {org}: {message}")?;
                    }
                }
            }
        }
        DeliveriesCommand::Retry(args) => {
            if !store.retry_delivery(&args.id, Utc::now()).await? {
                if let Some(state) = store.payload_state(&args.id).await?
                    && let Some(cleared) = state.cleared_at
                {
                    store.close().await;
                    anyhow::bail!(
                        "delivery `{}` cannot be retried: its raw payload was cleared on {} by the payload \
                         retention\n\nMENTOR_PAYLOAD_RETENTION keeps the payloads of finished deliveries for a \
                         while; its touchpoints and evidence are kept. Redeliver it from the App's settings page \
                         on GitHub (Advanced → Recent Deliveries) if GitHub still has it.",
                        args.id,
                        cleared.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    );
                }
                let why = match store.payload_state(&args.id).await?.map(|s| s.status) {
                    None => {
                        "there is no such delivery\n\nRun `mentor-app deliveries list` to see ids."
                    }
                    Some(DeliveryStatus::Processing) => {
                        "a worker is processing it right now\n\nWait for it to finish, then look at \
                         `mentor-app deliveries list` again."
                    }
                    Some(DeliveryStatus::Ignored) => {
                        "Mentor does not use this event, so it kept no payload to process"
                    }
                    Some(_) => "it has no payload stored",
                };
                store.close().await;
                anyhow::bail!("delivery `{}` cannot be retried: {why}", args.id);
            }
            writeln!(out, "Delivery {} queued again.", args.id)?;
        }
    }
    store.close().await;
    Ok(())
}

/// Runs `outbox list|retry`.
pub async fn cmd_outbox(
    cmd: OutboxCommand,
    database_url: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let store = Store::connect(database_url).await?;
    match cmd {
        OutboxCommand::List(args) => {
            let rows = store.list_outbox(args.status, args.limit).await?;
            if args.json {
                let doc = serde_json::json!({ "writes": rows });
                writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
            } else {
                writeln!(
                    out,
                    "{:>6} {:<40} {:<30} {:<8} {:>8}  ERROR",
                    "ID", "MARKER", "REPO", "STATUS", "ATTEMPTS"
                )?;
                for r in &rows {
                    // Errors can span lines (a hint after a blank line); a table row keeps the first.
                    let error = r.last_error.as_deref().unwrap_or("").lines().next().unwrap_or("");
                    writeln!(
                        out,
                        "{:>6} {:<40} {:<30} {:<8} {:>8}  {}",
                        r.id, r.marker, r.repo, r.status, r.attempts, error
                    )?;
                }
            }
        }
        OutboxCommand::Retry(args) => {
            if !store.retry_write(args.id, Utc::now()).await? {
                anyhow::bail!(
                    "no outbox write {} that can be retried\n\nRun `mentor-app outbox list` to see ids; a write \
                     being sent right now cannot be retried.",
                    args.id
                );
            }
            writeln!(out, "Outbox write {} queued again.", args.id)?;
        }
    }
    store.close().await;
    Ok(())
}

/// Runs `token create`: the token belongs to one known org.
pub async fn cmd_token(
    cmd: TokenCommand,
    database_url: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let TokenCommand::Create(args) = cmd;
    let role = Role::parse(&args.role).map_err(|e| anyhow::anyhow!("--role: {e}"))?;
    let org = args.org.trim().trim_start_matches('@').to_ascii_lowercase();
    let store = Store::connect(database_url).await?;
    let known: Vec<String> = store.orgs().await?.into_iter().map(|o| o.org).collect();
    if !known.contains(&org) {
        store.close().await;
        let list = if known.is_empty() {
            "none yet: an org appears once the App is installed on it and sends a webhook"
                .to_string()
        } else {
            known.join(", ")
        };
        anyhow::bail!("--org: unknown org `{}`\n\nKnown orgs: {list}.", args.org);
    }
    let token = create_token(&store, &org, &role).await?;
    store.close().await;
    writeln!(out, "Created a token for role {role} in org {org}. It is shown only once:")?;
    if matches!(role, Role::Calendar(_)) {
        // The feed URL is what a calendar app subscribes to; the token is its last path segment.
        let base = args.public_url.as_deref().unwrap_or("").trim_end_matches('/');
        if base.is_empty() {
            writeln!(out, "(set MENTOR_PUBLIC_URL or --public-url to print the whole address)")?;
        }
        writeln!(out, "{base}/orgs/{org}/calendar/{token}.ics")?;
    } else {
        writeln!(out, "{token}")?;
    }
    Ok(())
}

/// Runs `orgs list`.
pub async fn cmd_orgs(
    cmd: OrgsCommand,
    database_url: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let OrgsCommand::List(args) = cmd;
    let store = Store::connect(database_url).await?;
    let orgs = store.orgs().await?;
    store.close().await;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&orgs)?)?;
        return Ok(());
    }
    if orgs.is_empty() {
        writeln!(
            out,
            "No org yet: an org appears once the App is installed on it and sends a webhook."
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<24} {:>14} {:<10} {:<25} REPOS",
        "ORG", "INSTALLATION", "STATUS", "LAST DELIVERY"
    )?;
    for o in &orgs {
        let last = o
            .last_delivery_at
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_else(|| "-".into());
        let repos = if o.repos.is_empty() { "-".to_string() } else { o.repos.join(", ") };
        writeln!(
            out,
            "{:<24} {:>14} {:<10} {:<25} {repos}",
            o.org, o.installation_id, o.status, last
        )?;
        for p in &o.problems {
            writeln!(out, "  problem: {p}")?;
        }
    }
    Ok(())
}

/// Runs `replay`: signs the payload and POSTs it, printing the answer's status.
pub async fn cmd_replay(args: ReplayArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let body = std::fs::read(&args.payload)
        .with_context(|| format!("cannot read {}", args.payload.display()))?;
    let secret =
        args.webhook_secret.expose().split(',').next().unwrap_or_default().trim().to_string();
    let delivery = args.delivery.unwrap_or_else(|| {
        let b: [u8; 16] = rand::random();
        format!("replay-{}", hex::encode(b))
    });
    let resp = reqwest::Client::new()
        .post(&args.url)
        .timeout(Duration::from_secs(30))
        .header("content-type", "application/json")
        .header("x-github-event", &args.event)
        .header("x-github-delivery", &delivery)
        .header("x-hub-signature-256", webhook::sign(&secret, &body))
        .body(body)
        .send()
        .await
        .with_context(|| format!("cannot POST to {}", args.url))?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    writeln!(out, "{} {delivery} {}", status.as_u16(), text.trim())?;
    if !status.is_success() {
        anyhow::bail!("the server answered {status}");
    }
    Ok(())
}
