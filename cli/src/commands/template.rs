//! `mentor template list|render`: preview review templates locally with the renderer the app uses.
//!
//! This file finds and reads files (the config, the pull request JSON, `.github/mentorship/templates/`) and
//! prints the outcome; parsing, the privacy rules and rendering live in `mentor_core::template`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use clap::{Parser, Subcommand};
use mentor_core::config::PairStatus;
use mentor_core::template::{self, Origin, PullRequest, Template, TemplateError, TemplateSet};
use mentor_core::{Config, Login};

use crate::error::UsageError;
use crate::repo;

/// Where repository templates live, relative to the work tree.
const TEMPLATES_DIR: &str = ".github/mentorship/templates";

/// Preview review templates: the built-ins and those in .github/mentorship/templates/.
#[derive(Debug, Parser)]
#[command(after_help = "Examples:
  mentor template list
  mentor template render review-guide --pr-json pr.json
  gh api repos/acme/api/pulls/42 > pr.json && mentor template render checkin --pr-json pr.json --private")]
pub struct TemplateArgs {
    #[command(subcommand)]
    command: TemplateCommand,
}

#[derive(Debug, Subcommand)]
enum TemplateCommand {
    List(ListArgs),
    Render(RenderArgs),
}

/// List the templates: id, how and when each is posted, where it comes from, and its title.
///
/// A template in .github/mentorship/templates/<id>.md replaces the built-in with the same id, or adds a new
/// one. Every file there is checked (front matter and template syntax), and any error fails the command.
#[derive(Debug, Parser)]
pub struct ListArgs {
    /// Read repository templates from DIR [default: .github/mentorship/templates in the current clone].
    #[arg(long, value_name = "DIR")]
    templates_dir: Option<PathBuf>,
}

/// Render a template for a pull request, exactly as the Mentor app would post it.
///
/// FILE is GitHub's JSON for the pull request: the output of `GET /repos/{owner}/{repo}/pulls/{number}`
/// (for example `gh api repos/acme/api/pulls/42`), or a `pull_request` webhook payload. The mentee is the
/// pull request's author unless --mentee is given, and the mentor is their mentor in the config.
///
/// Rendering is strict: a variable the template does not have is an error naming the file, the line and the
/// variable (exit 1), and nothing is printed. In a public repository milestones are withheld unless the config
/// sets `privacy.milestones_in_public: true`.
#[derive(Debug, Parser)]
#[command(after_help = "Examples:
  mentor template render review-guide --pr-json pr.json
  mentor template render first-pr --pr-json pr.json --mentee alice --private
  mentor template render review-guide --pr-json pr.json --met first-pr --changed-path services/api/retry.rs")]
pub struct RenderArgs {
    /// The template id (see `mentor template list`).
    id: String,

    /// GitHub's pull request JSON.
    #[arg(long, value_name = "FILE")]
    pr_json: PathBuf,

    /// Render for this mentee instead of the pull request's author.
    #[arg(long, value_name = "LOGIN")]
    mentee: Option<String>,

    /// Use this config file instead of the clone's .github/mentorship.yml.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The org's config file, for a config that `_extends` it (the CLI cannot fetch it offline).
    #[arg(long, value_name = "FILE", env = "MENTOR_ORG_CONFIG")]
    org_config: Option<PathBuf>,

    /// Read repository templates from DIR [default: .github/mentorship/templates in the current clone].
    #[arg(long, value_name = "DIR")]
    templates_dir: Option<PathBuf>,

    /// Render as for a public repository [default: from the JSON's `base.repo.private`].
    #[arg(long, conflicts_with = "private")]
    public: bool,

    /// Render as for a private repository.
    #[arg(long)]
    private: bool,

    /// Milestones the mentee has already met (comma-separated or repeated); they are not "in play".
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    met: Vec<String>,

    /// A path the pull request changes (repeatable), so path rules and filters can match.
    #[arg(long, value_name = "PATH")]
    changed_path: Vec<String>,
}

/// Runs `mentor template <subcommand>`.
pub fn cmd_template(args: TemplateArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match args.command {
        TemplateCommand::List(args) => cmd_template_list(args, &mut out),
        TemplateCommand::Render(args) => cmd_template_render(args, &mut out),
    }
}

