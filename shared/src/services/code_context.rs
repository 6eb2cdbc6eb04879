//! Code context: the source lines around an error event's in-app frames that arrived without
//! them, read from GitHub at the event's release commit (the contents API, with the token of the
//! tenant's GitHub destination for the repository) and cached per file and commit. The event is
//! stored back enriched, so it is read from GitHub once.

use crate::domain::error_event::Frame;
use crate::domain::notification::Target;
use crate::domain::{ErrorEvent, TenantId};
use crate::store::{PageRequest, SourceFile, StoreError};
use crate::AppState;

/// In-app frames filled per event.
const FRAMES: usize = 10;
/// Paths tried per frame (its file name, then its absolute path less leading directories).
const PATHS_PER_FRAME: usize = 3;
/// Lines kept on each side of the failing one.
const AROUND: usize = 5;
/// Largest file read (larger ones are not shown, and not fetched again).
pub const MAX_FILE_BYTES: usize = 256 * 1024;

/// A release that names a commit: 7 to 40 hex digits.
fn commit_of(release: Option<&str>) -> Option<&str> {
    release.filter(|r| (7..=40).contains(&r.len()) && r.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Where a frame's file may be in the repository: its file name as given, then its absolute
/// path with one, two, three leading directories dropped (`/srv/app/pump/flow.py` →
/// `app/pump/flow.py`, `pump/flow.py`, …).
fn candidate_paths(frame: &Frame) -> Vec<String> {
    let mut paths = Vec::new();
    let mut push = |path: &str| {
        let path = path.trim_start_matches("./").trim_start_matches('/');
        let safe = !path.is_empty() && !path.split('/').any(|part| part == "..");
        if safe && !paths.iter().any(|p| p == path) {
            paths.push(path.to_owned());
        }
    };
    if let Some(name) = &frame.filename {
        push(name);
    }
    if let Some(name) = &frame.filename {
        let parts: Vec<&str> = name.trim_start_matches('/').split('/').collect();
        for skip in 1..parts.len().min(4) {
            push(&parts[skip..].join("/"));
        }
    }
    paths.truncate(PATHS_PER_FRAME);
    paths
}

/// Fills `frame` from the file's `lines` (`lineno` counts from 1); false when out of range.
fn fill_frame(frame: &mut Frame, lines: &[String], source: String) -> bool {
    let Some(line) = frame.lineno.and_then(|n| usize::try_from(n).ok()) else {
        return false;
    };
    if line == 0 || line > lines.len() {
        return false;
    }
    let at = line - 1;
    let clip = |l: &String| l.chars().take(256).collect::<String>();
    frame.pre_context = lines[at.saturating_sub(AROUND)..at]
        .iter()
        .map(clip)
        .collect();
    frame.context_line = Some(clip(&lines[at]));
    frame.post_context = lines[at + 1..(at + 1 + AROUND).min(lines.len())]
        .iter()
        .map(clip)
        .collect();
    frame.context_from = Some(source);
    true
}

/// A repository the hub can read: a GitHub destination's, with its token opened.
struct Repository {
    api_url: String,
    name: String,
    token: String,
}

async fn repositories(state: &AppState, tenant: &TenantId) -> Result<Vec<Repository>, StoreError> {
    let page = state
        .store
        .list_destinations(
            tenant,
            &PageRequest {
                limit: Some(PageRequest::MAX_LIMIT),
                cursor: None,
            },
        )
        .await?;
    let Ok(cipher) = state.cipher().await else {
        return Ok(Vec::new());
    };
    Ok(page
        .items
        .iter()
        .filter(|d| d.enabled)
        .filter_map(|d| match &d.target {
            Target::Github(repo) => Some(Repository {
                api_url: repo.api_url.trim_end_matches('/').to_owned(),
                name: repo.repository.clone(),
                token: cipher.open(&repo.token, &d.secret_context()).ok()?,
            }),
            _ => None,
        })
        .collect())
}

/// The file at `commit`, from the cache or GitHub (`None` when GitHub could not answer now).
async fn file(
    state: &AppState,
    tenant: &TenantId,
    repo: &Repository,
    commit: &str,
    path: &str,
) -> Result<Option<SourceFile>, StoreError> {
    let key = format!("{}@{commit}:{path}", repo.name);
    if let Some(cached) = state.store.source_file(tenant, &key).await? {
        return Ok(Some(cached));
    }
    let url = format!(
        "{}/repos/{}/contents/{path}?ref={commit}",
        repo.api_url, repo.name
    );
    let authorization = format!("Bearer {}", repo.token);
    let (result, _) = state
        .sender()
        .call_api(
            reqwest::Method::GET,
            &url,
            &[
                ("authorization", &authorization),
                ("accept", "application/vnd.github.raw+json"),
                ("x-github-api-version", "2022-11-28"),
            ],
            None,
            MAX_FILE_BYTES + 1,
        )
        .await;
    let found = match result.status_code {
        200 if result.response_excerpt.len() <= MAX_FILE_BYTES => SourceFile {
            lines: result.response_excerpt.lines().map(str::to_owned).collect(),
            found: true,
        },
        // Missing at that commit, or too large to show: remembered, not asked again.
        200 | 404 => SourceFile {
            lines: Vec::new(),
            found: false,
        },
        _ => return Ok(None),
    };
    state.store.put_source_file(tenant, &key, &found).await?;
    Ok(Some(found))
}

/// Fills the in-app frames of `event` that lack source lines; true when any was filled (the
/// caller stores the event back).
pub async fn fill(
    state: &AppState,
    tenant: &TenantId,
    event: &mut ErrorEvent,
) -> Result<bool, StoreError> {
    let Some(commit) = commit_of(event.release.as_deref()).map(str::to_owned) else {
        return Ok(false);
    };
    let wanting =
        |f: &Frame| f.in_app == Some(true) && f.context_line.is_none() && f.lineno.is_some();
    if !event.exceptions.iter().flat_map(|e| &e.frames).any(wanting) {
        return Ok(false);
    }
    let repositories = repositories(state, tenant).await?;
    let mut filled = false;
    let frames = event
        .exceptions
        .iter_mut()
        .flat_map(|e| e.frames.iter_mut().rev())
        .filter(|f| wanting(f))
        .take(FRAMES);
    for frame in frames {
        'frame: for path in candidate_paths(frame) {
            for repo in &repositories {
                let Some(source) = file(state, tenant, repo, &commit, &path).await? else {
                    continue;
                };
                let from = format!("github:{}@{}:{path}", repo.name, &commit);
                if source.found && fill_frame(frame, &source.lines, from) {
                    filled = true;
                    break 'frame;
                }
            }
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(filename: &str, lineno: u64) -> Frame {
        Frame {
            filename: Some(filename.into()),
            function: None,
            module: None,
            lineno: Some(lineno),
            colno: None,
            in_app: Some(true),
            pre_context: Vec::new(),
            context_line: None,
            post_context: Vec::new(),
            context_from: None,
        }
    }

    #[test]
    fn paths_are_tried_from_the_file_name_then_without_leading_directories() {
        assert_eq!(
            candidate_paths(&frame("/srv/app/pump/flow.py", 1)),
            ["srv/app/pump/flow.py", "app/pump/flow.py", "pump/flow.py"]
        );
        assert_eq!(
            candidate_paths(&frame("./pump/flow.py", 1)),
            ["pump/flow.py", "flow.py"]
        );
        // A path never climbs out of the repository's contents URL.
        let climbing = ["..", "..", "secrets.py"].join("/");
        let paths = candidate_paths(&frame(&climbing, 1));
        assert!(
            paths.iter().all(|p| !p.split('/').any(|part| part == "..")),
            "{paths:?}"
        );
        assert_eq!(commit_of(Some("e48e7b5")), Some("e48e7b5"));
        assert_eq!(commit_of(Some("app@1.2.3")), None);
    }

    #[test]
    fn a_frame_gets_five_lines_each_side_clipped_at_the_file_edges() {
        let lines: Vec<String> = (1..=8).map(|n| format!("line {n}")).collect();
        let mut f = frame("a.py", 3);
        assert!(fill_frame(&mut f, &lines, "github:acme/a@abc:a.py".into()));
        assert_eq!(f.pre_context, ["line 1", "line 2"]);
        assert_eq!(f.context_line.as_deref(), Some("line 3"));
        assert_eq!(
            f.post_context,
            ["line 4", "line 5", "line 6", "line 7", "line 8"]
        );
        assert!(!fill_frame(&mut frame("a.py", 9), &lines, String::new()));
    }
}
