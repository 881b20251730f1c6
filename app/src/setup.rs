//! `mentor-app setup`: registers Mentor as a GitHub App through GitHub's manifest flow and writes the App's
//! credentials to an env file for `mentor-app serve --env-file`.
//!
//! The flow (<https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest>): a local
//! page posts the manifest (`.github/app.yml`, with the webhook and sign-in URLs under `--public-url`) to GitHub
//! with a random `state`; GitHub creates the App and sends the browser back to the local page with a `code`;
//! setup checks the `state`, trades the code once at `POST {api}/app-manifests/{code}/conversions` for the App's
//! id, key, webhook secret and client credentials, checks the App's owner is the org asked for, writes them with
//! mode 0600 (never printing or logging them), prints the installation URL and the `serve` command, and exits.
//! `--import` writes the credentials of an App made by hand instead.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use minijinja::{Environment, context};
use serde::Deserialize;
use tokio::sync::oneshot;

use crate::settings::SetupArgs;

/// The manifest's source: permissions and events, least privilege (URLs are filled in per run).
const MANIFEST: &str = include_str!("../../.github/app.yml");

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ heading }} · Mentor setup</title>
<style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; }
code { overflow-wrap: anywhere; }</style></head>
<body><main>
<h1>{{ heading }}</h1>
{% if form %}
<p>This registers a GitHub App named <strong>{{ name }}</strong> {% if org %}owned by the organization <strong>{{ org }}</strong>{% else %}under your own account{% endif %}.
GitHub will send webhooks to <code>{{ webhook }}</code> and sign people in through <code>{{ callback }}</code>.</p>
<form method="post" action="{{ action }}">
<input type="hidden" name="manifest" value="{{ manifest }}">
<button type="submit">Create the GitHub App on GitHub</button>
</form>
{% endif %}
{% if message %}<p>{{ message }}</p>{% endif %}
{% if install %}<p><a href="{{ install }}">Install the App</a> on the repositories Mentor should watch, then run:</p>
<pre><code>{{ serve }}</code></pre>{% endif %}
</main></body></html>
"#;

/// What GitHub answers the manifest conversion with (the fields setup uses).
#[derive(Deserialize)]
struct Conversion {
    id: u64,
    slug: String,
    name: String,
    owner: Option<Owner>,
    html_url: String,
    client_id: String,
    client_secret: String,
    webhook_secret: Option<String>,
    pem: String,
}

#[derive(Deserialize)]
struct Owner {
    login: String,
}

/// The credentials written to the env file.
struct Credentials {
    app_id: u64,
    pem: String,
    webhook_secret: String,
    client_id: String,
    client_secret: String,
    /// For the file's header: the App's name and page.
    label: String,
}

/// One setup run's state, shared with the local page's handlers.
struct Run {
    args: SetupArgs,
    api_url: String,
    state: String,
    manifest: String,
    name: String,
    pages: Environment<'static>,
    /// Told the installation URL once the credentials are written.
    done: Mutex<Option<oneshot::Sender<String>>>,
}

