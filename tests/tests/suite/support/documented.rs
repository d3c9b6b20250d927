//! Every answer a test receives must be one the published document lists for its operation,
//! so that the whole suite checks the per-operation error lists of the spec (issue 15): a
//! status the server gives but the spec leaves out fails the test that provoked it.

use std::sync::OnceLock;

use poem::http::{Method, StatusCode};

/// One operation of the document: its method, path template and documented statuses.
struct Operation {
    method: String,
    template: Vec<String>,
    statuses: Vec<String>,
}

fn operations() -> &'static [Operation] {
    static OPERATIONS: OnceLock<Vec<Operation>> = OnceLock::new();
    OPERATIONS.get_or_init(|| {
        let document = dorfapp::http::spec::document();
        let mut operations = Vec::new();
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let statuses = operation["responses"]
                    .as_object()
                    .map(|responses| responses.keys().cloned().collect())
                    .unwrap_or_default();
                operations.push(Operation {
                    method: method.to_uppercase(),
                    template: path.split('/').map(str::to_owned).collect(),
                    statuses,
                });
            }
        }
        operations
    })
}

/// How well `template` matches the path's segments: `None` if it does not, else the number
/// of literal segments (`/news/mine` beats `/news/{id}`).
fn literal_matches(template: &[String], segments: &[&str]) -> Option<usize> {
    if template.len() != segments.len() {
        return None;
    }
    let mut literal = 0;
    for (part, segment) in template.iter().zip(segments) {
        if part.starts_with('{') {
            if segment.is_empty() {
                return None;
            }
        } else if part == segment {
            literal += 1;
        } else {
            return None;
        }
    }
    Some(literal)
}

/// Panics when the operation behind `method path` does not document `status`. Requests that
/// reach no operation (unknown paths, methods the router refuses) are not checked.
pub fn assert_documented(method: &Method, path: &str, status: StatusCode, body: &str) {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    let best = operations()
        .iter()
        .filter(|operation| operation.method == method.as_str())
        .filter_map(|operation| Some((literal_matches(&operation.template, &segments)?, operation)))
        .max_by_key(|(literal, _)| *literal);
    if let Some((_, operation)) = best {
        assert!(
            operation.statuses.iter().any(|s| s == status.as_str()),
            "{method} {path} answered {status}, which the published document does not list for \
             it ({:?}); add it to the module's ERRORS if it is right. Body: {body}",
            operation.statuses
        );
    }
}
