use super::*;

fn parsed(text: &str) -> Deadlock {
    match find(text) {
        Some(Finding::Parsed(deadlock)) => *deadlock,
        other => panic!("not parsed: {other:?}\n{text}"),
    }
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn a_postgres_server_log_report_is_a_two_process_cycle_on_its_relation() {
    let d = parsed(include_str!("corpus/pg_server_log.txt"));
    assert_eq!(d.engine, Engine::Postgres);
    assert_eq!(d.cycle, ids(&["process 9012", "process 9013"]));
    assert_eq!(d.waits[0].lock.mode, "ShareLock");
    assert_eq!(d.waits[0].lock.object, "transaction 4711");
    assert_eq!(d.relations, ids(&["accounts"]));
    assert_eq!(d.modes, ids(&["ExclusiveLock", "ShareLock"]));
    assert_eq!(d.victim.as_deref(), Some("process 9012"));
    let holder = d
        .participants
        .iter()
        .find(|p| p.id == "process 9013")
        .expect("9013");
    assert_eq!(holder.holds[0].object, "transaction 4711");
    assert!(holder
        .query
        .as_deref()
        .expect("query")
        .starts_with("UPDATE accounts"));
    assert!(d.context.iter().any(|c| c.contains("tuple (0,2)")));
}

#[test]
fn an_rds_prefixed_report_of_three_processes_names_the_whole_cycle() {
    let d = parsed(include_str!("corpus/pg_rds_three_processes.txt"));
    assert_eq!(
        d.cycle,
        ids(&["process 21001", "process 21002", "process 21003"])
    );
    assert_eq!(d.relations, ids(&["inventory", "orders", "payments"]));
    assert_eq!(d.participants.len(), 3);
}

#[test]
fn relation_locks_group_by_their_statements_tables() {
    let d = parsed(include_str!("corpus/pg_relation_locks.txt"));
    assert_eq!(d.waits[0].lock.relation.as_deref(), Some("relation 16385"));
    assert_eq!(d.relations, ids(&["invoice_lines", "invoices"]));
    assert_eq!(d.modes, ids(&["AccessExclusiveLock", "RowExclusiveLock"]));
}

#[test]
fn client_side_reports_parse_like_the_server_s() {
    let psycopg = parsed(include_str!("corpus/pg_psycopg.txt"));
    assert_eq!(psycopg.cycle, ids(&["process 3411", "process 3412"]));
    assert_eq!(psycopg.relations, ids(&["jobs"]));
    let jdbc = parsed(include_str!("corpus/pg_jdbc.txt"));
    assert_eq!(jdbc.cycle, ids(&["process 5120", "process 5121"]));
    assert_eq!(jdbc.relations, ids(&["ledger"]));
}

#[test]
fn every_lock_object_postgres_describes_is_read() {
    // DescribeLockTag's wordings (src/backend/utils/adt/lockfuncs.c, lmgr.c).
    let objects = [
        ("relation 16385 of database 16384", Some("relation 16385")),
        (
            "extension of relation 16385 of database 16384",
            Some("relation 16385"),
        ),
        (
            "page 7 of relation 16385 of database 16384",
            Some("relation 16385"),
        ),
        (
            "tuple (7,3) of relation 16385 of database 16384",
            Some("relation 16385"),
        ),
        ("pg_database.datfrozenxid of database 16384", None),
        ("transaction 4711", None),
        ("virtual transaction 3/1204", None),
        ("speculative token 5 of transaction 4711", None),
        ("object 16400 of class 1259 of database 16384", None),
        ("advisory lock [16384,0,42,1]", None),
        ("user lock [16384,1,2]", None),
        (
            "remote transaction 99 of subscription 16500 of database 16384",
            None,
        ),
        (
            "apply transaction 99 of subscription 16500 of database 16384",
            None,
        ),
    ];
    for (object, relation) in objects {
        let text = format!(
            "ERROR:  deadlock detected\nDETAIL:  Process 1 waits for ExclusiveLock on {object}; blocked by process 2.\nProcess 2 waits for ShareLock on transaction 9; blocked by process 1.\n"
        );
        let d = parsed(&text);
        assert_eq!(d.waits[0].lock.object, object);
        assert_eq!(d.waits[0].lock.relation.as_deref(), relation, "{object}");
        assert_eq!(d.cycle.len(), 2, "{object}");
    }
}

#[test]
fn mysql_8_reports_every_transaction_s_locks() {
    let d = parsed(include_str!("corpus/mysql80.txt"));
    assert_eq!(d.engine, Engine::Mysql);
    assert_eq!(d.cycle, ids(&["transaction (1)", "transaction (2)"]));
    assert_eq!(d.relations, ids(&["bank.accounts"]));
    assert_eq!(d.modes, ids(&["X,REC_NOT_GAP"]));
    assert_eq!(d.victim.as_deref(), Some("transaction (2)"));
    assert_eq!(
        d.participants[0].query.as_deref(),
        Some("UPDATE accounts SET balance = balance + 10 WHERE id = 1")
    );
    assert_eq!(
        d.waits[0].lock.object,
        "index PRIMARY of table `bank`.`accounts`"
    );
}

#[test]
fn mysql_5_6_leaves_the_first_transaction_s_locks_out_and_still_makes_a_cycle() {
    let d = parsed(include_str!("corpus/mysql56.txt"));
    assert_eq!(d.cycle, ids(&["transaction (1)", "transaction (2)"]));
    assert_eq!(d.relations, ids(&["shop.order_items"]));
    assert_eq!(d.modes, ids(&["X,GAP", "X,GAP,INSERT_INTENTION"]), "{d:?}");
    assert!(d.participants[0].holds.is_empty());
}

#[test]
fn mariadb_names_who_holds_each_lock_in_the_way() {
    let d = parsed(include_str!("corpus/mariadb.txt"));
    assert_eq!(d.cycle, ids(&["transaction (1)", "transaction (2)"]));
    assert_eq!(d.relations, ids(&["shop.orders", "shop.stock"]));
    assert_eq!(d.victim.as_deref(), Some("transaction (1)"));
    let second = &d.participants[1];
    assert_eq!(
        second.holds[0].object,
        "index PRIMARY of table `shop`.`stock`"
    );
    assert_eq!(d.participants[0].holds[0].mode, "S");
}

#[test]
fn an_error_log_report_of_three_transactions_is_read_behind_its_prefixes() {
    let d = parsed(include_str!("corpus/mysql80_error_log_three.txt"));
    assert_eq!(
        d.cycle,
        ids(&["transaction (1)", "transaction (2)", "transaction (3)"])
    );
    assert_eq!(d.relations, ids(&["app.a", "app.b", "app.c"]));
    assert_eq!(d.victim.as_deref(), Some("transaction (3)"));
}

#[test]
fn the_same_deadlock_again_has_the_same_signature_and_another_has_not() {
    let first = parsed(include_str!("corpus/pg_server_log.txt"));
    let again = parsed(
        &include_str!("corpus/pg_server_log.txt")
            .replace("9012", "7001")
            .replace("4711", "5555"),
    );
    assert_eq!(first.signature(), again.signature());
    let other = parsed(include_str!("corpus/pg_jdbc.txt"));
    assert_ne!(first.signature(), other.signature());
    assert_eq!(
        first.summary(),
        "accounts: ExclusiveLock, ShareLock (2 processes)"
    );
}

#[test]
fn text_that_mentions_a_deadlock_but_does_not_parse_is_flagged_not_refused() {
    assert_eq!(
        find("ERROR: deadlock detected (SQLSTATE 40P01)"),
        Some(Finding::Unparsed {
            engine: Some(Engine::Postgres)
        })
    );
    assert_eq!(
        find("Deadlock found when trying to get lock; try restarting transaction (MySQL 1213)"),
        Some(Finding::Unparsed {
            engine: Some(Engine::Mysql)
        })
    );
    assert_eq!(find("connection refused"), None);
    assert_eq!(find(""), None);
}
