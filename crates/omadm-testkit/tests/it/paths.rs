//! The shared directory and its subdirectories resolve to the project's `shared/`.

use omadm_testkit::{corpus_dir, shared_dir, spec_vectors_dir};

#[test]
fn shared_dir_holds_the_spec() {
    assert!(
        shared_dir()
            .join("spec")
            .join("sessionless-reporting.txt")
            .is_file()
    );
}

#[test]
fn corpus_and_vectors_exist() {
    assert!(corpus_dir().join("MANIFEST.json").is_file());
    assert!(spec_vectors_dir().join("README.md").is_file());
}
