//! (owner: document-pace helper; not built yet)
