package dev.herald.core;

/**
 * A position in one channel's stream: an offset within an epoch. The epoch changes when a channel's history is
 * lost and offsets start again from 1 (an in-memory engine restarted, an idle channel evicted), so a client can tell
 * "offset 3 of a new stream" from "offset 3 of the stream I knew".
 */
public record StreamPosition(long offset, String epoch) {
}
