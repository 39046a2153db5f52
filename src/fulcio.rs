//! fulcio
