//! PostgreSQL: `ERROR:  deadlock detected` and its `DETAIL` lines, as the server log prints them
//! (any `log_line_prefix`, the RDS one included: lines are read after their prefix) or as a
//! client shows them (psycopg's `DETAIL:`, JDBC's `Detail:` and `Where:`).
//!
//! ```text
//! DETAIL:  Process 9012 waits for ShareLock on transaction 4711; blocked by process 9013.
//!          Process 9013 waits for ShareLock on transaction 4710; blocked by process 9012.
//!          Process 9012: UPDATE accounts SET balance = balance - 10 WHERE id = 1;
//!          Process 9013: UPDATE accounts SET balance = balance + 10 WHERE id = 2;
//! HINT:  See server log for query details.
//! CONTEXT:  while updating tuple (0,1) in relation "accounts"
//! ```

use super::{Deadlock, Engine, Finding, Lock, Participant, Wait};

/// A relation's name from the lock object PostgreSQL describes (`DescribeLockTag`): the OID of
/// the relation for relation, extension, page and tuple locks; none for the rest (transactions,
/// virtual transactions, speculative tokens, objects, advisory and user locks, databases).
fn relation_of(object: &str) -> Option<String> {
    let at = object.find("relation ")?;
    let oid: String = object[at + 9..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!oid.is_empty()).then(|| format!("relation {oid}"))
}

/// `Process N waits for MODE on OBJECT; blocked by process M.` anywhere in `line`.
fn wait_line(line: &str) -> Option<(String, Lock, String)> {
    let start = line.find("Process ")?;
    let rest = &line[start + 8..];
    let (pid, rest) = rest.split_once(" waits for ")?;
    if pid.is_empty() || !pid.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (mode, rest) = rest.split_once(" on ")?;
    let (object, rest) = rest.split_once("; blocked by process ")?;
    let holder: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if holder.is_empty() || mode.contains(' ') {
        return None;
    }
    let lock = Lock {
        mode: mode.to_owned(),
        object: object.to_owned(),
        relation: relation_of(object),
    };
    Some((format!("process {pid}"), lock, format!("process {holder}")))
}

/// `Process N: QUERY` anywhere in `line`.
fn query_line(line: &str) -> Option<(String, String)> {
    let start = line.find("Process ")?;
    let rest = &line[start + 8..];
    let (pid, query) = rest.split_once(": ")?;
    (!pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit()))
        .then(|| (format!("process {pid}"), query.trim().to_owned()))
}

/// The text after the first of `labels` in `line`.
fn after<'a>(line: &'a str, labels: &[&str]) -> Option<&'a str> {
    labels
        .iter()
        .filter_map(|label| line.find(label).map(|at| line[at + label.len()..].trim()))
        .next()
}

/// The relation a `CONTEXT` line names: `while updating tuple (0,1) in relation "accounts"`.
fn context_relation(context: &str) -> Option<String> {
    let at = context.find("relation \"")?;
    let name = &context[at + 10..];
    Some(name[..name.find('"')?].to_owned())
}

/// The tables a statement writes or locks: after `UPDATE`, `INSERT INTO`, `DELETE FROM`,
/// `ALTER TABLE`, `TRUNCATE TABLE`, `LOCK TABLE`, and `FROM` of a `SELECT … FOR UPDATE/SHARE`.
pub(super) fn statement_tables(query: &str) -> Vec<String> {
    let upper = query.to_ascii_uppercase();
    let mut tables = Vec::new();
    let locks = upper.contains(" FOR UPDATE")
        || upper.contains(" FOR SHARE")
        || upper.contains(" FOR NO KEY UPDATE")
        || upper.contains(" FOR KEY SHARE")
        || upper.contains("LOCK IN SHARE MODE");
    for keyword in [
        "UPDATE ",
        "INSERT INTO ",
        "DELETE FROM ",
        "FROM ",
        "LOCK TABLE ",
        "ALTER TABLE ",
        "TRUNCATE TABLE ",
    ] {
        if keyword == "FROM " && (!locks || upper.starts_with("DELETE")) {
            continue;
        }
        if keyword == "UPDATE " && !upper.trim_start().starts_with("UPDATE") {
            continue;
        }
        if let Some(at) = upper.find(keyword) {
            let rest = query[at + keyword.len()..].trim_start();
            let rest = ["ONLY ", "only ", "IF EXISTS ", "if exists "]
                .iter()
                .find_map(|word| rest.strip_prefix(word))
                .unwrap_or(rest);
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '"' | '`'))
                .filter(|c| !matches!(c, '"' | '`'))
                .collect();
            if !name.is_empty() && !tables.contains(&name) {
                tables.push(name);
            }
        }
    }
    tables
}

