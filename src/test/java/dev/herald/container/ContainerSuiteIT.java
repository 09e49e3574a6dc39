package dev.herald.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.File;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URL;
import java.util.stream.Collectors;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.ClassNameFilter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs every integration scenario ({@code dev.herald.it.*IT}) against Herald deployed by Arquillian to a real
 * container: Tomcat, Payara Micro or WildFly, chosen by the Maven profile (README, "Deploy"). The scenarios are the
 * ones the default build runs against the standalone runner; here they get the deployment's URL through
 * {@code herald.test.url}, as Tyrus' test container does. Each scenario's outcome is printed, and any failure fails
 * this test. {@code -Dherald.scenarios=REGEX} (class names, default {@code .*IT}) runs some of them, e.g. to loop one.
 */
@ExtendWith(ArquillianExtension.class)
class ContainerSuiteIT {

    /**
     * The WAR under test ({@code herald.war} for Jakarta EE servers, {@code herald-servlet.war} for Tomcat, as the
     * profile says), deployed as {@code herald.war}: context {@code /herald} everywhere.
     */
    @Deployment(testable = false)
    static WebArchive deployment() {
        File war = new File(System.getProperty("herald.container.war", "target/herald.war"));
        return ShrinkWrap.create(ZipImporter.class, "herald.war").importFrom(war).as(WebArchive.class);
    }

    @ArquillianResource
    URL base;

    @Test
    @RunAsClient
    void everyScenarioPassesOnThisContainer() {
        URI deployed = loopback(base);
        String container = System.getProperty("herald.container.name", "container");
        System.out.println("[" + container + "] Herald deployed at " + deployed);
        runScenarios(container, deployed, System.getProperty("herald.scenarios", ".*IT"), 10);
    }

    /**
     * Runs the scenarios whose class names match {@code pattern} against the Herald at {@code deployed}, printing each
     * outcome, and fails unless more than {@code atLeast} ran and none failed or was skipped.
     */
    static void runScenarios(String container, URI deployed, String pattern, int atLeast) {
        System.setProperty("herald.test.url", deployed.toString());
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectPackage("dev.herald.it"))
                .filters(ClassNameFilter.includeClassNamePatterns(pattern))
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary, new Printer(container));
        TestExecutionSummary result = summary.getSummary();
        result.printTo(new PrintWriter(System.out, true));
        result.printFailuresTo(new PrintWriter(System.out, true), 20);

        assertThat(result.getTestsFoundCount()).as("scenarios found").isGreaterThan(atLeast);
        String failed = result.getFailures().stream()
                .map(f -> f.getTestIdentifier().getLegacyReportingName() + ": " + f.getException())
                .collect(Collectors.joining("; "));
        assertThat(result.getTotalFailureCount()).as("scenarios failed on " + container + ": " + failed).isZero();
        assertThat(result.getTestsSkippedCount()).as("scenarios skipped on " + container).isZero();
    }

    /**
     * Keeps every request on loopback, whatever address the adapter reports (Payara reports the host's), and goes
     * through the reverse proxy instead when {@code herald.proxy.port} is set (profile nginx).
     */
    static URI loopback(URL url) {
        String path = url.getPath().endsWith("/") ? url.getPath() : url.getPath() + "/";
        int port = Integer.getInteger("herald.proxy.port", url.getPort());
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** One line per scenario, so each container's run is visible in the build output. */
    private record Printer(String container) implements TestExecutionListener {
        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            if (id.isTest()) {
                System.out.println("[" + container + "] " + result.getStatus() + " " + id.getLegacyReportingName()
                        + " (" + id.getUniqueIdObject().getSegments().get(1).getValue() + ")"
                        + result.getThrowable().map(t -> ": " + t).orElse(""));
            }
        }
    }
}