fn cmd_template_list(args: ListArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let repo = repo::open().ok();
    let set = load_templates(repo.as_ref(), args.templates_dir.as_deref())?;
    let builtin_ids: Vec<String> = template::builtin().into_iter().map(|t| t.id).collect();
    let width = set.ids().map(str::len).max().unwrap_or(2).max(2);
    writeln!(out, "{:<width$}  {:<7}  {:<9}  {:<40}  TITLE", "ID", "KIND", "ON", "SOURCE")?;
    for t in set.iter() {
        let source = match t.origin {
            Origin::Builtin => "built-in".to_string(),
            Origin::Repository if builtin_ids.contains(&t.id) => {
                format!("{} (overrides built-in)", t.file)
            }
            Origin::Repository => t.file.clone(),
        };
        writeln!(
            out,
            "{:<width$}  {:<7}  {:<9}  {:<40}  {}",
            t.id,
            plain(&t.kind),
            plain(&t.on),
            source,
            t.title
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_template_render(args: RenderArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let now = crate::local::now()?;
    let repo = repo::open().ok();
    let config = match (&repo, &args.config) {
        (_, Some(path)) => repo::load_config(path, args.org_config.as_deref())?,
        (Some(repo), None) => {
            repo::load_config(&repo::config_path(repo, None)?, args.org_config.as_deref())?
        }
        (None, None) => bail!(
            "not inside a git repository, and no --config was given\n\nRun mentor from a clone, or pass the mentorship config with --config FILE."
        ),
    };
    let set = load_templates(repo.as_ref(), args.templates_dir.as_deref())?;
    if set.get(&args.id).is_none() {
        let known: Vec<&str> = set.ids().collect();
        return Err(UsageError(format!(
            "unknown template `{}`\n\nKnown templates: {}. Run `mentor template list` to see where each comes from.",
            args.id,
            known.join(", ")
        ))
        .into());
    }

    let mut pr = read_pull_request(&args.pr_json)?;
    if !args.changed_path.is_empty() {
        pr.changed_paths = Some(args.changed_path.clone());
    }
    let mentee = args.mentee.as_deref().map_or_else(|| pr.author.clone(), Login::new);
    let pair = current_pair(&config, &mentee, now)?;
    let public = if args.public {
        true
    } else if args.private {
        false
    } else {
        !pr.private
    };
    let in_play = template::milestones_in_play(&config, pair, &pr, &args.met, now);
    let ctx = template::context(&config, pair, &pr, in_play, &args.met, public, now);
    let text = set.render(&args.id, &ctx).map_err(|e| anyhow!("{e}"))?;
    out.write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Returns the built-ins merged with the repository's templates (every file checked; all errors reported).
fn load_templates(
    repo: Option<&git2::Repository>,
    explicit: Option<&Path>,
) -> anyhow::Result<TemplateSet> {
    // Labels are relative to the work tree for the default directory (as GitHub shows paths), else as given.
    let (dir, label_base) = match (explicit, repo.and_then(|r| r.workdir())) {
        (Some(dir), _) => (dir.to_path_buf(), dir.to_path_buf()),
        (None, Some(workdir)) => (workdir.join(TEMPLATES_DIR), PathBuf::from(TEMPLATES_DIR)),
        (None, None) => return Ok(template::resolve(template::builtin(), Vec::new())),
    };
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
            return Ok(template::resolve(template::builtin(), Vec::new()));
        }
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "cannot read the templates directory {}\n\nCheck the path given to --templates-dir.",
                    dir.display()
                )
            });
        }
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot list the templates directory {}", dir.display()))?;
    files.retain(|p| p.extension().is_some_and(|e| e == "md"));
    files.sort();

    let mut templates: Vec<Template> = Vec::new();
    let mut errors: Vec<TemplateError> = Vec::new();
    for path in files {
        let label = path
            .file_name()
            .map_or_else(|| path.clone(), |name| label_base.join(name))
            .display()
            .to_string();
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the template {label}"))?;
        match template::parse_template(&label, &text) {
            Ok(t) => templates.push(t),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        bail!("{}", list.join("\n"));
    }
    Ok(template::resolve(template::builtin(), templates))
}

/// Reads GitHub's pull request JSON from `path`.
fn read_pull_request(path: &Path) -> anyhow::Result<PullRequest> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the pull request JSON {}\n\nCheck the path given to --pr-json.",
            path.display()
        )
    })?;
    PullRequest::from_github_json(&text).map_err(|e| {
        // Syntax errors have a position; a missing field found after parsing does not.
        let at = if e.line() == 0 {
            path.display().to_string()
        } else {
            format!("{}:{}:{}", path.display(), e.line(), e.column())
        };
        anyhow!(
            "{at}: not a GitHub pull request: {e}\n\nPass the JSON of `GET /repos/{{owner}}/{{repo}}/pulls/{{number}}` (for example from `gh api`), or a pull_request webhook payload."
        )
    })
}

/// Returns `mentee`'s pair in effect at `now` (not ended), or explains why there is none.
fn current_pair<'c>(
    config: &'c Config,
    mentee: &Login,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<&'c mentor_core::config::Pair> {
    let today = config.sprints.local_date(now);
    config
        .pairs
        .iter()
        .find(|p| &p.mentee == mentee && p.covers(today) && p.status != PairStatus::Ended)
        .ok_or_else(|| {
            UsageError(format!(
                "{mentee} is not the mentee of any pair in effect on {today}\n\nTemplates render for a mentor and mentee pair: pass a mentee from the config with --mentee LOGIN."
            ))
            .into()
        })
}

/// Returns the serde name of a unit enum value (`mentee_pr`).
fn plain(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