/// The deadlock `text` reports, if it is PostgreSQL's.
pub(super) fn parse(text: &str) -> Option<Finding> {
    if !text.contains("deadlock detected") {
        return None;
    }
    let mut participants: Vec<Participant> = Vec::new();
    let mut waits = Vec::new();
    let mut context = Vec::new();
    let mut statement = None;
    let entry = |participants: &mut Vec<Participant>, id: &str| -> usize {
        if let Some(i) = participants.iter().position(|p| p.id == id) {
            return i;
        }
        participants.push(Participant {
            id: id.to_owned(),
            query: None,
            holds: Vec::new(),
            waits_for: None,
        });
        participants.len() - 1
    };
    for line in text.lines() {
        if let Some((waiter, lock, holder)) = wait_line(line) {
            let i = entry(&mut participants, &waiter);
            participants[i].waits_for = Some(lock.clone());
            entry(&mut participants, &holder);
            waits.push(Wait {
                waiter,
                holder,
                lock,
            });
        } else if let Some((id, query)) = query_line(line) {
            let i = entry(&mut participants, &id);
            participants[i].query = Some(query);
        } else if let Some(rest) = after(line, &["CONTEXT:", "Where:", "HINT:", "Hint:"]) {
            if !rest.is_empty() {
                context.push(rest.to_owned());
            }
        } else if let Some(rest) = after(line, &["STATEMENT:"]) {
            statement = Some(rest.to_owned());
        }
    }
    if waits.is_empty() {
        return Some(Finding::Unparsed {
            engine: Some(Engine::Postgres),
        });
    }
    // What a transaction lock protects is the row the holder changed: the waiter's lock is on
    // the holder's transaction, so the holder holds it.
    let held: Vec<(String, Lock)> = waits
        .iter()
        .map(|w| {
            let mut lock = w.lock.clone();
            lock.mode = "ExclusiveLock".into();
            (w.holder.clone(), lock)
        })
        .filter(|(_, lock)| lock.object.starts_with("transaction "))
        .collect();
    for (holder, lock) in held {
        if let Some(p) = participants.iter_mut().find(|p| p.id == holder) {
            p.holds.push(lock);
        }
    }
    let statement_relations = statement
        .as_deref()
        .map(statement_tables)
        .unwrap_or_default();
    let victim = statement.and_then(|s| {
        participants
            .iter()
            .find(|p| {
                p.query
                    .as_deref()
                    .is_some_and(|q| q.trim_end_matches(';') == s.trim_end_matches(';'))
            })
            .map(|p| p.id.clone())
    });
    let mut deadlock = Deadlock {
        engine: Engine::Postgres,
        participants,
        waits,
        cycle: Vec::new(),
        relations: Vec::new(),
        modes: Vec::new(),
        victim,
        context,
    }
    .finish();
    // Named relations (the statements', the context's) group better than OIDs.
    let mut named: Vec<String> = deadlock
        .participants
        .iter()
        .filter_map(|p| p.query.as_deref())
        .flat_map(statement_tables)
        .chain(deadlock.context.iter().filter_map(|c| context_relation(c)))
        .chain(statement_relations)
        .collect();
    if !named.is_empty() {
        named.extend(
            deadlock
                .relations
                .iter()
                .filter(|r| !r.starts_with("relation "))
                .cloned(),
        );
        named.sort();
        named.dedup();
        deadlock.relations = named;
    }
    Some(Finding::Parsed(Box::new(deadlock)))
}
