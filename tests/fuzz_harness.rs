//! The fuzz harness (`fuzz/src/lib.rs`), compiled and its own tests run
//! with the suite. `fuzz/` is a workspace of its own on a nightly
//! toolchain that CI never builds, and its calls had drifted from the
//! library's (`json_line` and `json_element` gained a buffer to reuse)
//! without anyone noticing until a fuzz run would not build.

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod harness;
