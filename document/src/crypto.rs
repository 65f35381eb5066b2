//! (owner: document-core helper; not built yet)
