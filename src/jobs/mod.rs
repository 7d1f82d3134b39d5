//! Background work the server runs itself: the email outbox worker and the scheduler of
//! due jobs (service activation and ends, the monthly billing run, sweeps).

pub mod calendar;
pub mod outbox;
pub mod scheduler;
pub mod work;
