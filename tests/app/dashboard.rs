//! Sign in with GitHub through the fake GitHub's OAuth endpoints: PKCE, single-use state, sessions kept
//! server-side, logout only from this site. (The dashboard's pages build on this.)

use mentor_app::store::InstallationStatus;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::fake_github::{CLIENT_ID, CLIENT_SECRET, FakeGitHub};
use crate::util::*;

/// A server with sign-in on, against `fake`, and a client that follows no redirects (each step is checked).
async fn start(backend: Backend, fake: &FakeGitHub) -> (TestApp, reqwest::Client) {
    start_with(backend, fake, ScriptedGitHub::with_config("acme/api")).await
}

/// [`start`] with the App's GitHub (configs, roles) given.
pub async fn start_with(
    backend: Backend,
    fake: &FakeGitHub,
    github: std::sync::Arc<ScriptedGitHub>,
) -> (TestApp, reqwest::Client) {
    let api = fake.api_url();
    // GitHub sends the browser back to MENTOR_PUBLIC_URL, so the server listens on a port known beforehand.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = TestApp::start(backend, github, |s| {
        s.listen = format!("127.0.0.1:{port}").parse().unwrap();
        s.public_url = Some(format!("http://127.0.0.1:{port}"));
        s.github_url = api.clone();
        s.github_api_url = api.clone();
        s.github_client_id = Some(CLIENT_ID.into());
        s.github_client_secret = Some(CLIENT_SECRET.parse().unwrap());
    })
    .await;
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    (app, client)
}

/// Returns the load table's rows as the page should show them for the API's `report`.
pub fn load_rows(report: &mentor_core::LoadReport) -> Vec<Vec<String>> {
    report
        .mentors
        .iter()
        .map(|m| {
            vec![
                format!("@{}", m.login.as_str()),
                m.touchpoints.to_string(),
                m.minutes.to_string(),
                m.capacity_minutes.map_or("none set".into(), |c| c.to_string()),
                m.mentees.to_string(),
                serde_json::to_value(m.status).unwrap().as_str().unwrap().to_owned(),
            ]
        })
        .collect()
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers().get(LOCATION).unwrap().to_str().unwrap().to_owned()
}

/// Signs in through the fake GitHub as it would go in a browser; returns the session cookie (`name=value`).
pub async fn sign_in(app: &TestApp, client: &reqwest::Client, next: &str) -> (String, String) {
    let r = client.get(format!("{}/login?next={next}", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let authorize = location(&r);
    let r = client.get(&authorize).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND, "{}", r.text().await.unwrap());
    let callback = location(&r);
    let r = client.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), next);
    let set = r.headers().get(SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    // HttpOnly, and SameSite=Lax: Strict would drop the cookie on GitHub's (cross-site) redirect back. Not
    // Secure: the public URL here is http.
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    assert!(!set.contains("Secure"), "{set}");
    (set.split(';').next().unwrap().to_owned(), callback)
}

