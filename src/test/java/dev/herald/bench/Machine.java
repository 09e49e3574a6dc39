package dev.herald.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the report says about the machine: CPU, cores, memory, kernel, Java, Node, and the open-files limit. */
final class Machine {
    private Machine() {
    }

    /** The hard limit on open files of this process (children inherit it; it cannot be raised without root's CAP_SYS_RESOURCE). */
    static int openFilesLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.trim().split("\\s+");
                    return f[4].equals("unlimited") ? Integer.MAX_VALUE : Integer.parseInt(f[4]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return 1024;
    }

    static String describe(String serverCpus) {
        String cpu = "?";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException e) {
            // unknown
        }
        long mem = Runtime.getRuntime().maxMemory();
        try {
            String total = Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("[^0-9]", "");
            mem = Long.parseLong(total) * 1024;
        } catch (IOException | RuntimeException e) {
            // unknown
        }
        String node = "?";
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            node = new String(p.getInputStream().readAllBytes()).trim();
        } catch (IOException e) {
            // no node
        }
        String kernel = System.getProperty("os.name") + " " + System.getProperty("os.version");
        return String.format(java.util.Locale.ROOT,
                "%s, %d cores, %.0f GiB RAM, %s; Java %s (%s); Node %s; open-files limit %d; %s",
                cpu, Runtime.getRuntime().availableProcessors(), mem / 1073741824.0, kernel,
                System.getProperty("java.runtime.version"), System.getProperty("java.vm.name"), node, openFilesLimit(),
                serverCpus.isBlank() ? "servers and load generator share every CPU (no pinning)"
                        : "servers pinned to CPUs " + serverCpus + ", load generator on the others");
    }
}
