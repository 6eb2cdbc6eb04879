//! The IAM contract check (`make test` runs it after the tests): what each function's tests made
//! it do on AWS, recorded by the SDK interceptor in `faultline_testkit::iam` into
//! `$FAULTLINE_IAM_USAGE_DIR`, against what `template.yaml` grants it. Prints the per-function
//! table; exits non-zero when a function uses something it is not granted or is granted something
//! it never uses.

use faultline_testkit::iam::{compare, read_usage, template_grants, LEADING_KEYS, USAGE_DIR};
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::var_os(USAGE_DIR) else {
        eprintln!("iam-contract: set {USAGE_DIR} to the folder the tests recorded into");
        return ExitCode::FAILURE;
    };
    let usage = match read_usage(std::path::Path::new(&dir)) {
        Ok(usage) if !usage.is_empty() => usage,
        Ok(_) => {
            eprintln!("iam-contract: no usage recorded in {dir:?}: run the function tests first");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("iam-contract: cannot read {dir:?}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let template_path = faultline_testkit::workspace_root().join("template.yaml");
    let grants = match std::fs::read_to_string(&template_path)
        .map_err(|e| e.to_string())
        .and_then(|body| template_grants(&body))
    {
        Ok(grants) => grants,
        Err(e) => {
            eprintln!("iam-contract: template.yaml: {e}");
            return ExitCode::FAILURE;
        }
    };

    println!("IAM contract: what each function's tests made it do (= what template.yaml grants)");
    for (function, permissions) in &usage {
        println!("\n{function}");
        let mut by_resource: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        let mut partitions = Vec::new();
        for p in permissions {
            if p.resource.starts_with('?') {
                continue; // a name a test broke on purpose
            }
            if p.action == LEADING_KEYS {
                partitions.push(readable(&p.resource));
            } else {
                by_resource.entry(&p.resource).or_default().push(&p.action);
            }
        }
        for (resource, actions) in by_resource {
            println!("  {resource:<30} {}", actions.join(", "));
        }
        let enforced = grants
            .get(function)
            .is_some_and(|g| g.iter().any(|p| p.action == LEADING_KEYS));
        println!(
            "  partitions ({}): {}",
            if enforced {
                "the policy allows only these"
            } else {
                "not restricted"
            },
            partitions.join("  ")
        );
    }

    let disagreements = compare(&usage, &grants);
    if disagreements.is_empty() {
        println!("\niam-contract: every function is granted exactly what its tests use");
        return ExitCode::SUCCESS;
    }
    for (function, found) in &disagreements {
        for p in &found.missing {
            eprintln!(
                "iam-contract: {function} uses {} on {} but template.yaml does not grant it",
                p.action, p.resource
            );
        }
        for p in &found.unused {
            eprintln!(
                "iam-contract: {function} is granted {} on {} but its tests never use it",
                p.action, p.resource
            );
        }
    }
    ExitCode::FAILURE
}

/// A partition pattern with each id's 30 `?` shown as `{id}`.
fn readable(pattern: &str) -> String {
    pattern
        .replace(&"?".repeat(30), "{id}")
        .replace(&"?".repeat(29), "{id}")
}
