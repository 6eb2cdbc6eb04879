//! MySQL and MariaDB (InnoDB): the `LATEST DETECTED DEADLOCK` section of `SHOW ENGINE INNODB
//! STATUS`, or the same report in the error log (`innodb_print_all_deadlocks`, each line behind
//! the log's prefix). MySQL 5.6/5.7 and MariaDB print what the first transaction waits for and
//! what the second holds and waits for; MySQL 8.0 what every transaction holds and waits for.
//!
//! ```text
//! *** (1) TRANSACTION:
//! TRANSACTION 421, ACTIVE 0 sec starting index read
//! MySQL thread id 8, OS thread handle 140, query id 50 localhost app updating
//! UPDATE accounts SET balance = balance - 10 WHERE id = 2
//! *** (1) WAITING FOR THIS LOCK TO BE GRANTED:
//! RECORD LOCKS space id 2 page no 4 n bits 72 index PRIMARY of table `bank`.`accounts` trx id 421 lock_mode X locks rec but not gap waiting
//! *** (2) TRANSACTION:
//! …
//! *** WE ROLL BACK TRANSACTION (1)
//! ```

use super::{Deadlock, Engine, Finding, Lock, Participant, Wait};

/// Which part of a transaction's report a line belongs to.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    Transaction,
    Holds,
    Waits,
    /// MariaDB: the locks in the way, each naming its holder's `trx id`.
    Conflicting,
}

/// `*** (N) TRANSACTION:`, `*** (N) HOLDS THE LOCK(S):`, `*** WAITING FOR THIS LOCK TO BE
/// GRANTED:` (MariaDB leaves the number out), `*** CONFLICTING WITH:`: the transaction's number
/// when given, and the part that starts.
fn marker(line: &str) -> Option<(Option<String>, Part)> {
    let at = line.find("*** ")?;
    let rest = &line[at + 4..];
    let (number, rest) = match rest.strip_prefix('(') {
        Some(numbered) => {
            let (number, rest) = numbered.split_once(')')?;
            if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            (Some(format!("transaction ({number})")), rest)
        }
        None => (None, rest),
    };
    let part = if rest.contains("HOLDS THE LOCK") {
        Part::Holds
    } else if rest.contains("WAITING FOR THIS LOCK") {
        Part::Waits
    } else if rest.contains("CONFLICTING WITH") {
        Part::Conflicting
    } else if number.is_some() && rest.contains("TRANSACTION") {
        Part::Transaction
    } else {
        return None;
    };
    Some((number, part))
}

/// The `trx id` a lock line names.
fn trx_id(line: &str) -> Option<String> {
    let at = line.find("trx id ")? + 7;
    let id: String = line[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!id.is_empty()).then_some(id)
}

fn unquote(name: &str) -> String {
    name.replace('`', "")
}

/// A lock line: `RECORD LOCKS … index PRIMARY of table `db`.`t` trx id 5 lock_mode X locks rec
/// but not gap [waiting]` or `TABLE LOCK table `db`.`t` trx id 5 lock mode IX [waiting]`.
fn lock_line(line: &str) -> Option<Lock> {
    let mode_at = line
        .find("lock_mode ")
        .map(|i| i + 10)
        .or_else(|| line.find("lock mode ").map(|i| i + 10))?;
    let base: String = line[mode_at..]
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let flags = &line[mode_at..];
    let mut mode = base;
    if flags.contains("locks gap before rec") {
        mode.push_str(",GAP");
    } else if flags.contains("locks rec but not gap") {
        mode.push_str(",REC_NOT_GAP");
    }
    if flags.contains("insert intention") {
        mode.push_str(",INSERT_INTENTION");
    }
    if let Some(at) = line.find("RECORD LOCKS ") {
        let rest = &line[at..];
        let index_at = rest.find(" index ")? + 7;
        let (index, rest) = rest[index_at..].split_once(" of table ")?;
        let table = rest.split(" trx id").next()?.trim();
        return Some(Lock {
            mode,
            object: format!("index {index} of table {table}"),
            relation: Some(unquote(table)),
        });
    }
    let at = line.find("TABLE LOCK table ")? + 17;
    let table = line[at..].split(" trx id").next()?.trim();
    Some(Lock {
        mode,
        object: format!("table {table}"),
        relation: Some(unquote(table)),
    })
}

