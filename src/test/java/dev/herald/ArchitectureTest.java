package dev.herald;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The layering of docs/architecture (README, "Architecture"), held by the compiler's output. */
class ArchitectureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.herald");

    @Test
    void theCoreKnowsNoTransportNoEngineAndNoContainer() {
        noClasses().that().resideInAnyPackage("dev.herald.core..", "dev.herald.security..", "dev.herald.protocol..")
                .should().dependOnClassesThat().resideInAnyPackage("jakarta.websocket..", "jakarta.servlet..",
                        "dev.herald.transport..", "dev.herald.engine..", "dev.herald.boot..", "org.eclipse.jetty..",
                        "io.lettuce..", "redis..")
                .check(CLASSES);
    }

    @Test
    void transportsDoNotDependOnEachOtherOrOnEngines() {
        for (String t : new String[] {"ws", "sse", "http", "poll"}) {
            noClasses().that().resideInAPackage("dev.herald.transport." + t + "..")
                    .should().dependOnClassesThat().resideInAnyPackage(
                            other(t, "ws"), other(t, "sse"), other(t, "http"), other(t, "poll"), "dev.herald.engine..")
                    .check(CLASSES);
        }
    }

    @Test
    void enginesDependOnTheCoreOnly() {
        noClasses().that().resideInAPackage("dev.herald.engine..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.herald.transport..", "jakarta.websocket..",
                        "jakarta.servlet..", "dev.herald.demo..")
                .check(CLASSES);
    }

    /** The runner, and the WebSocket adapter it selects (loaded only there: transport.ws.jetty). */
    @Test
    void onlyTheRunnerUsesJetty() {
        noClasses().that().resideOutsideOfPackages("dev.herald.runner..", "dev.herald.transport.ws.jetty..")
                .should().dependOnClassesThat().resideInAPackage("org.eclipse.jetty..")
                .check(CLASSES);
    }

    /** The library jar leaves the demo and the runner out (pom.xml, execution library): nothing in it may need them. */
    @Test
    void theLibraryNeedsNeitherTheDemoNorTheRunner() {
        noClasses().that().resideOutsideOfPackages("dev.herald.demo..", "dev.herald.runner..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.herald.demo..", "dev.herald.runner..")
                .check(CLASSES);
    }

    /** Micrometer is optional (the library jar): one class uses it, loaded only when it is there (ops.Metrics). */
    @Test
    void onlyTheMetricsClassUsesMicrometer() {
        noClasses().that().resideOutsideOfPackage("dev.herald.ops.metrics..")
                .should().dependOnClassesThat().resideInAnyPackage("io.micrometer..", "io.prometheus..")
                .check(CLASSES);
    }

    /** Operations read the core; nothing Herald does for clients depends on them. */
    @Test
    void nothingButTheMountDependsOnOperations() {
        noClasses().that().resideOutsideOfPackages("dev.herald.ops..", "dev.herald.web..")
                .should().dependOnClassesThat().resideInAPackage("dev.herald.ops..")
                .check(CLASSES);
    }

    private static String other(String self, String candidate) {
        return self.equals(candidate) ? "dev.herald.none.." : "dev.herald.transport." + candidate + "..";
    }
}
