package dev.herald.browser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * One headless Chromium with one page, driven through ChromeDriver. Both are Debian's ({@code apt-get install chromium
 * chromium-driver}, which {@code .ci/run} does): their paths are set explicitly, so Selenium Manager never looks for
 * a browser or a driver on the network. Each instance gets a fresh profile directory, deleted on {@link #close}.
 *
 * <p>Screenshots go to {@code herald.screenshots} ({@code target/screenshots}). Not thread-safe: one test thread.
 */
public final class Chromium implements AutoCloseable {
    /** How long a test waits for something a page should show: generous, since a reconnect backs off. */
    public static final Duration WAIT = Duration.ofSeconds(60);
    /** The CSS width of {@link #phone()}'s screen. */
    public static final int PHONE_WIDTH = 390;
    private static final Path BINARY = Path.of(System.getProperty("herald.chromium", "/usr/bin/chromium"));
    private static final Path DRIVER = Path.of(System.getProperty("herald.chromedriver", "/usr/bin/chromedriver"));
    private static final Path SCREENSHOTS = Path.of(System.getProperty("herald.screenshots", "target/screenshots"));

    private final ChromeDriver driver;
    private final Path profile;

    private Chromium(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    /** A desktop-sized browser (1280 x 860). */
    public static Chromium start() {
        return start(1280, 860);
    }

    /** A browser whose window, and so its layout viewport, is {@code width} x {@code height}. */
    public static Chromium start(int width, int height) {
        return start(width, height, false);
    }

    /**
     * A phone: ChromeDriver's mobile emulation of a 390 x 844 screen at 2x (a headless window cannot be narrower
     * than 500 px). A page too wide for it widens the layout viewport past {@link #PHONE_WIDTH}, as on a phone.
     */
    public static Chromium phone() {
        return start(PHONE_WIDTH, 844, true);
    }

    private static Chromium start(int width, int height, boolean phone) {
        for (Path p : List.of(BINARY, DRIVER)) {
            if (!Files.isExecutable(p)) {
                throw new IllegalStateException(p + " is missing: apt-get install chromium chromium-driver (.ci/run does)");
            }
        }
        try {
            Path profile = Files.createTempDirectory("herald-chromium-");
            ChromeOptions options = new ChromeOptions();
            options.setBinary(BINARY.toFile());
            options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=" + width + "," + height,
                    "--user-data-dir=" + profile);
            LoggingPreferences logs = new LoggingPreferences();
            logs.enable(LogType.BROWSER, Level.ALL);
            options.setCapability("goog:loggingPrefs", logs);
            if (phone) {
                options.setExperimentalOption("mobileEmulation", Map.of("deviceMetrics",
                        Map.of("width", width, "height", height, "pixelRatio", 2.0)));
            }
            ChromeDriverService service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort().build();
            return new Chromium(new ChromeDriver(service, options), profile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs {@code source} in every document this browser loads from now on, before the page's own scripts (Chrome
     * DevTools {@code Page.addScriptToEvaluateOnNewDocument}).
     */
    public void beforeEachPage(String source) {
        driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", source));
    }

    public void open(URI url) {
        driver.get(url.toString());
    }

    /** Runs JavaScript in the page: {@code script} is a function body; {@code return} gives its value. */
    public Object js(String script, Object... args) {
        return driver.executeScript(script, args);
    }

    public ChromeDriver driver() {
        return driver;
    }

    /** Writes the page as it looks now to {@code <screenshots>/<name>.png} and returns the file. */
    public Path screenshot(String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            Path file = SCREENSHOTS.resolve(name + ".png");
            Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The page's console messages at level SEVERE (uncaught errors, failed loads) since the last call. */
    public List<String> consoleErrors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).map(LogEntry::getMessage).toList();
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a leftover temporary profile is harmless
            }
        }
    }
}
