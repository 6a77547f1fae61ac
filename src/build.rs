//! Build script: the embedded migrations are read at compile time, so a new migration
//! directory must rebuild the crate.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
