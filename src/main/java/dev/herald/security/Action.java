package dev.herald.security;

/** What a caller wants to do with a channel. Reading history counts as {@link #SUBSCRIBE}. */
public enum Action {
    SUBSCRIBE,
    PUBLISH
}
