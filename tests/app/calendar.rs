//! Check-in calendar feeds: `token create --role calendar:<login>` prints the address; the feed is valid iCalendar
//! with one recurring event per running pair; any other token, or another org's, finds nothing.

use mentor_app::store::InstallationStatus;
use std::sync::Arc;

use icalendar::parser::{read_calendar, unfold};
use mentor_app::token::{Role, create_token};
use mentor_core::Login;

use crate::cli::{bin, run_ok};
use crate::util::*;

#[tokio::test]
async fn a_calendar_token_reads_its_feed_and_nothing_else() {
    for backend in backends() {
        let github = ScriptedGitHub::default();
        github.files.lock().unwrap().insert(
            ("acme/api".into(), ".github/mentorship.yml".into()),
            format!(
                "{}checkins: {{ every: 2w, length: 30m, weekday: tue, time: \"10:00\" }}\n",
                config_yaml()
            ),
        );
        let app = TestApp::start(backend, Arc::new(github), |_| {}).await;
        let body = in_repo(&review("bob", "alice", &minutes_ago(60), 1), "acme/api", 1);
        assert_eq!(app.deliver("pull_request_review", "c-1", &body, SECRET).await.status(), 202);
        app.wait_idle().await;
        app.store
            .upsert_installation("globex", 2, InstallationStatus::Active, chrono::Utc::now())
            .await
            .unwrap();

        // The CLI prints the feed's address under the public URL.
        let out = run_ok(bin(&app.db.url).env("MENTOR_PUBLIC_URL", &app.base).args([
            "token",
            "create",
            "--org",
            "acme",
            "--role",
            "calendar:bob",
        ]));
        let url = out.lines().last().unwrap().trim().to_owned();
        assert!(
            url.starts_with(&format!("{}/orgs/acme/calendar/mtr_", app.base))
                && url.ends_with(".ics"),
            "{out}"
        );
        let r = app.http.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/calendar; charset=utf-8");
        let ics = r.text().await.unwrap();
        let unfolded = unfold(&ics);
        let calendar = read_calendar(&unfolded).expect("valid iCalendar");
        let uids: Vec<String> = calendar
            .components
            .iter()
            .filter(|c| c.name == "VEVENT")
            .flat_map(|c| {
                c.properties.iter().filter(|p| p.name == "UID").map(|p| p.val.to_string())
            })
            .collect();
        assert_eq!(uids, ["checkin-acme-bob-alice@mentor", "checkin-acme-bob-carol@mentor"]);
        assert!(ics.contains("RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU\r\n"), "{ics}");
        // Stable: the same feed again (but for its stamp) when nothing changed.
        let again = app.http.get(&url).send().await.unwrap().text().await.unwrap();
        let strip = |s: &str| {
            s.lines().filter(|l| !l.starts_with("DTSTAMP")).collect::<Vec<_>>().join("\n")
        };
        assert_eq!(strip(&again), strip(&ics));

        // Not found: a wrong token, another org's path, a token of another role; a calendar token reads no API.
        let token = url.rsplit('/').next().unwrap().trim_end_matches(".ics").to_owned();
        let manager = create_token(&app.store, "acme", &Role::Manager).await.unwrap();
        let globex =
            create_token(&app.store, "globex", &Role::Calendar(Login::new("bob"))).await.unwrap();
        for path in [
            "/orgs/acme/calendar/mtr_nope.ics".to_owned(),
            format!("/orgs/globex/calendar/{token}.ics"),
            format!("/orgs/acme/calendar/{globex}.ics"),
            format!("/orgs/acme/calendar/{manager}.ics"),
            format!("/orgs/acme/calendar/{token}"),
        ] {
            assert_eq!(app.get(&path, None).await.status(), 404, "{path}");
        }
        assert_eq!(app.get("/api/v1/orgs/acme/load", Some(&token)).await.status(), 403);
        app.stop().await;
    }
}

/// A signed-in mentee makes her feed's address on `/me` (from this site only) and it serves her check-ins.
#[tokio::test]
async fn the_me_page_makes_a_calendar_address_from_this_site_only() {
    let fake = crate::fake_github::FakeGitHub::start().await;
    let github = ScriptedGitHub::default();
    github.files.lock().unwrap().insert(
        ("acme/api".into(), ".github/mentorship.yml".into()),
        format!(
            "{}checkins: {{ every: 1w, length: 30m, weekday: thu, time: \"15:00\" }}\n",
            config_yaml()
        ),
    );
    let (app, client) =
        crate::dashboard::start_with(Backend::Sqlite, &fake, Arc::new(github)).await;
    let body = in_repo(&review("bob", "alice", &minutes_ago(60), 1), "acme/api", 1);
    assert_eq!(app.deliver("pull_request_review", "c-1", &body, SECRET).await.status(), 202);
    app.wait_idle().await;
    fake.sign_in_as("alice");
    let (cookie, _) = crate::dashboard::sign_in(&app, &client, "/").await;
    let me = client.get(format!("{}/me", app.base)).header("cookie", &cookie).send().await.unwrap();
    let me = me.text().await.unwrap();
    assert!(me.contains(r#"<form method="post" action="/orgs/acme/calendar""#), "{me}");
    let post = |origin: &'static str| {
        client
            .post(format!("{}/orgs/acme/calendar", app.base))
            .header("cookie", &cookie)
            .header("origin", origin.replace("SELF", &app.base))
            .send()
    };
    assert_eq!(post("https://evil.example").await.unwrap().status(), 403);
    let page = post("SELF").await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let url = scraper::Html::parse_document(&html)
        .select(&scraper::Selector::parse("input#feed").unwrap())
        .next()
        .and_then(|i| i.value().attr("value").map(str::to_owned))
        .expect("the address is shown");
    assert!(url.starts_with(&format!("{}/orgs/acme/calendar/", app.base)), "{url}");
    let ics = app.http.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(ics.contains("UID:checkin-acme-bob-alice@mentor\r\n"), "{ics}");
    assert!(ics.contains("RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=TH\r\n"));
    app.stop().await;
}
