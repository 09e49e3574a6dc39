package dev.herald.engine.memory;

import dev.herald.core.PresenceContractTest;
import dev.herald.core.PresenceManager;

/** The shared presence contract on the memory engine. */
class MemoryPresenceTest extends PresenceContractTest {
    @Override
    protected PresenceManager newPresence(PresenceManager.Listener listener) {
        MemoryPresence p = new MemoryPresence();
        p.start(listener);
        return p;
    }
}
