//! CloudWatch Logs filter patterns, matched in the hub: the emulator's `FilterLogEvents` treats any
//! pattern that starts with `?`, `-`, `{` or `[` as "match everything", so the scan applies the
//! pattern again to what it reads — the same result on AWS (where it is already applied) and in
//! the tests (where it would otherwise be vacuous).
//!
//! Supported, as documented: the empty pattern (everything); terms (`ERROR Exception`: all of
//! them, case-sensitive); quoted phrases (`"Connection timed out"`); alternatives
//! (`?ERROR ?Exception`: any; a `?` term starts a group the terms after it join); exclusions
//! (`ERROR -Exiting`); JSON conditions (`{ $.level = "ERROR" }`, `!=`, `<`, `<=`, `>`, `>=`, `*`
//! wildcards in strings, `IS TRUE`/`IS FALSE`/`IS NULL`, `NOT EXISTS`, `&&`, `||`, parentheses,
//! `$.a.b[0]` selectors). Space-delimited (`[ip, user, …]`) and regex (`%…%`) patterns are refused
//! when a log source is saved, rather than matched differently from AWS.

use serde_json::Value;

/// A parsed filter pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum FilterPattern {
    /// Unstructured text: any group matches (all its terms appear) and no excluded term appears.
    /// No groups: only the exclusions decide.
    Text {
        /// Alternatives, each a set of terms that must all appear.
        groups: Vec<Vec<String>>,
        /// Terms that must not appear.
        excluded: Vec<String>,
    },
    /// A condition on a JSON log event.
    Json(Condition),
}

/// A JSON condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// Both.
    And(Box<Condition>, Box<Condition>),
    /// Either.
    Or(Box<Condition>, Box<Condition>),
    /// `$.selector op value`.
    Compare(Selector, Op, Literal),
    /// `$.selector IS TRUE|FALSE|NULL`.
    Is(Selector, Literal),
    /// `$.selector NOT EXISTS`.
    NotExists(Selector),
}

/// A path into the event: fields and array indexes.
pub type Selector = Vec<Step>;

/// One step of a selector.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `.name`.
    Field(String),
    /// `[n]`.
    Index(usize),
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `=`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

/// A value compared against.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A string (`*` matches any run of characters).
    Text(String),
    /// A number.
    Number(f64),
    /// `TRUE` / `FALSE`.
    Bool(bool),
    /// `NULL`.
    Null,
}

impl FilterPattern {
    /// Parses a pattern; `Err` says what is wrong or not supported.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let trimmed = pattern.trim();
        if trimmed.len() > 1024 {
            return Err("a filter pattern is at most 1,024 characters".into());
        }
        if let Some(inner) = trimmed.strip_prefix('{') {
            let inner = inner
                .strip_suffix('}')
                .ok_or("a JSON pattern ends with `}`")?;
            let mut parser = Parser {
                tokens: tokenize(inner)?,
                at: 0,
            };
            let condition = parser.or()?;
            if parser.at != parser.tokens.len() {
                return Err(format!(
                    "unexpected `{}` in the JSON pattern",
                    parser.tokens[parser.at]
                ));
            }
            return Ok(Self::Json(condition));
        }
        if trimmed.starts_with('[') {
            return Err("space-delimited patterns (`[…]`) are not supported".into());
        }
        if trimmed.starts_with('%') {
            return Err("regular-expression patterns (`%…%`) are not supported".into());
        }
        let mut groups: Vec<Vec<String>> = Vec::new();
        let mut excluded = Vec::new();
        for word in words(trimmed)? {
            if let Some(term) = word.strip_prefix('?') {
                groups.push(vec![unquote(term)]);
            } else if let Some(term) = word.strip_prefix('-').filter(|t| !t.is_empty()) {
                excluded.push(unquote(term));
            } else if let Some(group) = groups.last_mut() {
                group.push(unquote(&word));
            } else {
                groups.push(vec![unquote(&word)]);
            }
        }
        groups.retain(|g| g.iter().any(|t| !t.is_empty()));
        Ok(Self::Text { groups, excluded })
    }

    /// Whether `message` matches.
    pub fn matches(&self, message: &str) -> bool {
        match self {
            Self::Text { groups, excluded } => {
                let wanted = groups.is_empty()
                    || groups
                        .iter()
                        .any(|group| group.iter().all(|term| message.contains(term.as_str())));
                wanted && !excluded.iter().any(|term| message.contains(term.as_str()))
            }
            Self::Json(condition) => serde_json::from_str::<Value>(message.trim())
                .is_ok_and(|event| condition.holds(&event)),
        }
    }
}

/// The pattern's words: runs of non-spaces, a quoted phrase (possibly after `?` or `-`) one word.
fn words(pattern: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in pattern.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if quoted {
        return Err("a quoted phrase is not closed".into());
    }
    if !current.is_empty() {
        words.push(current);
    }
    Ok(words)
}

fn unquote(term: &str) -> String {
    term.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(term)
        .to_owned()
}

