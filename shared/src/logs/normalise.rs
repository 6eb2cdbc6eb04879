//! A log message's shape: what stays the same when the same error repeats. Timestamps, UUIDs and
//! request ids, hex values, numbers, quoted values and file paths are replaced by placeholders;
//! of a stack trace the message line and the first frames are kept (their line numbers
//! stripped), so repeats of one error group together and different errors do not.

/// Frames of a stack trace kept in the shape.
pub const FRAMES_KEPT: usize = 3;

/// The shape of `message` (one record, possibly several lines).
pub fn shape(message: &str) -> String {
    let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(mut first) = lines.next() else {
        return String::new();
    };
    // A Python traceback names its exception on its last line.
    if first.starts_with("Traceback") {
        first = message
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or(first);
    }
    let mut kept = vec![normalise_line(first)];
    kept.extend(
        lines
            .filter(|line| is_frame(line))
            .take(FRAMES_KEPT)
            .map(normalise_line),
    );
    kept.join("\n")
}

/// Whether a line is a stack frame (Java/JS `at …`, Python `File "…", line N, in …`, Go and Rust
/// `path:line` frames after a function line are not told apart and count as text).
fn is_frame(line: &str) -> bool {
    line.starts_with("at ") || line.starts_with("File \"")
}

/// One line with its variable parts replaced.
pub fn normalise_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '"' || c == '\'' {
            // A quoted value: up to the matching quote (or the end of the line).
            let end = rest[1..].find(c).map_or(rest.len(), |i| i + 2);
            out.push_str("<str>");
            rest = &rest[end..];
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' || c == '.' {
            let end = rest
                .find(|d: char| !(d.is_ascii_alphanumeric() || "/_-.:".contains(d)))
                .unwrap_or(rest.len());
            let (token, after) = rest.split_at(end.max(c.len_utf8()));
            out.push_str(&token_shape(token));
            rest = after;
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// A token's shape: a path, UUID or long hex value as a placeholder; otherwise its digit runs
/// (and hex-looking words) replaced.
fn token_shape(token: &str) -> String {
    let trimmed = token.trim_end_matches([':', '.']);
    let tail = &token[trimmed.len()..];
    if trimmed.contains('/') && trimmed.chars().filter(|c| *c == '/').count() >= 2 {
        return format!("<path>{tail}");
    }
    if is_uuid(trimmed) {
        return format!("<uuid>{tail}");
    }
    let mut out = String::new();
    for (i, part) in trimmed.split(['-', '_', '.', ':']).enumerate() {
        if i > 0 {
            // Keep the separator that was there.
            let at: usize = trimmed
                .split(['-', '_', '.', ':'])
                .take(i)
                .map(|p| p.len() + 1)
                .sum::<usize>()
                - 1;
            out.push_str(&trimmed[at..=at]);
        }
        out.push_str(&part_shape(part));
    }
    out.push_str(tail);
    out
}

fn part_shape(part: &str) -> String {
    let hexish = part.len() >= 8
        && part.chars().all(|c| c.is_ascii_hexdigit())
        && part.chars().any(|c| c.is_ascii_digit());
    if hexish || (part.starts_with("0x") && part.len() > 2) {
        return "<hex>".into();
    }
    // A short hex value (`25ff`, `3a`) is a number written in hex: the same placeholder as a
    // decimal one, so `sk_25ff` and `sk_2511` share a shape.
    let short_hex = part.len() >= 2
        && part.chars().all(|c| c.is_ascii_hexdigit())
        && part.chars().any(|c| c.is_ascii_digit());
    if short_hex {
        return "<n>".into();
    }
    let mut out = String::new();
    let mut in_number = false;
    for c in part.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push_str("<n>");
                in_number = true;
            }
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

fn is_uuid(token: &str) -> bool {
    let groups: Vec<&str> = token.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_parts_are_replaced() {
        assert_eq!(
            normalise_line("2026-12-07T04:20:57.123Z ERROR request 8f14e45f-ceea-467a-9575-43c1e2c1a0b2 failed after 1532 ms"),
            "<n>-<n>-<n>T<n>:<n>:<n>.<n>Z ERROR request <uuid> failed after <n> ms"
        );
        assert_eq!(
            normalise_line("could not open '/var/data/users.db': no such file"),
            "could not open <str>: no such file"
        );
        assert_eq!(
            normalise_line("reading /srv/app/cache/42.json at 0x7ffe3b2a"),
            "reading <path> at <hex>"
        );
        assert_eq!(
            normalise_line("commit deadbeef12 rejected for user_42"),
            "commit <hex> rejected for user_<n>"
        );
    }

    #[test]
    fn short_hex_numbers_are_numbers() {
        assert_eq!(
            normalise_line("rate limit exceeded for key sk_25ff"),
            normalise_line("rate limit exceeded for key sk_2511")
        );
        assert_eq!(normalise_line("cafe 3a"), "cafe <n>");
    }

    #[test]
    fn repeats_share_a_shape_and_different_errors_do_not() {
        let a = shape("ERROR payment 1234 declined: card 4242 expired (request 6f1c0a9e-1111-4c4c-9d9d-aaaaaaaaaaaa)");
        let b = shape("ERROR payment 98 declined: card 1111 expired (request 0b7e2d11-2222-4e4e-8f8f-bbbbbbbbbbbb)");
        let c = shape("ERROR payment 98 refused: fraud check failed");
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn a_stack_trace_keeps_its_message_and_first_frames_without_line_numbers() {
        let trace = "java.lang.NullPointerException: order 17 has no customer\n\
            \tat com.acme.Orders.total(Orders.java:118)\n\
            \tat com.acme.Checkout.run(Checkout.java:42)\n\
            \tat com.acme.Http.handle(Http.java:7)\n\
            \tat java.base/java.lang.Thread.run(Thread.java:1583)";
        let other_lines = trace
            .replace(":118", ":120")
            .replace("order 17", "order 99");
        assert_eq!(shape(trace), shape(&other_lines));
        let kept = shape(trace);
        assert_eq!(kept.lines().count(), 1 + FRAMES_KEPT);
        assert!(
            kept.contains("com.acme.Orders.total(Orders.java:<n>)"),
            "{kept}"
        );
        assert!(!kept.contains("Thread.run"));
        let python = "Traceback (most recent call last):\n  File \"/app/views.py\", line 88, in checkout\nKeyError: 'sku'";
        assert!(
            shape(python).starts_with("KeyError: <str>"),
            "{}",
            shape(python)
        );
        assert_ne!(
            shape(python),
            shape(&python.replace("KeyError", "ValueError"))
        );
    }
}
