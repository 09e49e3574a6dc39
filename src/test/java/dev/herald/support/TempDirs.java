package dev.herald.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Removing the temporary directories the test servers ({@link RedisServer}, {@link RedisCluster}, {@link Nginx}) run in. */
final class TempDirs {
    private TempDirs() {
    }

    /** Deletes the directory and everything in it; one left behind (a file still open) is harmless, and ignored. */
    static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(files.toList());
            Collections.reverse(all);
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temp directory left behind is harmless
        }
    }
}
