//! `mentor-app setup` against the fake GitHub: the manifest flow end to end (the local page, GitHub's form, the
//! redirect back, the one-time conversion), the env file (mode 0600, secrets never printed) that `serve --env-file`
//! then runs on, and the refusals: a localhost public URL, existing credentials, a replayed state, an App created
//! under another owner, `--import` of a key that is not one.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use reqwest::StatusCode;

use crate::cli::bin;
use crate::fake_github::FakeGitHub;
use crate::html::links;
use crate::util::*;

/// Starts `setup` with `extra` arguments; returns the process and the local page's address.
fn start_setup(
    fake: &FakeGitHub,
    out: &std::path::Path,
    extra: &[&str],
) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    let mut child = bin("unused.db")
        .args(["setup", "--public-url", "https://mentor.example.com", "--github-url"])
        .arg(fake.api_url())
        .arg("--github-api-url")
        .arg(fake.api_url())
        .arg("--out")
        .arg(out)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let err_tx = tx.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = err_tx.send(line);
        }
    });
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("setup printed its address").unwrap();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    (child, url, rx)
}

/// Reads the setup page's form: where it posts, and the manifest.
async fn form(client: &reqwest::Client, page: &str) -> (String, String) {
    let html = client.get(page).send().await.unwrap().text().await.unwrap();
    let doc = scraper::Html::parse_document(&html);
    let form = doc.select(&scraper::Selector::parse("form").unwrap()).next().expect("a form");
    let action = form.value().attr("action").unwrap().to_owned();
    let manifest = doc
        .select(&scraper::Selector::parse("input[name=manifest]").unwrap())
        .next()
        .and_then(|i| i.value().attr("value").map(str::to_owned))
        .unwrap();
    (action, manifest)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

#[tokio::test]
async fn setup_registers_the_app_through_the_manifest_flow_and_serve_runs_on_its_env_file() {
    let fake = FakeGitHub::start().await;
    fake.sign_in_as("mona");
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join("mentor.env");
    let (mut child, page, output) = start_setup(&fake, &env, &["--org", "acme"]);
    let client = client();
    let (action, manifest) = form(&client, &page).await;
    assert!(
        action.starts_with(&format!(
            "{}/organizations/acme/settings/apps/new?state=",
            fake.api_url()
        )),
        "{action}"
    );
    let m: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(m["hook_attributes"]["url"], "https://mentor.example.com/webhook");
    assert_eq!(m["callback_urls"][0], "https://mentor.example.com/auth/github/callback");
    assert_eq!(m["redirect_url"], format!("{page}setup/callback"));
    assert_eq!(m["default_permissions"]["pull_requests"], "write");
    assert_eq!(m["public"], false);

    // A replayed or forged state is refused, and setup keeps waiting.
    let forged =
        client.get(format!("{page}setup/callback?code=x&state=nope")).send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    // The browser posts the manifest to GitHub, which sends it back with a code.
    let r = client.post(&action).form(&[("manifest", manifest.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND, "{}", r.text().await.unwrap());
    let back = r.headers()["location"].to_str().unwrap().to_owned();
    let done = client.get(&back).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let html = done.text().await.unwrap();
    let app = &fake.registered_apps()[0];
    let install =
        format!("{}/apps/{}/installations/new", fake.api_url(), app["slug"].as_str().unwrap());
    assert_eq!(links(&html, "Install the App"), std::slice::from_ref(&install));
    assert!(child.wait().unwrap().success(), "setup exits once done");
    let printed: Vec<String> = output.try_iter().collect();
    let printed = printed.join("\n");
    assert!(printed.contains(&format!("Install the App: {install}")), "{printed}");
    assert!(printed.contains("mentor-app serve --env-file"), "{printed}");
    // The code works once: GitHub was asked exactly once.
    assert_eq!(fake.count("/app-manifests/"), 1);

    // The env file: mode 0600, every credential, none of them printed.
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(&env).unwrap().permissions().mode() & 0o777, 0o600);
    let vars: std::collections::HashMap<String, String> =
        dotenvy::from_path_iter(&env).unwrap().map(Result::unwrap).collect();
    assert_eq!(vars["MENTOR_APP_ID"], app["id"].to_string());
    assert_eq!(vars["MENTOR_PRIVATE_KEY"].trim_end(), app["pem"].as_str().unwrap().trim_end());
    assert_eq!(vars["MENTOR_WEBHOOK_SECRET"], app["webhook_secret"].as_str().unwrap());
    assert_eq!(vars["MENTOR_GITHUB_CLIENT_ID"], app["client_id"].as_str().unwrap());
    assert_eq!(vars["MENTOR_PUBLIC_URL"], "https://mentor.example.com");
    for secret in ["webhook_secret", "client_secret"] {
        assert!(!printed.contains(app[secret].as_str().unwrap()), "{secret} printed");
    }
    assert!(!printed.contains("PRIVATE KEY"));

    // Without --force, a second run refuses to overwrite those credentials.
    let again = bin("unused.db")
        .args(["setup", "--public-url", "https://mentor.example.com", "--out"])
        .arg(&env)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds credentials"),
        "{again:?}"
    );

    // `serve --env-file` runs on it: the App's key signs GitHub requests, sign-in uses its client id.
    let db = TestDb::new(Backend::Sqlite).await;
    let mut serve = bin(&db.url)
        .args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0", "--env-file"])
        .arg(&env)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(serve.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("serve exited before serving").unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if v["fields"]["message"] == "serving" {
            break v["fields"]["addr"].as_str().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let login = client.get(format!("http://{addr}/login")).send().await.unwrap();
    let to = login.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.contains(&format!("client_id={}", app["client_id"].as_str().unwrap())), "{to}");
    assert!(to.starts_with(&format!("{}/login/oauth/authorize", fake.api_url())), "{to}");
    let _ = serve.kill();
    let _ = serve.wait();
}

#[tokio::test]
async fn setup_refuses_what_would_not_work() {
    let fake = FakeGitHub::start().await;
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join("mentor.env");
    // GitHub cannot reach localhost.
    for url in
        ["http://localhost:3000", "http://127.0.0.1:3000", "https://[::1]/", "http://mentor.local"]
    {
        let r = bin("unused.db")
            .args(["setup", "--public-url", url, "--out"])
            .arg(&env)
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(1), "{url}");
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert!(
            stderr.contains("only reachable from this machine") && stderr.contains("tunnel"),
            "{url}: {stderr}"
        );
    }
    // The App was created under another owner than the org asked for: nothing is written.
    fake.sign_in_as("mona");
    let (mut child, page, _) = start_setup(&fake, &env, &["--org", "acme"]);
    let client = client();
    let (_, manifest) = form(&client, &page).await;
    let wrong = format!("{}/settings/apps/new?state=", fake.api_url());
    let action = form(&client, &page).await.0;
    let state = action.split("state=").nth(1).unwrap();
    let r = client
        .post(format!("{wrong}{state}"))
        .form(&[("manifest", manifest.as_str())])
        .send()
        .await
        .unwrap();
    let back = r.headers()["location"].to_str().unwrap().to_owned();
    let refused = client.get(&back).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(refused.text().await.unwrap().contains("under @mona, not under the organization acme"));
    assert!(!env.exists(), "no credentials written");
    let _ = child.kill();
    let _ = child.wait();

    // --import checks the key and writes the same file.
    let not_a_key = dir.path().join("key.pem");
    std::fs::write(&not_a_key, "hello").unwrap();
    let args = |key: &std::path::Path| {
        let mut cmd = bin("unused.db");
        cmd.args([
            "setup",
            "--public-url",
            "https://mentor.example.com",
            "--import",
            "--app-id",
            "7",
            "--webhook-secret",
            "s3cret",
            "--client-id",
            "Iv1.x",
            "--client-secret",
            "cs",
            "--private-key-file",
        ])
        .arg(key)
        .arg("--out")
        .arg(&env);
        cmd
    };
    let r = args(&not_a_key).output().unwrap();
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("is not an RSA private key"), "{r:?}");
    let key = dir.path().join("app.pem");
    std::fs::write(&key, crate::fake_github::private_key_pem()).unwrap();
    let r = args(&key).output().unwrap();
    assert!(r.status.success(), "{r:?}");
    let vars: std::collections::HashMap<String, String> =
        dotenvy::from_path_iter(&env).unwrap().map(Result::unwrap).collect();
    assert_eq!(
        (vars["MENTOR_APP_ID"].as_str(), vars["MENTOR_WEBHOOK_SECRET"].as_str()),
        ("7", "s3cret")
    );
    assert!(!String::from_utf8_lossy(&r.stdout).contains("s3cret"));
    // --import without its credentials names what is missing.
    let r = bin("unused.db")
        .args(["setup", "--public-url", "https://m.example.com", "--import"])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--app-id"), "{r:?}");
}
