//! HttpApi routes from the template, matched as API Gateway matches them.

use std::collections::HashMap;

/// One route: `METHOD /path/{param}` served by a function.
#[derive(Clone, Debug)]
pub struct Route {
    /// Upper-case method.
    pub method: String,
    /// The path template.
    pub path: String,
    /// The function's binary name.
    pub function: String,
}

impl Route {
    /// API Gateway's route key, e.g. `GET /v1/incidents/{id}`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn segments(&self) -> impl Iterator<Item = &str> {
        self.path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
    }

    /// How general the route is: each parameter counts, a greedy one most (API Gateway prefers
    /// the most specific match).
    fn params(&self) -> usize {
        self.segments()
            .map(|s| match (s.starts_with('{'), s.ends_with("+}")) {
                (true, true) => 1000,
                (true, false) => 1,
                _ => 0,
            })
            .sum()
    }

    fn matches(&self, path: &str) -> Option<HashMap<String, String>> {
        let given: Vec<&str> = path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let pattern: Vec<&str> = self.segments().collect();
        let mut params = HashMap::new();
        // A greedy last parameter (`{proxy+}`) takes one or more segments, as API Gateway's does.
        if let Some(name) = pattern
            .last()
            .and_then(|last| last.strip_prefix('{'))
            .and_then(|last| last.strip_suffix("+}"))
        {
            let fixed = pattern.len() - 1;
            if given.len() <= fixed {
                return None;
            }
            let rest = given[fixed..].join("/");
            let head = Self {
                path: pattern[..fixed].join("/"),
                ..self.clone()
            };
            let mut params = head.matches(&given[..fixed].join("/"))?;
            params.insert(name.to_owned(), rest);
            return Some(params);
        }
        if given.len() != pattern.len() {
            return None;
        }
        for (want, got) in pattern.iter().zip(&given) {
            match want.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                Some(name) => {
                    params.insert(name.to_owned(), percent_decode(got));
                }
                None if want == got => {}
                None => return None,
            }
        }
        Some(params)
    }
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&segment[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The routes of every HTTP function.
#[derive(Clone, Debug, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
}

/// What a request matched.
#[derive(Debug)]
pub enum Matched<'a> {
    /// A route, with its path parameters.
    Route(&'a Route, HashMap<String, String>),
    /// The path exists for other methods.
    MethodNotAllowed,
    /// No route.
    NotFound,
}

impl RouteTable {
    /// A table of `routes`.
    pub fn new(routes: Vec<Route>) -> Self {
        Self { routes }
    }

    /// Every route.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The most specific route for a request (fewest parameters wins, as in API Gateway).
    pub fn find(&self, method: &str, path: &str) -> Matched<'_> {
        let mut candidates: Vec<(&Route, HashMap<String, String>)> = self
            .routes
            .iter()
            .filter_map(|route| route.matches(path).map(|params| (route, params)))
            .collect();
        if candidates.is_empty() {
            return Matched::NotFound;
        }
        candidates.retain(|(route, _)| route.method == method || route.method == "ANY");
        candidates.sort_by_key(|(route, _)| route.params());
        match candidates.into_iter().next() {
            Some((route, params)) => Matched::Route(route, params),
            None => Matched::MethodNotAllowed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        let route = |method: &str, path: &str| Route {
            method: method.into(),
            path: path.into(),
            function: "f".into(),
        };
        RouteTable::new(vec![
            route("GET", "/v1/incidents"),
            route("GET", "/v1/incidents/{id}"),
            route("GET", "/v1/incidents/{id}/timeline"),
            route("GET", "/v1/incidents/open"),
        ])
    }

    #[test]
    fn a_greedy_parameter_takes_the_rest_of_the_path() {
        let route = |method: &str, path: &str| Route {
            method: method.into(),
            path: path.into(),
            function: "f".into(),
        };
        let table = RouteTable::new(vec![
            route("GET", "/console"),
            route("ANY", "/console/{proxy+}"),
        ]);
        match table.find("POST", "/console/incidents/inc_1") {
            Matched::Route(route, params) => {
                assert_eq!(route.key(), "ANY /console/{proxy+}");
                assert_eq!(params["proxy"], "incidents/inc_1");
            }
            other => panic!("{other:?}"),
        }
        match table.find("GET", "/console") {
            Matched::Route(route, _) => assert_eq!(route.key(), "GET /console"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            table.find("GET", "/consoles/x"),
            Matched::NotFound
        ));
    }

    #[test]
    fn literal_segments_beat_parameters_and_params_are_captured() {
        let table = table();
        match table.find("GET", "/v1/incidents/inc_1/timeline") {
            Matched::Route(route, params) => {
                assert_eq!(route.key(), "GET /v1/incidents/{id}/timeline");
                assert_eq!(params["id"], "inc_1");
            }
            other => panic!("{other:?}"),
        }
        match table.find("GET", "/v1/incidents/open") {
            Matched::Route(route, _) => assert_eq!(route.path, "/v1/incidents/open"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_paths_and_methods_are_told_apart() {
        assert!(matches!(
            table().find("GET", "/v2/nothing"),
            Matched::NotFound
        ));
        assert!(matches!(
            table().find("POST", "/v1/incidents"),
            Matched::MethodNotAllowed
        ));
    }

    #[test]
    fn parameters_are_percent_decoded() {
        match table().find("GET", "/v1/incidents/a%20b") {
            Matched::Route(_, params) => assert_eq!(params["id"], "a b"),
            other => panic!("{other:?}"),
        }
    }
}
