package dev.herald.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.security.Caller;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * {@link Roster}: after any sequence of adds and removes it holds exactly the subscribers a plain set would, in
 * chunks that are all full but the last (none empty), and the rosters it was made from are unchanged (a publish may
 * be iterating them).
 */
class RosterTest {
    private static final int POOL = 3 * Roster.CHUNK + 7;

    /**
     * Each step picks a subscriber of a pool of {@value #POOL}: added when it is out, removed when it is in; removing
     * one that is out must return the same roster.
     */
    @Property(tries = 200)
    void holdsWhatASetWouldInFullChunks(@ForAll @Size(max = 3000) List<@IntRange(max = POOL - 1) Integer> steps) {
        Subscriber[] pool = new Subscriber[POOL];
        for (int i = 0; i < POOL; i++) {
            pool[i] = new Subscriber(i, Caller.SYSTEM, null, Runnable::run, 16, s -> { }, Probe.NONE);
        }
        Map<Subscriber, Boolean> expected = new IdentityHashMap<>();
        Roster roster = Roster.EMPTY;
        Roster earlier = roster;
        List<Subscriber> earlierMembers = members(earlier);
        for (int step : steps) {
            Subscriber s = pool[step];
            if (expected.remove(s) != null) {
                roster = roster.without(s);
            } else {
                assertThat(roster.without(s)).isSameAs(roster);
                expected.put(s, true);
                roster = roster.with(s);
            }
            if (step % 97 == 0) { // now and then: keep a roster to check it never changes afterwards
                assertThat(members(earlier)).containsExactlyElementsOf(earlierMembers);
                earlier = roster;
                earlierMembers = members(roster);
            }
        }
        assertThat(members(roster)).containsExactlyInAnyOrderElementsOf(expected.keySet());
        assertThat(roster.size()).isEqualTo(expected.size());
        Subscriber[][] chunks = roster.chunks();
        for (int c = 0; c < chunks.length; c++) {
            assertThat(chunks[c].length).as("chunk " + c).isBetween(1, Roster.CHUNK);
            if (c < chunks.length - 1) {
                assertThat(chunks[c].length).as("chunk " + c + " is full").isEqualTo(Roster.CHUNK);
            }
        }
        assertThat(members(earlier)).containsExactlyElementsOf(earlierMembers);
    }

    private static List<Subscriber> members(Roster roster) {
        List<Subscriber> all = new ArrayList<>();
        for (Subscriber[] chunk : roster.chunks()) {
            all.addAll(List.of(chunk));
        }
        return all;
    }
}