/// Runs `setup`.
pub async fn cmd_setup(args: SetupArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let public_url = args.public_url.trim().trim_end_matches('/').to_owned();
    check_public_url(&public_url)?;
    refuse_overwrite(&args.out, args.force)?;
    let github_url = args.github_url.trim().trim_end_matches('/').to_owned();
    let api_url = match &args.github_api_url {
        Some(url) => url.trim().trim_end_matches('/').to_owned(),
        None if github_url == "https://github.com" => "https://api.github.com".to_owned(),
        None => format!("{github_url}/api/v3"),
    };
    if args.import {
        return import(&args, &public_url, &github_url, &api_url, out);
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("--listen: cannot listen on {}", args.listen))?;
    let local: SocketAddr = listener.local_addr()?;
    let org = args.org.as_deref().map(|o| o.trim().trim_start_matches('@').to_owned());
    let name = args.name.clone().unwrap_or_else(|| match &org {
        Some(org) => format!("Mentor for {org}"),
        None => "Mentor".to_owned(),
    });
    let manifest = manifest(&name, &public_url, &format!("http://{local}/setup/callback"))?;
    let mut pages = Environment::new();
    pages.add_template("page.html", PAGE)?;
    let (done_tx, done_rx) = oneshot::channel();
    let run = Arc::new(Run {
        args: SetupArgs { org: org.clone(), ..args },
        api_url,
        state: hex::encode(rand::random::<[u8; 16]>()),
        manifest,
        name,
        pages,
        done: Mutex::new(Some(done_tx)),
    });
    let router = Router::new()
        .route("/", get(start))
        .route("/setup/callback", get(callback))
        .with_state(Arc::clone(&run));
    writeln!(
        out,
        "Open http://{local}/ in a browser on this machine to register Mentor on GitHub."
    )?;
    out.flush()?;
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            })
            .await
    });
    let install = done_rx.await.context("the setup page stopped before GitHub sent you back")?;
    // Let the browser get its page before the server goes away.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let _ = stop_tx.send(());
    let _ = server.await;
    writeln!(out, "Credentials written to {} (mode 0600).", run.args.out.display())?;
    writeln!(out, "Install the App: {install}")?;
    writeln!(out, "Then start Mentor: mentor-app serve --env-file {}", run.args.out.display())?;
    Ok(())
}

/// Refuses a public URL GitHub cannot reach.
fn check_public_url(url: &str) -> anyhow::Result<()> {
    let parsed = reqwest::Url::parse(url).ok().filter(|u| matches!(u.scheme(), "http" | "https"));
    let Some(host) = parsed.as_ref().and_then(|u| u.host_str()).map(str::to_ascii_lowercase) else {
        anyhow::bail!(
            "--public-url {url:?} is not an http(s) URL\n\nUse Mentor's external address, like https://mentor.example.com."
        );
    };
    let local = match host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>()
    {
        Ok(ip) => ip.is_loopback() || ip.is_unspecified(),
        Err(_) => host == "localhost" || host.ends_with(".localhost") || host.ends_with(".local"),
    };
    if local {
        anyhow::bail!(
            "--public-url {url} is only reachable from this machine, so GitHub could not deliver webhooks to it\n\n\
             Use an address GitHub can reach: the server's public URL, or a tunnel to `mentor-app serve` \
             (smee.io, cloudflared, ngrok) while you try Mentor out."
        );
    }
    Ok(())
}

/// Refuses to overwrite an env file that holds credentials, unless forced.
fn refuse_overwrite(out: &Path, force: bool) -> anyhow::Result<()> {
    if force {
        return Ok(());
    }
    if let Ok(text) = std::fs::read_to_string(out)
        && text.lines().any(|l| l.trim_start().starts_with("MENTOR_APP_ID="))
    {
        anyhow::bail!(
            "{} already holds credentials of a GitHub App\n\nRun with --force to replace them, or --out to write another file.",
            out.display()
        );
    }
    Ok(())
}

/// Returns the manifest JSON: `.github/app.yml` with this run's name and URLs.
fn manifest(name: &str, public_url: &str, redirect_url: &str) -> anyhow::Result<String> {
    let mut manifest: serde_json::Value =
        serde_saphyr::from_str(MANIFEST).context("the bundled .github/app.yml is not valid")?;
    manifest["name"] = name.into();
    manifest["url"] = public_url.into();
    manifest["hook_attributes"] =
        serde_json::json!({ "url": format!("{public_url}/webhook"), "active": true });
    manifest["redirect_url"] = redirect_url.into();
    manifest["callback_urls"] = serde_json::json!([format!("{public_url}/auth/github/callback")]);
    manifest["request_oauth_on_install"] = false.into();
    manifest["public"] = false.into();
    Ok(manifest.to_string())
}

