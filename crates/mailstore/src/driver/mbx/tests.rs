//! Tests of the mbx driver on files.
