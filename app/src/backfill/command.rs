//! `mentor-app backfill --org ORG [--since 180d] [--repo OWNER/NAME]` and `mentor-app backfill status`.
//!
//! The command queues the org's repositories and reads them in this process while it holds the backfill lease;
//! when a running server holds it (it reads the same queue), the command follows that server's progress instead.
//! Ctrl-C stops after the page being stored; running the command again continues from there. Journals are
//! planned in the outbox at the end, and the server sends them.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use tokio::sync::{Notify, watch};

use super::{Backfill, OrgProgress};
use crate::clock::Clock;
use crate::config_source::{self, ConfigSource};
use crate::github::GitHubApi;
use crate::settings::{BackfillArgs, BackfillCommand, BackfillStatusArgs};
use crate::store::{BackfillStatus, InstallationStatus, Store};

/// Runs `backfill` or `backfill status`.
pub async fn cmd_backfill(
    args: BackfillArgs,
    database_url: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if let Some(BackfillCommand::Status(status)) = args.command {
        return cmd_status(status, database_url, out).await;
    }
    let Some(org) = args.org.as_deref().map(str::to_ascii_lowercase) else {
        anyhow::bail!(
            "--org is missing: name the org whose history to read, e.g. `mentor-app backfill --org acme`"
        );
    };
    let store = Store::connect(database_url).await?;
    let Some(installed) = store.org(&org).await? else {
        anyhow::bail!(
            "{org} has not installed the App (no delivery from it yet): install it on the org first; \
             `mentor-app orgs list` shows the orgs Mentor knows"
        );
    };
    if installed.status != InstallationStatus::Active {
        anyhow::bail!(
            "the App is {} in {org}: reactivate it on GitHub first (history is only read for an active program)",
            installed.status
        );
    }
    let github: Arc<dyn GitHubApi> = Arc::new(crate::server::live_github(
        args.app_id,
        args.private_key.as_ref(),
        args.private_key_file.as_deref(),
        &args.github_api_url,
    )?);
    let visible = github
        .installation_repositories(installed.installation_id)
        .await
        .with_context(|| format!("listing the repositories the App can see in {org}"))?;
    // Rows are keyed by GitHub's spelling of the name (as webhooks give it), whatever case was typed.
    let repos = match &args.repo {
        Some(repo) => {
            if config_source::org_of(repo).as_deref() != Some(org.as_str()) || !repo.contains('/') {
                anyhow::bail!("--repo {repo}: expected a repository of {org}, written {org}/NAME");
            }
            let Some(found) = visible.iter().find(|r| r.eq_ignore_ascii_case(repo)) else {
                anyhow::bail!(
                    "--repo {repo}: the App cannot see this repository; add it to the installation's \
                     repositories on GitHub (org settings → GitHub Apps → Mentor), then run this again"
                );
            };
            vec![found.clone()]
        }
        None => visible,
    };
    let now = Utc::now();
    let since = args.since.start(now);
    store.request_backfill(&org, installed.installation_id, &repos, since, true, now).await?;
    writeln!(
        out,
        "Reading the merged pull requests of {} repositories of {org} since {}",
        repos.len(),
        since.format("%Y-%m-%d")
    )?;
    let runner = Backfill::new(
        store.clone(),
        Arc::new(ConfigSource::new(github.clone())),
        github,
        Clock::default(),
        Arc::new(Notify::new()),
    );
    let (stop, mut stopped) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stop.send(true);
        }
    });
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(repos.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {pos}/{len} repositories {wide_msg} [{elapsed}]",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    });
    let mut following = false;
    let mut reported = usize::MAX;
    let progress = loop {
        let held = runner.drain(Some(&org), &mut stopped).await?;
        let rows = store.backfills(Some(&org)).await?;
        let Some(progress) = OrgProgress::of(rows).into_iter().next() else {
            anyhow::bail!("the backfill of {org} disappeared from the database while it ran");
        };
        if let Some(bar) = &bar {
            bar.set_position(progress.repos_done as u64);
            bar.set_message(format!(
                "· {} pull requests · {} requests · {} points",
                progress.prs_read, progress.requests, progress.points
            ));
        } else if progress.repos_done != reported {
            reported = progress.repos_done;
            writeln!(
                out,
                "{}/{} repositories, {} pull requests, {} requests, {} points",
                progress.repos_done,
                progress.repos,
                progress.prs_read,
                progress.requests,
                progress.points
            )?;
        }
        if matches!(progress.status, "done" | "failed") || *stopped.borrow() {
            break progress;
        }
        if !held && !following {
            following = true;
            let note =
                "another process (a running server) is reading this queue; following its progress";
            match &bar {
                Some(bar) => bar.println(note),
                None => writeln!(out, "{note}")?,
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stopped.changed() => {}
        }
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // The next command or a server goes on at once instead of waiting for the lease to run out.
    if let Err(e) = store.release_lease(super::LEASE, &runner.holder).await {
        tracing::warn!(error = format!("{e:#}"), "giving the backfill lease up failed");
    }
    store.close().await;
    if *stopped.borrow() && !matches!(progress.status, "done" | "failed") {
        writeln!(out, "Stopped; run the same command again to continue where it stopped.")?;
        return Ok(());
    }
    writeln!(
        out,
        "{}: {} of {} repositories read, {} merged pull requests, {} GraphQL requests, {} points",
        progress.status,
        progress.repos_done,
        progress.repos,
        progress.prs_read,
        progress.requests,
        progress.points
    )?;
    let failed: Vec<_> =
        progress.repositories.iter().filter(|r| r.status == BackfillStatus::Failed).collect();
    for row in &failed {
        writeln!(out, "  {}: {}", row.repo, row.note.as_deref().unwrap_or("failed"))?;
    }
    if !failed.is_empty() {
        anyhow::bail!(
            "{} repositories could not be read (see above); fix the cause and run the command again",
            failed.len()
        );
    }
    Ok(())
}

async fn cmd_status(
    args: BackfillStatusArgs,
    database_url: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let store = Store::connect(database_url).await?;
    let org = args.org.map(|o| o.to_ascii_lowercase());
    let rows = store.backfills(org.as_deref()).await?;
    store.close().await;
    let orgs = OrgProgress::of(rows);
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&serde_json::json!({ "orgs": orgs }))?)?;
        return Ok(());
    }
    if orgs.is_empty() {
        writeln!(
            out,
            "No backfill yet: one starts when the App is installed, or with `mentor-app backfill --org ORG`."
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<24} {:<8} {:>11} {:>9} {:>9} {:>8}",
        "ORG / REPOSITORY", "STATUS", "REPOS DONE", "PRS READ", "REQUESTS", "POINTS"
    )?;
    for o in &orgs {
        writeln!(
            out,
            "{:<24} {:<8} {:>11} {:>9} {:>9} {:>8}",
            o.org,
            o.status,
            format!("{}/{}", o.repos_done, o.repos),
            o.prs_read,
            o.requests,
            o.points
        )?;
        for r in &o.repositories {
            writeln!(
                out,
                "  {:<22} {:<8} {:>11} {:>9} {:>9} {:>8}{}",
                r.repo,
                r.status,
                "",
                r.prs,
                r.requests,
                r.points,
                r.note.as_deref().map(|n| format!("  {n}")).unwrap_or_default()
            )?;
        }
    }
    Ok(())
}
