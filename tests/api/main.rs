//! Integration tests: each starts the real server on 127.0.0.1:0 against a fresh database
//! (a new SQLite file, or a new PostgreSQL database when `TEST_DATABASE_URL` is set) and
//! talks GraphQL over HTTP, as a client would.

mod helpers;
mod walk;

mod accounts;
mod audit;
mod auth;
mod billing;
mod bulk;
mod capabilities;
mod cart;
mod cli;
mod clients;
mod concurrency;
mod controls;
mod derived;
mod documents;
mod due;
mod expiry;
mod faults;
mod generate;
mod http;
mod isolation;
mod keys;
mod lifecycle;
mod limits;
mod live;
mod mail;
mod money;
mod nodes;
mod numbering;
mod orders;
mod pagination;
mod permissions;
mod queue;
mod scheduler;
mod schema;
mod scopes;
mod services;
mod sessions;
mod startup;
mod statements;
mod templates;
mod tenants;
mod throttle;
mod tickets;
mod totals;
mod tracing;
mod transfers;
mod transports;
mod unlinking;
mod upcoming;
mod usage;
mod viewers;
mod visibility;