#[tokio::test]
async fn sign_in_with_github_starts_a_session_and_logout_ends_it() {
    for backend in backends() {
        let fake = FakeGitHub::start().await;
        fake.sign_in_as("Alice");
        let (app, client) = start(backend, &fake).await;

        // The redirect to GitHub carries the client, the callback under MENTOR_PUBLIC_URL, a state and PKCE.
        let r = client.get(format!("{}/login?next=/me", app.base)).send().await.unwrap();
        let authorize = location(&r);
        assert!(
            authorize.starts_with(&format!("{}/login/oauth/authorize?", fake.api_url())),
            "{authorize}"
        );
        for part in [
            format!("client_id={CLIENT_ID}"),
            "code_challenge_method=S256".to_owned(),
            "state=".to_owned(),
            "redirect_uri=http%3A%2F%2F127.0.0.1".to_owned(),
        ] {
            assert!(authorize.contains(&part), "{part} in {authorize}");
        }

        let (cookie, callback) = sign_in(&app, &client, "/me").await;
        let page =
            client.get(format!("{}/me", app.base)).header(COOKIE, &cookie).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains("signed in with GitHub as <strong>@alice</strong>"), "{html}");
        assert!(
            html.contains(r#"<form method="post" action="/logout""#),
            "every page has a logout form"
        );

        // A used state cannot be used again; a tampered one is refused.
        let again = client.get(&callback).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::BAD_REQUEST);
        assert!(again.text().await.unwrap().contains("This sign-in link is not valid"));
        let tampered = callback.replace("state=", "state=x");
        assert_eq!(client.get(&tampered).send().await.unwrap().status(), StatusCode::BAD_REQUEST);

        // A cross-site logout (or one that cannot be told apart) is refused and leaves the session alone.
        for origin in [Some("https://evil.example"), None] {
            let mut req = client.post(format!("{}/logout", app.base)).header(COOKIE, &cookie);
            if let Some(origin) = origin {
                req = req.header("origin", origin);
            }
            assert_eq!(req.send().await.unwrap().status(), StatusCode::FORBIDDEN, "{origin:?}");
        }
        let still =
            client.get(format!("{}/me", app.base)).header(COOKIE, &cookie).send().await.unwrap();
        assert_eq!(still.status(), StatusCode::OK);

        // Logout from this site ends the session server-side: the same cookie no longer signs anyone in.
        let r = client
            .post(format!("{}/logout", app.base))
            .header(COOKIE, &cookie)
            .header("origin", &app.base)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(r.headers().get(SET_COOKIE).unwrap().to_str().unwrap().contains("Max-Age=0"));
        let after =
            client.get(format!("{}/me", app.base)).header(COOKIE, &cookie).send().await.unwrap();
        assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

#[tokio::test]
async fn githubs_errors_in_a_200_answer_are_a_clear_page_and_redirects_stay_local() {
    let fake = FakeGitHub::start().await;
    fake.sign_in_as("alice");
    let (app, client) = start(Backend::Sqlite, &fake).await;
    // A code GitHub does not know: it answers 200 with `error: bad_verification_code`.
    let r = client.get(format!("{}/login?next=/me", app.base)).send().await.unwrap();
    let r = client.get(location(&r)).send().await.unwrap();
    let callback = location(&r).replace("code=code", "code=nope");
    let page = client.get(&callback).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("GitHub refused the sign-in") && html.contains("bad_verification_code"),
        "{html}"
    );
    // GitHub sent the user back with an error (they declined).
    let declined = client
        .get(format!(
            "{}/auth/github/callback?error=access_denied&error_description=The+user+declined",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(declined.status(), StatusCode::BAD_REQUEST);
    // `next` never leads off this site.
    let (_, _) = sign_in(&app, &client, "/").await;
    let r = client.get(format!("{}/login?next=//evil.example", app.base)).send().await.unwrap();
    let r = client.get(location(&r)).send().await.unwrap();
    let r = client.get(location(&r)).send().await.unwrap();
    assert_eq!(location(&r), "/");
    app.stop().await;
}

#[tokio::test]
async fn without_a_client_id_the_start_page_says_how_to_turn_the_dashboard_on() {
    let app =
        TestApp::start(Backend::Sqlite, ScriptedGitHub::with_config("acme/api"), |_| {}).await;
    let page = app.get("/", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("The dashboard is off") && html.contains("MENTOR_GITHUB_CLIENT_ID"),
        "{html}"
    );
    assert_eq!(app.get("/login", None).await.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

/// The load page shows managers every mentor with the API's numbers, a mentor their own row; a mentee gets 403,
/// someone with no role in the org 404, and a signed-out visitor is sent to sign in first.
#[tokio::test]
async fn the_load_page_shows_each_role_what_it_may_see_with_the_apis_numbers() {
    for backend in backends() {
        let fake = FakeGitHub::start().await;
        let github = ScriptedGitHub::default();
        github.files.lock().unwrap().insert(
            ("acme/api".into(), ".github/mentorship.yml".into()),
            format!("{}privacy: {{ managers: [mona] }}\n", config_yaml()),
        );
        let (app, client) = start_with(backend, &fake, std::sync::Arc::new(github)).await;
        for (i, (mentor, mentee)) in
            [("bob", "alice"), ("bob", "carol"), ("dave", "erin")].iter().enumerate()
        {
            let body = in_repo(
                &review(mentor, mentee, &minutes_ago(60 - i as i64), 10 + i as u64),
                "acme/api",
                1,
            );
            assert_eq!(
                app.deliver("pull_request_review", &format!("l-{i}"), &body, SECRET).await.status(),
                202
            );
        }
        app.wait_idle().await;
        let token =
            mentor_app::token::create_token(&app.store, "acme", &mentor_app::token::Role::Manager)
                .await
                .unwrap();
        let api: mentor_core::LoadReport =
            app.get("/api/v1/orgs/acme/load", Some(&token)).await.json().await.unwrap();
        assert_eq!(api.mentors.len(), 2);

        let page = |cookie: String, path: &'static str| {
            let client = client.clone();
            let base = app.base.clone();
            async move {
                client.get(format!("{base}{path}")).header(COOKIE, cookie).send().await.unwrap()
            }
        };
        // Signed out: sign in first, then back here.
        let r = client.get(format!("{}/orgs/acme/load", app.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/login?next=/orgs/acme/load%3Fsprint%3Dcurrent");

        fake.sign_in_as("mona");
        let (manager, _) = sign_in(&app, &client, "/").await;
        let r = page(manager.clone(), "/orgs/acme/load").await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        // Kept for a reviewer to open (target/ is the build's own folder).
        let _ = std::fs::write(root().join("target/dashboard-load.html"), &html);
        // The table has the API's numbers, row for row.
        let rows = crate::html::table(&html, "Load per mentor");
        let expected = load_rows(&api);
        assert_eq!(rows, expected);
        assert!(
            html.contains(r#"<svg role="img""#) && html.contains("<title id=\"load-title\">"),
            "{html}"
        );
        // The trend's last column is the selected sprint: the same minutes again.
        let trend = crate::html::table(&html, "Minutes per mentor per sprint");
        for (row, m) in trend.iter().zip(&api.mentors) {
            assert_eq!(row.len(), 2 + 6, "mentor, chart, six sprints: {row:?}");
            assert_eq!(row.last().unwrap(), &m.minutes.to_string(), "{row:?}");
        }
        let csv = page(manager.clone(), "/orgs/acme/load.csv").await.text().await.unwrap();
        assert_eq!(
            csv,
            app.get("/api/v1/orgs/acme/load?format=csv", Some(&token)).await.text().await.unwrap()
        );

        // `/me` lists the orgs where you have a role, with links.
        let me = page(manager.clone(), "/me").await.text().await.unwrap();
        assert!(
            me.contains("<strong>acme</strong>: manager")
                && me.contains(r#"href="/orgs/acme/load""#),
            "{me}"
        );

        // A mentor sees their own row only.
        fake.sign_in_as("dave");
        let (dave, _) = sign_in(&app, &client, "/").await;
        let html = page(dave, "/orgs/acme/load").await.text().await.unwrap();
        let rows = crate::html::table(&html, "Load per mentor");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][0], "@dave");

        // A mentee gets 403, someone without a role in the org 404, in words.
        fake.sign_in_as("alice");
        let (alice, _) = sign_in(&app, &client, "/").await;
        let r = page(alice, "/orgs/acme/load").await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r.text().await.unwrap().contains("Load is for managers, admins and mentors"));
        fake.sign_in_as("zed");
        let (zed, _) = sign_in(&app, &client, "/").await;
        let me = page(zed.clone(), "/me").await.text().await.unwrap();
        assert!(me.contains("You have no role in any org"), "{me}");
        let r = page(zed.clone(), "/orgs/acme/load").await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(
            r.text().await.unwrap().contains("There is no org acme here that you have a role in")
        );
        assert_eq!(page(zed, "/orgs/nowhere/load").await.status(), StatusCode::NOT_FOUND);
        app.stop().await;
    }
}

/// `mentor-app demo` serves the dashboard without a GitHub account: `/demo/login?as=<login>` signs in as anyone,
/// and each role sees its view. Outside the demo that route does not exist.
#[tokio::test]
async fn the_demo_signs_in_without_github_and_only_there() {
    let app = TestApp::start(
        Backend::Sqlite,
        std::sync::Arc::new(mentor_app::demo::DemoGitHub::default()),
        |s| {
            s.demo = true;
            s.now = None;
        },
    )
    .await;
    app.store
        .upsert_installation("acme", 7, InstallationStatus::Active, chrono::Utc::now())
        .await
        .unwrap();
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let home = client.get(format!("{}/", app.base)).send().await.unwrap().text().await.unwrap();
    assert_eq!(
        crate::html::links(&home, "mona"),
        ["/demo/login?as=mona&next=/orgs/acme/load"],
        "{home}"
    );
    let as_ = |login: &'static str| {
        let (client, base) = (client.clone(), app.base.clone());
        async move {
            let r = client.get(format!("{base}/demo/login?as={login}")).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
            let set = r.headers().get(SET_COOKIE).unwrap().to_str().unwrap().to_owned();
            set.split(';').next().unwrap().to_owned()
        }
    };
    let load = |cookie: String| {
        let (client, base) = (client.clone(), app.base.clone());
        async move {
            client
                .get(format!("{base}/orgs/acme/load"))
                .header(COOKIE, cookie)
                .send()
                .await
                .unwrap()
        }
    };
    let mona = load(as_("mona").await).await;
    assert_eq!(mona.status(), StatusCode::OK);
    let html = mona.text().await.unwrap();
    let mentors: Vec<String> =
        crate::html::table(&html, "Load per mentor").into_iter().map(|r| r[0].clone()).collect();
    assert!(
        mentors.contains(&"@bob".to_owned()) && mentors.contains(&"@mei".to_owned()),
        "a manager sees every mentor: {mentors:?}"
    );
    assert_eq!(load(as_("alice").await).await.status(), StatusCode::FORBIDDEN);
    // Each printed link lands on that person's page: the mentee's growth has the demo's evidence.
    let r = client.get(format!("{}/demo/login?as=alice&next=/orgs/acme/mentees/alice", app.base));
    let r = r.send().await.unwrap();
    assert_eq!(location(&r), "/orgs/acme/mentees/alice");
    let cookie = r.headers().get(SET_COOKIE).unwrap().to_str().unwrap().split(';').next().unwrap();
    let page = client
        .get(format!("{}/orgs/acme/mentees/alice", app.base))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(!crate::html::texts(&html, ".milestone h4").is_empty(), "{html}");
    let r = client.get(format!("{}/demo/login?as=bob&next=//evil.example", app.base));
    assert_eq!(location(&r.send().await.unwrap()), "/", "next stays on this site");
    app.stop().await;

    // Not a demo: the route is not there.
    let app =
        TestApp::start(Backend::Sqlite, ScriptedGitHub::with_config("acme/api"), |_| {}).await;
    let r = client.get(format!("{}/demo/login?as=mona", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.headers().get(SET_COOKIE).is_none());
    app.stop().await;
}