/// The deadlock `text` reports, if it is InnoDB's.
pub(super) fn parse(text: &str) -> Option<Finding> {
    if !text.contains("*** (1) TRANSACTION") {
        return None;
    }
    let mut participants: Vec<Participant> = Vec::new();
    // Each participant's InnoDB transaction id, and the locks MariaDB says are in the way.
    let mut trx_ids: Vec<Option<String>> = Vec::new();
    let mut conflicts: Vec<(String, Lock)> = Vec::new();
    let mut current: Option<usize> = None;
    let mut part = Part::Transaction;
    let mut victim = None;
    let mut query_follows = false;
    let mut trx_follows = false;
    for line in text.lines() {
        if let Some((number, next)) = marker(line) {
            if let Some(id) = number {
                let i = match participants.iter().position(|p| p.id == id) {
                    Some(i) => i,
                    None => {
                        participants.push(Participant {
                            id,
                            query: None,
                            holds: Vec::new(),
                            waits_for: None,
                        });
                        trx_ids.push(None);
                        participants.len() - 1
                    }
                };
                current = Some(i);
            }
            part = next;
            query_follows = false;
            trx_follows = part == Part::Transaction;
            continue;
        }
        if let Some(at) = line.find("WE ROLL BACK TRANSACTION (") {
            let number: String = line[at + 26..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            victim = Some(format!("transaction ({number})"));
            continue;
        }
        let Some(i) = current else {
            continue;
        };
        match part {
            Part::Transaction if trx_follows && line.trim_start().starts_with("TRANSACTION ") => {
                let id: String = line.trim_start()[12..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                trx_ids[i] = Some(id);
                trx_follows = false;
            }
            Part::Transaction if line.contains(" thread id ") => query_follows = true,
            Part::Transaction if query_follows && !line.trim().is_empty() => {
                let query = participants[i].query.get_or_insert_with(String::new);
                if !query.is_empty() {
                    query.push(' ');
                }
                query.push_str(line.trim());
            }
            Part::Holds => participants[i].holds.extend(lock_line(line)),
            Part::Waits => {
                if let Some(lock) = lock_line(line) {
                    participants[i].waits_for.get_or_insert(lock);
                }
            }
            Part::Conflicting => {
                if let (Some(lock), Some(trx)) = (lock_line(line), trx_id(line)) {
                    conflicts.push((trx, lock));
                }
            }
            Part::Transaction => {}
        }
    }
    for (trx, lock) in conflicts {
        if let Some(i) = trx_ids
            .iter()
            .position(|t| t.as_deref() == Some(trx.as_str()))
        {
            if !participants[i].holds.contains(&lock) {
                participants[i].holds.push(lock);
            }
        }
    }
    participants.sort_by_key(|p| number(&p.id));
    let waits = edges(&participants);
    if waits.is_empty() {
        return Some(Finding::Unparsed {
            engine: Some(Engine::Mysql),
        });
    }
    let deadlock = Deadlock {
        engine: Engine::Mysql,
        participants,
        waits,
        cycle: Vec::new(),
        relations: Vec::new(),
        modes: Vec::new(),
        victim,
        context: Vec::new(),
    };
    Some(Finding::Parsed(Box::new(deadlock.finish())))
}

fn number(id: &str) -> u32 {
    id.trim_start_matches("transaction (")
        .trim_end_matches(')')
        .parse()
        .unwrap_or(0)
}

/// Who each waiter waits for: the transaction holding a lock on the same index or table, or, when
/// none is printed as holding it (MySQL 5.6/5.7 and MariaDB leave the first transaction's locks
/// out), the next transaction of the report (InnoDB prints a cycle in order).
fn edges(participants: &[Participant]) -> Vec<Wait> {
    participants
        .iter()
        .enumerate()
        .filter_map(|(i, waiter)| {
            let lock = waiter.waits_for.clone()?;
            let holder = participants
                .iter()
                .find(|p| p.id != waiter.id && p.holds.iter().any(|h| h.object == lock.object))
                .or_else(|| participants.get((i + 1) % participants.len()))
                .filter(|p| p.id != waiter.id)?;
            Some(Wait {
                waiter: waiter.id.clone(),
                holder: holder.id.clone(),
                lock,
            })
        })
        .collect()
}