fn page(run: &Run, status: StatusCode, ctx: minijinja::Value) -> Response {
    match run.pages.get_template("page.html").and_then(|t| t.render(ctx)) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("page failed: {e}")).into_response(),
    }
}

/// `GET /`: the form that posts the manifest to GitHub.
async fn start(State(run): State<Arc<Run>>) -> Response {
    let github = run.args.github_url.trim().trim_end_matches('/');
    let action = match &run.args.org {
        Some(org) => format!("{github}/organizations/{org}/settings/apps/new?state={}", run.state),
        None => format!("{github}/settings/apps/new?state={}", run.state),
    };
    let public = run.args.public_url.trim().trim_end_matches('/');
    page(
        &run,
        StatusCode::OK,
        context! {
            heading => "Register Mentor on GitHub",
            form => true,
            name => run.name,
            org => run.args.org,
            webhook => format!("{public}/webhook"),
            callback => format!("{public}/auth/github/callback"),
            action,
            manifest => run.manifest,
        },
    )
}

#[derive(Deserialize)]
struct Back {
    code: Option<String>,
    state: Option<String>,
}

/// `GET /setup/callback?code=…&state=…`: trades the code for the App's credentials and writes them.
async fn callback(State(run): State<Arc<Run>>, Query(back): Query<Back>) -> Response {
    let refuse = |status, message: String| {
        page(&run, status, context! { heading => "Setup did not finish", message })
    };
    if back.state.as_deref() != Some(run.state.as_str()) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "This link does not belong to this setup run (its state does not match). Start again from the setup page.".into(),
        );
    }
    let Some(code) = back.code.filter(|c| {
        !c.is_empty() && c.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "GitHub sent no code back. Start again from the setup page.".into(),
        );
    };
    let conversion = match convert(&run.api_url, &code).await {
        Ok(c) => c,
        Err(e) => return refuse(StatusCode::BAD_GATEWAY, format!("{e:#}")),
    };
    if let Some(org) = &run.args.org {
        let owner = conversion.owner.as_ref().map(|o| o.login.as_str()).unwrap_or_default();
        if !owner.eq_ignore_ascii_case(org) {
            return refuse(
                StatusCode::CONFLICT,
                format!(
                    "GitHub created the App {} under @{owner}, not under the organization {org} you asked for, so no \
                     credentials were written. Delete it on its settings page ({}) and run setup again.",
                    conversion.name, conversion.html_url
                ),
            );
        }
    }
    let Some(webhook_secret) = conversion.webhook_secret.clone().filter(|s| !s.is_empty()) else {
        return refuse(StatusCode::BAD_GATEWAY, "GitHub returned the App without a webhook secret; set one on its settings page and run setup with --import.".into());
    };
    let credentials = Credentials {
        app_id: conversion.id,
        pem: conversion.pem.clone(),
        webhook_secret,
        client_id: conversion.client_id.clone(),
        client_secret: conversion.client_secret.clone(),
        label: format!("{} ({})", conversion.name, conversion.html_url),
    };
    let github = run.args.github_url.trim().trim_end_matches('/');
    let public = run.args.public_url.trim().trim_end_matches('/');
    if let Err(e) =
        write_env(&run.args.out, run.args.force, &credentials, public, github, &run.api_url)
    {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"));
    }
    let install = format!("{github}/apps/{}/installations/new", conversion.slug);
    if let Some(done) = run.done.lock().unwrap_or_else(|p| p.into_inner()).take() {
        let _ = done.send(install.clone());
    }
    page(
        &run,
        StatusCode::OK,
        context! {
            heading => "Mentor is registered",
            message => format!("The App {} exists and its credentials are in {} (mode 0600).", conversion.name, run.args.out.display()),
            install,
            serve => format!("mentor-app serve --env-file {}", run.args.out.display()),
        },
    )
}

