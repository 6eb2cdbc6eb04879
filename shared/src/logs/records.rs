//! Log events back into records. One error often arrives as several events: a Java stack trace
//! logged a line at a time (`\tat …`, `Caused by: …`), a Python traceback, or PostgreSQL's
//! `ERROR:` followed by `DETAIL:`, `HINT:`, `CONTEXT:` and `STATEMENT:` lines that share the
//! server's prefix and process id. Consecutive events of one stream that continue a record are
//! joined to it.

/// One log event as CloudWatch Logs returns it.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    /// The event id (unique within the group).
    pub id: String,
    /// Its stream.
    pub stream: String,
    /// When it happened (ms since the epoch).
    pub timestamp_ms: i64,
    /// The message.
    pub message: String,
}

/// One reassembled record: its first event, and the message of every event it spans.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The event the record starts with.
    pub first: LogLine,
    /// The whole message, lines joined with `\n`.
    pub message: String,
}

/// PostgreSQL's continuation severities.
const PG_CONTINUATIONS: [&str; 5] = ["DETAIL:", "HINT:", "CONTEXT:", "STATEMENT:", "QUERY:"];

/// A PostgreSQL server line's prefix up to and including its process id (`…[12345]:` or
/// `… [12345] `), and the severity that follows it: `log_line_prefix` varies, RDS's default is
/// `%t:%r:%u@%d:[%p]:`, a stock server's `%m [%p] `.
pub fn postgres_prefix(message: &str) -> Option<(&str, &str)> {
    let open = message.find('[')?;
    let close = open + message[open..].find(']')?;
    let pid = &message[open + 1..close];
    if pid.is_empty() || !pid.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let after = &message[close + 1..];
    let rest = after.trim_start_matches([':', ' ']);
    let prefix = &message[..message.len() - rest.len()];
    let severity = rest.split_whitespace().next()?;
    severity
        .strip_suffix(':')
        .filter(|level| {
            level
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
        .map(|_| (prefix, severity))
}

/// The part of a PostgreSQL prefix that stays the same across a record's lines: from the
/// session's remote address on (`%t`, the time, may tick between lines).
fn session_of(prefix: &str) -> &str {
    prefix
        .rfind('[')
        .map(|open| {
            let start = prefix[..open].rfind([' ', ':']).map_or(0, |i| i + 1);
            &prefix[start.min(open)..]
        })
        .unwrap_or(prefix)
}

/// Whether `next` continues the record `current` (of the same stream).
fn continues(current: &str, next: &str) -> bool {
    let first_char = next.chars().next();
    if matches!(first_char, Some(' ' | '\t')) || next.starts_with("Caused by:") {
        return true;
    }
    if current.starts_with("Traceback") && !current.lines().last().is_some_and(is_exception_line) {
        return true;
    }
    match (postgres_prefix(current), postgres_prefix(next)) {
        (Some((a, _)), Some((b, severity))) => {
            PG_CONTINUATIONS.contains(&severity) && session_of(a) == session_of(b)
        }
        _ => false,
    }
}

/// A Python traceback's final line: `SomeError: …` (not indented).
fn is_exception_line(line: &str) -> bool {
    !line.starts_with([' ', '\t'])
        && !line.starts_with("Traceback")
        && line.split(':').next().is_some_and(|name| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '.' || c == '_')
        })
}

/// Joins continuation events to the record they continue (events in the order CloudWatch
/// returns them: by time; continuations are looked for in the same stream).
pub fn reassemble(lines: Vec<LogLine>) -> Vec<Record> {
    let mut records: Vec<Record> = Vec::new();
    for line in lines {
        let next = line.message.trim_end();
        // The stream's latest record, or (for a PostgreSQL continuation, which other sessions'
        // lines may interleave) one of its recent records.
        let target = records
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, r)| r.first.stream == line.stream)
            .take(8)
            .enumerate()
            .find(|(nth, (_, r))| {
                (*nth == 0 || postgres_prefix(next).is_some()) && continues(&r.message, next)
            })
            .map(|(_, (index, _))| index);
        match target {
            Some(index) => {
                records[index].message.push('\n');
                records[index].message.push_str(next);
            }
            None => records.push(Record {
                message: next.to_owned(),
                first: line,
            }),
        }
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(stream: &str, ms: i64, message: &str) -> LogLine {
        LogLine {
            id: format!("{stream}-{ms}"),
            stream: stream.into(),
            timestamp_ms: ms,
            message: message.into(),
        }
    }

    #[test]
    fn postgres_lines_sharing_prefix_and_pid_make_one_record() {
        let rds = "2026-11-30 12:00:01 UTC:10.0.1.7(51234):app@shop:[24811]:";
        let lines = vec![
            line("db", 1, &format!("{rds}ERROR:  deadlock detected")),
            line("db", 2, &format!("{rds}DETAIL:  Process 24811 waits for ShareLock on transaction 9912; blocked by process 24790.")),
            line("db", 3, "2026-11-30 12:00:01 UTC:10.0.1.9(51300):app@shop:[24790]:LOG:  duration: 1.2 ms"),
            line("db", 4, &format!("{}HINT:  See server log for query details.", rds.replace("12:00:01", "12:00:02"))),
            line("db", 5, &format!("{rds}STATEMENT:  UPDATE orders SET state = 'paid' WHERE id = 7")),
        ];
        let records = reassemble(lines);
        assert_eq!(records.len(), 2, "{records:#?}");
        assert_eq!(records[0].message.lines().count(), 4);
        assert!(records[0].message.contains("STATEMENT:  UPDATE orders"));
        assert_eq!(records[0].first.timestamp_ms, 1);
        let stock = "2026-11-30 12:00:01.123 UTC [311] ";
        let records = reassemble(vec![
            line("pg", 1, &format!("{stock}ERROR:  duplicate key value violates unique constraint \"users_email_key\"")),
            line("pg", 2, &format!("{stock}DETAIL:  Key (email)=(a@b.c) already exists.")),
            line("pg", 3, "2026-11-30 12:00:01.500 UTC [312] DETAIL:  another session"),
        ]);
        assert_eq!(records.len(), 2, "a DETAIL of another pid is not joined");
        assert_eq!(
            postgres_prefix("2026-11-30 12:00:01.123 UTC [311] ERROR:  x"),
            Some(("2026-11-30 12:00:01.123 UTC [311] ", "ERROR:"))
        );
        assert_eq!(postgres_prefix("[INFO] all good"), None);
    }

    #[test]
    fn stack_traces_logged_line_by_line_are_joined_per_stream() {
        let records = reassemble(vec![
            line("a", 1, "java.lang.IllegalStateException: no stock"),
            line("b", 2, "INFO unrelated"),
            line("a", 3, "\tat com.acme.Stock.take(Stock.java:12)"),
            line("a", 4, "Caused by: java.io.IOException: closed"),
            line("a", 5, "\tat com.acme.Db.read(Db.java:3)"),
            line("a", 6, "Traceback (most recent call last):"),
            line("a", 7, "  File \"/app/x.py\", line 3, in <module>"),
            line("a", 8, "ZeroDivisionError: division by zero"),
            line("a", 9, "ERROR next record"),
        ]);
        let messages: Vec<usize> = records.iter().map(|r| r.message.lines().count()).collect();
        assert_eq!(messages, [4, 1, 3, 1], "{records:#?}");
        assert!(records[2]
            .message
            .ends_with("ZeroDivisionError: division by zero"));
    }
}
