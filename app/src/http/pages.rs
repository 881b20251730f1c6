//! Server-rendered pages: the templates (`app/templates/*.html`, auto-escaped by minijinja because their names end
//! in `.html`), the wrapper that renders them and maps errors, and the pages that need no role: `/` and `/me`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use minijinja::{Environment, context};

use super::AppState;
use super::auth::Viewer;

/// The page templates, compiled once.
pub struct Pages {
    env: Environment<'static>,
}

impl Pages {
    /// Returns the templates bundled into the binary.
    pub fn new() -> anyhow::Result<Pages> {
        let mut env = Environment::new();
        for (name, text) in [
            ("base.html", include_str!("../../templates/base.html")),
            ("index.html", include_str!("../../templates/index.html")),
            ("me.html", include_str!("../../templates/me.html")),
            ("load.html", include_str!("../../templates/load.html")),
            ("mentee.html", include_str!("../../templates/mentee.html")),
            ("mentor.html", include_str!("../../templates/mentor.html")),
            ("calendar.html", include_str!("../../templates/calendar.html")),
            ("message.html", include_str!("../../templates/message.html")),
        ] {
            env.add_template(name, text)?;
        }
        Ok(Pages { env })
    }

    /// Renders template `name` with `ctx`; a template error is logged and answered as a plain 500.
    pub fn render(&self, status: StatusCode, name: &str, ctx: minijinja::Value) -> Response {
        match self.env.get_template(name).and_then(|t| t.render(ctx)) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(template = name, error = format!("{e:#}"), "page template failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    }

    /// Renders a page that says what happened and what to do, with `status`.
    pub fn message(
        &self,
        status: StatusCode,
        viewer: Option<&str>,
        sign_in: bool,
        heading: &str,
        message: &str,
        hint: &str,
    ) -> Response {
        self.render(status, "message.html", context! { viewer, sign_in, heading, message, hint })
    }
}

/// Returns the routes of the pages that need no role.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/", get(index)).route("/me", get(me))
}

/// `GET /`: what Mentor is and how to sign in (or how to turn the dashboard on); signed in, who you are.
async fn index(State(state): State<Arc<AppState>>, viewer: Viewer) -> Response {
    let sign_in = state.sign_in.is_some();
    let demo = state.demo;
    state.pages.render(
        StatusCode::OK,
        "index.html",
        context! {
            viewer => viewer.login(),
            sign_in,
            demo,
            demo_org => crate::demo::DEMO_REPO.split('/').next(),
        },
    )
}

/// `GET /me`: the signed-in person; signed out, a sign-in prompt.
async fn me(State(state): State<Arc<AppState>>, viewer: Viewer) -> Response {
    let sign_in = state.sign_in.is_some();
    match viewer.login() {
        Some(login) => {
            let orgs: Vec<minijinja::Value> =
                super::dashboard::orgs_of(&state, &mentor_core::Login::new(login))
                    .await
                    .into_iter()
                    .map(|(org, roles)| {
                        let mut names = Vec::new();
                        for (has, name) in [
                            (roles.admin, "admin"),
                            (roles.manager, "manager"),
                            (roles.mentor, "mentor"),
                            (roles.mentee, "mentee"),
                        ] {
                            if has {
                                names.push(name);
                            }
                        }
                        let sees_load = roles.admin || roles.manager || roles.mentor;
                        context! {
                            org,
                            roles => names.join(", "),
                            sees_load,
                            mentor => roles.mentor,
                            mentee => roles.mentee,
                        }
                    })
                    .collect();
            state.pages.render(
                StatusCode::OK,
                "me.html",
                context! { viewer => login, sign_in, orgs },
            )
        }
        None => state.pages.message(
            StatusCode::UNAUTHORIZED,
            None,
            sign_in,
            "Sign in first",
            "This page shows who you are once you are signed in with GitHub.",
            if sign_in {
                "Use “Sign in with GitHub” above."
            } else {
                "The dashboard is off on this server."
            },
        ),
    }
}
