//! Tests of the mix driver through the store API.