/// The JSON pattern's tokens: `(`, `)`, `&&`, `||`, operators, quoted strings, and words.
fn tokenize(text: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
        if c.is_whitespace() {
            i += 1;
        } else if ["&&", "||", "!=", "<=", ">="].contains(&two.as_str()) {
            tokens.push(two);
            i += 2;
        } else if "()=<>".contains(c) {
            tokens.push(c.to_string());
            i += 1;
        } else if c == '"' {
            let end = chars[i + 1..]
                .iter()
                .position(|&d| d == '"')
                .ok_or("a quoted value is not closed")?;
            tokens.push(chars[i..=i + 1 + end].iter().collect());
            i += end + 2;
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !"()=<>!&|\"".contains(chars[i]) {
                i += 1;
            }
            if i == start {
                return Err(format!("unexpected `{c}` in the JSON pattern"));
            }
            tokens.push(chars[start..i].iter().collect());
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<String>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }

    fn next(&mut self) -> Result<String, String> {
        let token = self
            .tokens
            .get(self.at)
            .cloned()
            .ok_or("the JSON pattern ends too soon")?;
        self.at += 1;
        Ok(token)
    }

    fn or(&mut self) -> Result<Condition, String> {
        let mut left = self.and()?;
        while self.peek() == Some("||") {
            self.at += 1;
            left = Condition::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, String> {
        let mut left = self.primary()?;
        while self.peek() == Some("&&") {
            self.at += 1;
            left = Condition::And(Box::new(left), Box::new(self.primary()?));
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Condition, String> {
        if self.peek() == Some("(") {
            self.at += 1;
            let inner = self.or()?;
            if self.next()? != ")" {
                return Err("a `(` is not closed".into());
            }
            return Ok(inner);
        }
        let selector = selector(&self.next()?)?;
        let word = self.next()?;
        match word.to_ascii_uppercase().as_str() {
            "IS" => match self.next()?.to_ascii_uppercase().as_str() {
                "TRUE" => Ok(Condition::Is(selector, Literal::Bool(true))),
                "FALSE" => Ok(Condition::Is(selector, Literal::Bool(false))),
                "NULL" => Ok(Condition::Is(selector, Literal::Null)),
                other => Err(format!("`IS {other}`: expected TRUE, FALSE or NULL")),
            },
            "NOT" if self.next()?.eq_ignore_ascii_case("EXISTS") => {
                Ok(Condition::NotExists(selector))
            }
            _ => {
                let op = match word.as_str() {
                    "=" => Op::Eq,
                    "!=" => Op::Ne,
                    "<" => Op::Lt,
                    "<=" => Op::Le,
                    ">" => Op::Gt,
                    ">=" => Op::Ge,
                    other => return Err(format!("`{other}` is not a comparison")),
                };
                let value = self.next()?;
                let literal =
                    if let Some(text) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                        Literal::Text(text.to_owned())
                    } else if let Ok(number) = value.parse::<f64>() {
                        Literal::Number(number)
                    } else {
                        Literal::Text(value)
                    };
                if matches!(literal, Literal::Text(_)) && !matches!(op, Op::Eq | Op::Ne) {
                    return Err(format!("`{word}` compares numbers only"));
                }
                Ok(Condition::Compare(selector, op, literal))
            }
        }
    }
}

/// `$.a.b[0].c` as steps.
fn selector(text: &str) -> Result<Selector, String> {
    let rest = text
        .strip_prefix('$')
        .ok_or_else(|| format!("`{text}` is not a selector (e.g. `$.level`)"))?;
    let mut steps = Vec::new();
    for part in rest.split('.').skip(1) {
        let (name, indexes) = part.split_once('[').unwrap_or((part, ""));
        if !name.is_empty() {
            steps.push(Step::Field(name.to_owned()));
        }
        for index in indexes.split('[').filter(|i| !i.is_empty()) {
            let n = index
                .trim_end_matches(']')
                .parse()
                .map_err(|_| format!("`{text}`: `[{index}` is not an index"))?;
            steps.push(Step::Index(n));
        }
    }
    if steps.is_empty() {
        return Err(format!("`{text}` selects nothing"));
    }
    Ok(steps)
}

fn select<'a>(event: &'a Value, selector: &Selector) -> Option<&'a Value> {
    selector.iter().try_fold(event, |value, step| match step {
        Step::Field(name) => value.get(name),
        Step::Index(i) => value.get(i),
    })
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters.
fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

impl Condition {
    fn holds(&self, event: &Value) -> bool {
        match self {
            Self::And(a, b) => a.holds(event) && b.holds(event),
            Self::Or(a, b) => a.holds(event) || b.holds(event),
            Self::NotExists(selector) => select(event, selector).is_none(),
            Self::Is(selector, literal) => match (select(event, selector), literal) {
                (Some(Value::Bool(b)), Literal::Bool(want)) => b == want,
                (Some(Value::Null), Literal::Null) => true,
                _ => false,
            },
            Self::Compare(selector, op, literal) => {
                let Some(value) = select(event, selector) else {
                    return false;
                };
                match literal {
                    Literal::Number(want) => value.as_f64().is_some_and(|have| match op {
                        Op::Eq => have == *want,
                        Op::Ne => have != *want,
                        Op::Lt => have < *want,
                        Op::Le => have <= *want,
                        Op::Gt => have > *want,
                        Op::Ge => have >= *want,
                    }),
                    Literal::Text(want) => {
                        let have = match value {
                            Value::String(s) => s.clone(),
                            Value::Number(n) => n.to_string(),
                            Value::Bool(b) => b.to_string(),
                            _ => return *op == Op::Ne,
                        };
                        (*op == Op::Eq) == wildcard(want, &have)
                    }
                    _ => false,
                }
            }
        }
    }
}
