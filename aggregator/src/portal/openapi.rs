//! The API's routes in one table ([`ROUTES`]) and the OpenAPI 3.0 document built from it with
//! serde_json: the router registers the same path constants, so the document and the server
//! cannot name different paths.

use serde_json::{json, Map, Value};

/// `GET`: the published rounds.
pub const ROUNDS: &str = "/api/v1/rounds";
/// `GET`: one signed publication.
pub const ROUND: &str = "/api/v1/rounds/{id}";
/// `GET`: a round's cells, JSON or CSV.
pub const CELLS: &str = "/api/v1/rounds/{id}/cells";
/// `GET`: a round's cells as CSV.
pub const CELLS_CSV: &str = "/api/v1/rounds/{id}/cells.csv";
/// `GET`: one cell across rounds.
pub const TRENDS: &str = "/api/v1/trends";
/// `GET`: this document.
pub const OPENAPI: &str = "/api/v1/openapi.json";

/// A query or path parameter of a route.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Name.
    pub name: &'static str,
    /// `path` or `query`.
    pub location: &'static str,
    /// Whether it must be given.
    pub required: bool,
    /// What it means.
    pub description: &'static str,
}

/// One API route.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// Path with `{param}` placeholders.
    pub path: &'static str,
    /// Operation id.
    pub id: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Parameters.
    pub params: &'static [Param],
    /// Media types of the 200 answer.
    pub media: &'static [&'static str],
    /// Whether the answer carries a strong ETag and honours `If-None-Match` (304).
    pub etag: bool,
    /// Whether an unknown round answers 404.
    pub not_found: bool,
}

const ID: Param = Param {
    name: "id",
    location: "path",
    required: true,
    description: "Round id of a published round.",
};
const LANG: Param = Param {
    name: "lang",
    location: "query",
    required: false,
    description: "de or en (default: Accept-Language, else de).",
};

/// Every API route.
pub const ROUTES: &[Route] = &[
    Route {
        path: ROUNDS,
        id: "listRounds",
        summary: "The published rounds, oldest first: round id, publication time, contributors, mode, SHA-256 of the signed payload.",
        params: &[],
        media: &["application/json"],
        etag: false,
        not_found: false,
    },
    Route {
        path: ROUND,
        id: "getRound",
        summary: "The signed publication: payload, signature and public key (base64), and a readable copy.",
        params: &[ID],
        media: &["application/json"],
        etag: true,
        not_found: true,
    },
    Route {
        path: CELLS,
        id: "getCells",
        summary: "The round's cells, one per cohort and metric; CSV with Accept: text/csv.",
        params: &[ID],
        media: &["application/json", "text/csv"],
        etag: true,
        not_found: true,
    },
    Route {
        path: CELLS_CSV,
        id: "getCellsCsv",
        summary: "The round's cells as CSV with a header row.",
        params: &[ID],
        media: &["text/csv"],
        etag: true,
        not_found: true,
    },
    Route {
        path: TRENDS,
        id: "getTrend",
        summary: "One cell across the published rounds, and each change between consecutive rounds with its 95% interval and a statement whether it stands out from the noise.",
        params: &[
            Param {
                name: "metric",
                location: "query",
                required: true,
                description: "Cell id, e.g. selftest.total, selftest.band=hybrid, path.crm.espocrm#rollback_rate.",
            },
            Param {
                name: "cohort",
                location: "query",
                required: false,
                description: "Cohort label, e.g. kind=gemeinde,size=5k-20k (default all).",
            },
            LANG,
        ],
        media: &["application/json"],
        etag: false,
        not_found: false,
    },
    Route {
        path: OPENAPI,
        id: "getOpenApi",
        summary: "This OpenAPI 3.0 document.",
        params: &[],
        media: &["application/json"],
        etag: false,
        not_found: false,
    },
];

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

/// The OpenAPI 3.0.3 document of [`ROUTES`].
pub fn document() -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let params: Vec<Value> = r
            .params
            .iter()
            .map(|p| {
                json!({
                    "name": p.name, "in": p.location, "required": p.required,
                    "description": p.description, "schema": {"type": "string"}
                })
            })
            .collect();
        let content: Map<String, Value> = r
            .media
            .iter()
            .map(|m| {
                let schema = if m.starts_with("text/") {
                    json!({"type": "string"})
                } else {
                    json!({"type": "object"})
                };
                ((*m).to_string(), json!({ "schema": schema }))
            })
            .collect();
        let mut ok = json!({"description": "OK", "content": content});
        let mut responses = Map::new();
        if r.etag {
            ok["headers"] = json!({"ETag": {
                "description": "Strong ETag over the SHA-256 of the signed payload.",
                "schema": {"type": "string"}
            }});
            responses.insert(
                "304".into(),
                json!({"description": "Not modified (If-None-Match)."}),
            );
        }
        responses.insert("200".into(), ok);
        if r.not_found {
            responses.insert(
                "404".into(),
                error_response("No published round with this id."),
            );
        }
        if r.params.iter().any(|p| p.location == "query" && p.required) {
            responses.insert(
                "400".into(),
                error_response("A required parameter is missing."),
            );
        }
        responses.insert(
            "429".into(),
            json!({
                "description": "Rate limit exceeded; try again after Retry-After seconds.",
                "headers": {"Retry-After": {"schema": {"type": "integer"}}}
            }),
        );
        paths.insert(
            r.path.to_string(),
            json!({"get": {
                "operationId": r.id,
                "summary": r.summary,
                "parameters": params,
                "responses": responses,
            }}),
        );
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "sovbench benchmark portal",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Published, signed benchmarks of a sovbench consortium: rounds, cells, trends. No login; rate limited per client address.",
            "license": {"name": "EUPL-1.2"}
        },
        "paths": paths,
        "components": {"schemas": {"Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "properties": {"status": {"type": "integer"}, "message": {"type": "string"}}
            }}
        }}}
    })
}
