//! The operator's privacy commands: `person export`, `person erase` and `access-log`.
//!
//! What a person's data is, and what erasing does, is [`crate::person`]'s; this module parses nothing, asks for
//! the confirmation and renders the answers to the writers it is given.

use std::io::{BufRead, Write};

use anyhow::Context;
use chrono::{SecondsFormat, Utc};

use crate::person::{self, PersonExport};
use crate::settings::{AccessLogArgs, PersonCommand, PersonEraseArgs, PersonExportArgs};
use crate::store::Store;

/// Runs `person export|erase`; `input` answers the confirmation, `err` gets the prompt and notes.
pub async fn cmd_person(
    cmd: PersonCommand,
    database_url: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
    input: &mut dyn BufRead,
) -> anyhow::Result<()> {
    let store = Store::connect(database_url).await?;
    let result = match cmd {
        PersonCommand::Export(args) => cmd_export(&store, args, out, err).await,
        PersonCommand::Erase(args) => cmd_erase(&store, args, out, err, input).await,
    };
    store.close().await;
    result
}

async fn cmd_export(
    store: &Store,
    args: PersonExportArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let org = person::known_org(store, &args.org).await.context("--org")?;
    let login = person::parse_login(&args.login)?;
    let export = person::export(store, &org, &login, Utc::now()).await?;
    let json = serde_json::to_string_pretty(&export)?;
    match &args.out {
        Some(path) => {
            write_private(path, &json)?;
            writeln!(
                out,
                "Wrote what is stored about @{} in {org} to {}.",
                login.as_str(),
                path.display()
            )?;
        }
        None => writeln!(out, "{json}")?,
    }
    if export.is_empty() {
        writeln!(err, "Nothing is stored about @{} in org {org}.", login.as_str())?;
    }
    Ok(())
}

/// Writes `text` to the new file `path`, readable by its owner only (it holds a person's data).
fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "--out: {} already exists\n\nChoose a new file name; an export is never written over a file.",
                path.display()
            )
        } else {
            anyhow::anyhow!("--out: cannot create {}: {e}", path.display())
        }
    })?;
    file.write_all(format!("{text}\n").as_bytes())
        .with_context(|| format!("--out: cannot write {}", path.display()))
}

/// Returns who runs the erasure: `--by`, else the OS user.
fn eraser(by: Option<&str>) -> anyhow::Result<String> {
    let by = by
        .map(str::to_owned)
        .or_else(|| ["USER", "USERNAME", "LOGNAME"].iter().find_map(|v| std::env::var(v).ok()));
    match by.map(|b| b.trim().to_string()).filter(|b| !b.is_empty()) {
        Some(b) => Ok(b),
        None => anyhow::bail!(
            "cannot tell who is erasing: USER is not set\n\nPass --by <your login>; it is recorded with the erasure."
        ),
    }
}

async fn cmd_erase(
    store: &Store,
    args: PersonEraseArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    input: &mut dyn BufRead,
) -> anyhow::Result<()> {
    let org = person::known_org(store, &args.org).await.context("--org")?;
    let login = person::parse_login(&args.login)?;
    let by = eraser(args.by.as_deref())?;
    if !args.yes {
        let export = person::export(store, &org, &login, Utc::now()).await?;
        if export.is_empty() {
            return Err(person::PersonError::NothingStored {
                org,
                login: login.as_str().to_string(),
            }
            .into());
        }
        write!(
            err,
            "This deletes {} of @{} in {org} and replaces their growth journal with a removal note.\n\
             Type the login to erase it: ",
            summary(&export),
            login.as_str()
        )?;
        err.flush()?;
        let mut answer = String::new();
        input.read_line(&mut answer).context("reading the confirmation")?;
        if answer.trim().trim_start_matches('@').to_ascii_lowercase() != login.as_str() {
            anyhow::bail!(
                "not confirmed: nothing was erased\n\nType the login exactly to confirm, or pass --yes."
            );
        }
    }
    let done = person::erase(store, &org, &login, &by, Utc::now()).await?;
    let e = &done.erased;
    writeln!(
        out,
        "Erased @{} in {org}: {} touchpoints, {} evidence, {} tokens, {} sessions, {} snoozes, {} access-log rows.",
        login.as_str(),
        e.touchpoints,
        e.evidence,
        e.tokens,
        e.sessions,
        e.snoozes,
        e.access_log
    )?;
    for j in &done.journals {
        let issue = j.issue.map(|n| format!("#{n}")).unwrap_or_else(|| "(not written yet)".into());
        writeln!(
            out,
            "Planned the removal note on growth journal {}{issue}; the server sends it (`mentor-app outbox list`).",
            j.repo
        )?;
    }
    writeln!(out, "Recorded the erasure by {by}.")?;
    writeln!(
        out,
        "\nMentor does not change the config: remove @{login} from `people` and `pairs` in {org}'s \
         .github/mentorship.yml, or their new activity is stored again. Raw webhook payloads are cleared by \
         MENTOR_PAYLOAD_RETENTION.",
        login = login.as_str()
    )?;
    Ok(())
}

/// Returns "3 touchpoints, 2 evidence, …" for the non-empty kinds of `export`.
fn summary(export: &PersonExport) -> String {
    let r = &export.rows;
    let parts: Vec<String> = [
        (r.touchpoints.len(), "touchpoints"),
        (r.evidence.len(), "evidence"),
        (r.tokens.len(), "tokens"),
        (r.sessions.len(), "sessions"),
        (r.snoozes.len(), "snoozes"),
        (r.access_log.len(), "access-log rows"),
        (export.journals.len(), "journals"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    parts.join(", ")
}

/// Runs `access-log`.
pub async fn cmd_access_log(
    args: AccessLogArgs,
    database_url: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let store = Store::connect(database_url).await?;
    let result = async {
        let org = person::known_org(&store, &args.org).await.context("--org")?;
        let subject =
            args.subject.as_deref().map(person::parse_login).transpose().context("--subject")?;
        let since = args.since.map(|s| s.start(Utc::now()));
        store.access_log(&org, subject.as_ref().map(|l| l.as_str()), since).await
    }
    .await;
    store.close().await;
    let entries = result?;
    if args.json {
        let doc = serde_json::json!({ "entries": entries });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(());
    }
    if entries.is_empty() {
        writeln!(out, "No reads recorded.")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<20} {:<8} {:<24} {:<20} {:<8} ROUTE",
        "AT", "VIA", "READER", "SUBJECT", "WHAT"
    )?;
    for e in &entries {
        writeln!(
            out,
            "{:<20} {:<8} {:<24} {:<20} {:<8} {}",
            e.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            e.reader_kind,
            e.reader,
            e.subject,
            e.what,
            e.route
        )?;
    }
    Ok(())
}
