//! Cross-crate integration tests: a real aggregator on `127.0.0.1:0`, real nodes, temporary
//! stores, real gRPC. One binary, one module per feature.

mod at_rest; // data at rest: every data directory 0700, every file 0600, under umask 022; loosened ones made private again
mod compare_history; // compare --history: publications of several rounds by id, verified, kept, lined up
mod doc_commands; // every command line in README.md, docs/*.md and packaging/ parses with its program's clap definition
mod durability; // damaged store refused (also without acks.log), inclusion in the publication, the kill loop
mod happy; // the federation end to end: submit, publish, compare, export
mod inventory; // inventory metrics through the round path
mod ops; // operations while serving: admin API (enrol, revoke, status), stranger and replay refused, sizing preview
mod outbox; // aggregator down: outbox, later delivery, no double spend
mod parsers; // every text parser, mutated samples: no panic, round trips (fuzz twins)
mod peers; // peer matching with double opt-in: offer, match, request, answer, cards, withdraw
mod portal; // the benchmark portal: archive over gRPC, HTTP API (JSON, CSV, trends, OpenAPI, ETag, 429)
mod privacy; // policy refusals, yearly budget, the report for the data protection officer
mod refusals; // forged, unknown, revoked, replayed, closed, garbage, oversized
mod restart; // restart between submit and publish; a killed process loses nothing acknowledged
mod secure; // mode secure: trustees, committee key, forged and out-of-range ciphertexts, tampered shares
mod secure_copies; // mode secure: copied and replayed ciphertexts refused at submission, a refused round does not block the next, abandon
mod secure_paths; // mode secure: paths under a path bound, stage shares and roll-back rates, the bound enforced
mod simulation; // the demo's simulator against its ground truth
mod tls; // TLS on the gRPC link: node over TLS, plaintext refused, mTLS, certificate reload
