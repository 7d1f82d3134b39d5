//! Rendering documents: invoice and contract PDFs.

pub mod pdf;
