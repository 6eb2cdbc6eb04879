//! Small text helpers every renderer shares: escaping for HTML and Slack's mrkdwn, and cutting
//! to a length.

/// Text shown as-is in HTML (element content and quoted attribute values).
pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Text shown as-is in Slack's mrkdwn: `&`, `<` and `>` escaped as Slack asks, so a title cannot
/// ping `<!channel>`, mention a user or forge a link.
pub fn escape_mrkdwn(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The first `max` characters of `text`, with `…` when cut.
pub fn truncated(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_cannot_mention_or_link_in_slack() {
        assert_eq!(
            escape_mrkdwn("<!channel> disk & <https://evil.example|click>"),
            "&lt;!channel&gt; disk &amp; &lt;https://evil.example|click&gt;"
        );
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(truncated("abcdef", 4), "abc…");
        assert_eq!(truncated("abc", 4), "abc");
    }
}
