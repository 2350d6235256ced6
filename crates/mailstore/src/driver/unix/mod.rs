//! The traditional UNIX mailbox format.
pub mod format;
pub mod scan;
#[cfg(test)]
mod tests;
