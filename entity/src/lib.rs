//! SeaORM entities of portal-api: one module per table, plus the shared text enums.
//! No GraphQL here: the API layer builds its own types from these models.

pub mod account;
pub mod account_link;
pub mod activity;
pub mod balance_entry;
pub mod change_request;
pub mod counter;
pub mod document;
pub mod document_content;
pub mod email_outbox;
pub mod email_template;
pub mod enums;
pub mod idempotency_key;
pub mod internet_session;
pub mod invoice;
pub mod invoice_line;
pub mod job;
pub mod login_failure;
pub mod notification;
pub mod order;
pub mod order_item;
pub mod partner;
pub mod partner_portal_settings;
pub mod payment;
pub mod portal_settings;
pub mod refresh_token;
pub mod server_key;
pub mod service;
pub mod service_pause;
pub mod service_rate;
pub mod service_request;
pub mod staff_user;
pub mod tariff;
pub mod ticket;
pub mod ticket_message;
pub mod voice_call;
