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

    fn params(&self) -> usize {
        self.segments().filter(|s| s.starts_with('{')).count()
    }

    fn matches(&self, path: &str) -> Option<HashMap<String, String>> {
        let given: Vec<&str> = path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let pattern: Vec<&str> = self.segments().collect();
        if given.len() != pattern.len() {
            return None;
        }
        let mut params = HashMap::new();
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
