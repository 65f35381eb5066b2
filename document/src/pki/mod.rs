//! (owner: document-pki helper; not built yet)
