//! The filter-pattern matcher against the examples of the CloudWatch Logs documentation.

use super::pattern::FilterPattern;

fn matches(pattern: &str, message: &str) -> bool {
    FilterPattern::parse(pattern)
        .unwrap_or_else(|e| panic!("{pattern}: {e}"))
        .matches(message)
}

const EVENTS: [&str; 4] = [
    "[ERROR 401] Unauthorized: token expired",
    "[WARN] Exiting after 3 retries",
    "[ERROR 500] Exception in thread main: Connection timed out",
    "[INFO] all good",
];

fn matching(pattern: &str) -> Vec<usize> {
    (0..EVENTS.len())
        .filter(|&i| matches(pattern, EVENTS[i]))
        .collect()
}

#[test]
fn terms_phrases_alternatives_and_exclusions_match_as_documented() {
    assert_eq!(
        matching(""),
        [0, 1, 2, 3],
        "the empty pattern matches everything"
    );
    assert_eq!(matching("ERROR"), [0, 2]);
    assert_eq!(matching("ERROR Exception"), [2], "all terms");
    assert_eq!(matching("?ERROR ?Exiting"), [0, 1, 2], "any term");
    assert_eq!(matching("-ERROR"), [1, 3], "everything but");
    assert_eq!(matching("ERROR -Exception"), [0]);
    assert_eq!(matching("\"Connection timed out\""), [2], "a quoted phrase");
    assert_eq!(matching("\"timed connection\""), Vec::<usize>::new());
    assert_eq!(
        matching("error"),
        Vec::<usize>::new(),
        "terms are case-sensitive"
    );
    assert_eq!(
        matching("?ERROR ?Exception ?Traceback"),
        [0, 2],
        "the log sources' default pattern"
    );
    assert_eq!(
        matching("?ERROR 401 ?WARN"),
        [0, 1],
        "a `?` term starts a group"
    );
}

#[test]
fn json_conditions_match_as_documented() {
    let event = r#"{"eventType": "UpdateTrail", "sourceIPAddress": "123.123.123.123",
        "arrayKey": ["value", "another value"], "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
        "SomeObject": null, "cluster": {"number": 3, "status": "healthy"},
        "level": "ERROR", "latency": 1500, "error": true}"#;
    for (pattern, expected) in [
        (r#"{ $.eventType = "UpdateTrail" }"#, true),
        (r#"{ $.eventType = "Update*" }"#, true),
        (r#"{ $.eventType != "UpdateTrail" }"#, false),
        (r#"{ $.sourceIPAddress != 123.123.* }"#, false),
        (r#"{ $.arrayKey[0] = "value" }"#, true),
        (r#"{ $.objectList[1].id = 2 }"#, true),
        (r#"{ $.SomeObject IS NULL }"#, true),
        (r#"{ $.SomeOtherObject NOT EXISTS }"#, true),
        (r#"{ $.cluster.number NOT EXISTS }"#, false),
        (r#"{ $.error IS TRUE }"#, true),
        (r#"{ $.error IS FALSE }"#, false),
        (r#"{ $.latency > 1000 }"#, true),
        (r#"{ $.latency <= 1000 }"#, false),
        (r#"{ ($.level = "ERROR") && ($.latency >= 1500) }"#, true),
        (
            r#"{ ($.level = "INFO") || ($.cluster.status = "healthy") }"#,
            true,
        ),
        (r#"{ $.level = "ERROR" && $.cluster.number < 2 }"#, false),
        (
            r#"{ ($.level = "INFO" || $.error IS TRUE) && $.latency > 1 }"#,
            true,
        ),
    ] {
        assert_eq!(matches(pattern, event), expected, "{pattern}");
    }
    assert!(
        !matches(r#"{ $.level = "ERROR" }"#, "ERROR not json"),
        "plain text is not JSON"
    );
}

#[test]
fn unsupported_or_broken_patterns_are_refused_with_a_reason() {
    for pattern in [
        "[ip, user, username, timestamp, request, status_code = 4*, bytes]",
        "%ERROR|FAIL%",
        "{ $.level = \"ERROR\"",
        "{ $.level == \"ERROR\" }",
        "{ level = \"ERROR\" }",
        "{ $.level > \"ERROR\" }",
        "\"not closed",
        "{ ($.a = 1 }",
    ] {
        assert!(FilterPattern::parse(pattern).is_err(), "{pattern}");
    }
}