/// `POST {api}/app-manifests/{code}/conversions`, once.
async fn convert(api_url: &str, code: &str) -> anyhow::Result<Conversion> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .user_agent(concat!("mentor-app/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let r = client
        .post(format!("{api_url}/app-manifests/{code}/conversions"))
        .header("accept", "application/vnd.github+json")
        .header("x-github-api-version", "2022-11-28")
        .send()
        .await
        .with_context(|| format!("GitHub ({api_url}) could not be reached"))?;
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    if !status.is_success() {
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or(body);
        anyhow::bail!(
            "GitHub refused to hand over the new App's credentials ({status}: {message}). A code works once and for an \
             hour; start again from the setup page."
        );
    }
    serde_json::from_str(&body)
        .context("GitHub's answer to the manifest conversion could not be read")
}

/// `--import`: the credentials of an App made by hand, checked, written like the manifest flow's.
fn import(
    args: &SetupArgs,
    public_url: &str,
    github_url: &str,
    api_url: &str,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    let missing = |flag: &str| anyhow::anyhow!("--import needs {flag}");
    let key_path = args.private_key_file.as_ref().ok_or_else(|| missing("--private-key-file"))?;
    let pem = std::fs::read_to_string(key_path)
        .with_context(|| format!("--private-key-file: cannot read {}", key_path.display()))?;
    jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).with_context(|| {
        format!("--private-key-file: {} is not an RSA private key in PEM form (the .pem GitHub lets you download)", key_path.display())
    })?;
    let credentials = Credentials {
        app_id: args.app_id.ok_or_else(|| missing("--app-id"))?,
        pem,
        webhook_secret: args
            .webhook_secret
            .as_ref()
            .ok_or_else(|| missing("--webhook-secret"))?
            .expose()
            .to_owned(),
        client_id: args.client_id.clone().ok_or_else(|| missing("--client-id"))?,
        client_secret: args
            .client_secret
            .as_ref()
            .ok_or_else(|| missing("--client-secret"))?
            .expose()
            .to_owned(),
        label: "imported by hand".to_owned(),
    };
    write_env(&args.out, args.force, &credentials, public_url, github_url, api_url)?;
    writeln!(out, "Credentials written to {} (mode 0600).", args.out.display())?;
    writeln!(out, "Then start Mentor: mentor-app serve --env-file {}", args.out.display())?;
    Ok(())
}

/// Writes the env file with mode 0600 (created that way, never widened in between).
fn write_env(
    path: &Path,
    force: bool,
    c: &Credentials,
    public_url: &str,
    github_url: &str,
    api_url: &str,
) -> anyhow::Result<()> {
    refuse_overwrite(path, force)?;
    let quote = |v: &str| format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""));
    let mut text = format!(
        "# Mentor: credentials of the GitHub App {}, written by `mentor-app setup`.\n\
         # Keep this file secret. Start the server with: mentor-app serve --env-file {}\n\
         MENTOR_PUBLIC_URL={}\nMENTOR_APP_ID={}\nMENTOR_WEBHOOK_SECRET={}\nMENTOR_GITHUB_CLIENT_ID={}\n\
         MENTOR_GITHUB_CLIENT_SECRET={}\nMENTOR_PRIVATE_KEY={}\n",
        c.label,
        path.display(),
        quote(public_url),
        c.app_id,
        quote(&c.webhook_secret),
        quote(&c.client_id),
        quote(&c.client_secret),
        quote(c.pem.trim_end()),
    );
    if github_url != "https://github.com" {
        text.push_str(&format!("MENTOR_GITHUB_URL={}\n", quote(github_url)));
    }
    if api_url != "https://api.github.com" {
        text.push_str(&format!("MENTOR_GITHUB_API_URL={}\n", quote(api_url)));
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file =
        options.open(path).with_context(|| format!("--out: cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        // An existing file keeps its mode on open: narrow it before the secrets go in.
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())
        .with_context(|| format!("--out: cannot write {}", path.display()))?;
    file.sync_all()?;
    Ok(())
}
