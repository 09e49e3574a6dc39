package dev.herald.demo;

import dev.herald.core.Bus;
import dev.herald.core.HeraldConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A simulated market for the ticker demo: ten made-up symbols whose prices take a random walk. Every
 * {@code herald.ticker.interval} a few of them move, each move published on {@code prices:SYMBOL} as event
 * {@code price} with {@code {"symbol","price","change","changePct","open"}}. Starts with the application, stops on
 * undeploy; {@code herald.ticker=false} turns it off.
 */
@ApplicationScoped
public class StockTicker {
    private static final System.Logger LOG = System.getLogger(StockTicker.class.getName());
    /** Symbol and opening price. Fictitious companies. */
    static final Map<String, Double> OPENING = new LinkedHashMap<>();

    static {
        OPENING.put("ACME", 182.40);
        OPENING.put("BOLT", 44.15);
        OPENING.put("CRUX", 97.80);
        OPENING.put("DYNO", 12.62);
        OPENING.put("EMBR", 263.10);
        OPENING.put("FJRD", 71.05);
        OPENING.put("GLYF", 8.93);
        OPENING.put("HALO", 139.55);
        OPENING.put("IRIS", 55.70);
        OPENING.put("JADE", 318.25);
    }

    @Inject
    Bus bus;
    @Inject
    HeraldConfig config;

    private final Map<String, Double> prices = new LinkedHashMap<>(OPENING);
    private final Random random = new Random();
    private ScheduledExecutorService scheduler;

    /** Starts the feed when the application starts. */
    void start(@Observes @Initialized(ApplicationScoped.class) Object started) {
        if (!config.ticker() || scheduler != null) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "herald-demo-ticker");
            t.setDaemon(true);
            return t;
        });
        long every = config.tickerInterval().toMillis();
        scheduler.scheduleAtFixedRate(this::tick, every, every, TimeUnit.MILLISECONDS);
        LOG.log(System.Logger.Level.INFO, "demo ticker publishing on prices:* every " + every + " ms");
    }

    private void tick() {
        try {
            for (String symbol : prices.keySet()) {
                if (random.nextInt(10) < 4) {
                    move(symbol);
                }
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "ticker publish failed", e);
        }
    }

    private void move(String symbol) {
        double old = prices.get(symbol);
        double price = Math.max(0.5, Math.round(old * (1 + random.nextGaussian() * 0.004) * 100) / 100.0);
        prices.put(symbol, price);
        double open = OPENING.get(symbol);
        Map<String, Object> quote = new LinkedHashMap<>();
        quote.put("symbol", symbol);
        quote.put("price", price);
        quote.put("change", Math.round((price - open) * 100) / 100.0);
        quote.put("changePct", Math.round((price - open) / open * 10000) / 100.0);
        quote.put("open", open);
        bus.publish("prices:" + symbol, "price", quote);
    }

    /** Stops the feed's thread on undeploy. */
    @PreDestroy
    void stop() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            try {
                scheduler.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            LOG.log(System.Logger.Level.INFO, "demo ticker stopped");
        }
    }
}
