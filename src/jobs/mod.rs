//! Background work the server runs itself: the email outbox worker.

pub mod outbox;
