package dev.herald.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.example.OrdersServlet;
import dev.herald.it.Http;
import dev.herald.it.SseClient;
import dev.herald.it.WsClient;
import jakarta.json.JsonObject;
import java.io.File;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.awaitility.Awaitility;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Herald as a library inside an application of its own (README, "Add Herald to your application"): {@code shop.war}
 * is the example application of {@code dev.herald.example} with the Herald library jar ({@code herald.library.jar}) in
 * {@code WEB-INF/lib}, plus, on Tomcat, what a plain servlet container lacks ({@code herald.servlet.libs}: Weld,
 * Yasson, Parsson, the JSON APIs, as {@code herald-servlet.war} bundles them). Deployed by the container profiles
 * (tomcat, payara, wildfly) beside {@link ContainerSuiteIT}; Herald is mounted at {@code /shop/herald}, the
 * application keeps its own {@code /shop/api/*}. On Tomcat the build's leak check then reads the log for this
 * application's undeploy ({@code Herald at /shop/herald/ stopped}) and for any leak.
 */
@ExtendWith(ArquillianExtension.class)
class LibraryIT {
    private static final String BEANS = "<beans xmlns=\"https://jakarta.ee/xml/ns/jakartaee\" version=\"4.0\""
            + " bean-discovery-mode=\"annotated\"/>";

    @Deployment(testable = false)
    static WebArchive shop() {
        WebArchive war = ShrinkWrap.create(WebArchive.class, "shop.war")
                .addPackage(OrdersServlet.class.getPackage())
                .addAsWebInfResource(new StringAsset(BEANS), "beans.xml")
                .addAsResource(new StringAsset("herald.sse.retry=1500ms\n"), "META-INF/microprofile-config.properties")
                .addAsLibrary(new File(System.getProperty("herald.library.jar", "target/herald-library.jar")));
        File[] deps = new File(System.getProperty("herald.library.deps", "target/library-deps"))
                .listFiles((dir, name) -> name.endsWith(".jar"));
        if (deps != null) { // the library's own dependencies (nimbus-jose-jwt), as Maven adds them to an application
            Arrays.sort(deps);
            war.addAsLibraries(deps);
        }
        String libs = System.getProperty("herald.servlet.libs", "");
        if (!libs.isBlank()) {
            File[] jars = new File(libs).listFiles((dir, name) -> name.endsWith(".jar"));
            assertThat(jars).as("jars in " + libs).isNotEmpty();
            Arrays.sort(jars);
            war.addAsLibraries(jars);
        }
        return war;
    }

    @ArquillianResource
    URL deployed;

    /** {@code http://127.0.0.1:PORT/shop/} */
    private URI app;

    @BeforeEach
    void base() {
        app = ContainerSuiteIT.loopback(deployed);
    }

    @Test
    @RunAsClient
    void theApplicationsOwnApiAndHeraldsApiLiveSideBySide() {
        HttpResponse<String> own = get("api/things");
        assertThat(own.statusCode()).isEqualTo(200);
        assertThat(Http.json(own).getString("api")).isEqualTo("shop");
        assertThat(Http.json(own).getString("path")).isEqualTo("/things");

        String channel = Http.channel("notes");
        HttpResponse<String> published = Http.send(HttpRequest.newBuilder(app.resolve("herald/api/channels/"
                + channel + "/messages")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"hi\"}")).build());
        assertThat(published.statusCode()).as(published.body()).isEqualTo(201);
        assertThat(Http.json(published).getInt("offset")).isEqualTo(1);

        HttpResponse<String> history = get("herald/api/channels/" + channel + "/messages?since=0");
        assertThat(history.statusCode()).isEqualTo(200);
        assertThat(Http.json(history).getJsonArray("messages")).hasSize(1);
        assertThat(get("herald/api/stats").statusCode()).isEqualTo(200);
    }

    @Test
    @RunAsClient
    void aPublishByTheApplicationsBeanReachesWebSocketAndSseSubscribersAtTheMountPoint() {
        String channel = Http.channel("orders");
        URI wsUri = URI.create(app.toString().replaceFirst("^http", "ws")).resolve("herald/ws");
        try (WsClient ws = WsClient.connect(wsUri);
                SseClient sse = SseClient.open(app.resolve("herald/sse?channel=" + encode(channel)), Map.of())) {
            assertThat(ws.subscribe(channel, null, "s1").getInt("offset")).isZero();
            assertThat(sse.status()).isEqualTo(200);
            Awaitility.await().atMost(WsClient.WAIT).until(() -> subscribers(channel) == 2);

            HttpResponse<String> order = Http.send(HttpRequest.newBuilder(app.resolve("orders?item=book&channel="
                    + encode(channel))).POST(HttpRequest.BodyPublishers.noBody()).build());
            assertThat(order.statusCode()).as(order.body()).isEqualTo(201);

            JsonObject overWs = ws.awaitMessages(channel, 1).get(0);
            JsonObject overSse = sse.awaitEnvelopes(channel, 1).get(0);
            for (JsonObject envelope : new JsonObject[] {overWs, overSse}) {
                assertThat(envelope.getString("event")).isEqualTo("order-created");
                assertThat(envelope.getJsonObject("data").getString("item")).isEqualTo("book");
                assertThat(envelope.getInt("offset")).isEqualTo(1);
            }
            assertThat(overSse.getString("id")).isEqualTo(overWs.getString("id"));
        }
    }

    @Test
    @RunAsClient
    void heraldJsIsServedFromTheLibraryJarAtTheMountPointAndNothingOfHeraldAtTheContextRoot() {
        HttpResponse<String> js = get("herald/herald.js");
        assertThat(js.statusCode()).isEqualTo(200);
        assertThat(js.headers().firstValue("Content-Type").orElse("")).contains("javascript");
        assertThat(js.body()).contains("export").contains("import.meta.url");
        String etag = js.headers().firstValue("ETag").orElseThrow();
        assertThat(Http.send(HttpRequest.newBuilder(app.resolve("herald/herald.js")).header("If-None-Match", etag)
                .build()).statusCode()).as("revalidated").isEqualTo(304);
        assertThat(get("herald/herald.d.ts").statusCode()).isEqualTo(200);
        assertThat(get("herald/herald-share.js").statusCode()).as("herald.js imports it").isEqualTo(200);
        assertThat(get("herald/herald-worker.js").statusCode()).as("herald.js starts it").isEqualTo(200);

        assertThat(get("herald.js").statusCode()).isEqualTo(404);
        assertThat(get("sse?channel=x").statusCode()).isEqualTo(404);
        assertThat(get("poll?channel=x").statusCode()).isEqualTo(404);
    }

    @Test
    @RunAsClient
    void theApplicationsAuthorizerDecides() {
        String channel = Http.channel("internal");
        HttpResponse<String> refused = Http.send(HttpRequest.newBuilder(app.resolve("herald/api/channels/"
                + channel + "/messages")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("1")).build());
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
        assertThat(Http.json(refused).getJsonObject("error").getString("code")).isEqualTo("forbidden");

        HttpResponse<String> byTheShop = Http.send(HttpRequest.newBuilder(app.resolve("orders?item=pen&channel="
                + encode(channel))).POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(byTheShop.statusCode()).as(byTheShop.body()).isEqualTo(201);
    }

    /**
     * The application's MicroProfile Config ({@code META-INF/microprofile-config.properties}: {@code herald.sse.retry}
     * 1500 ms) configures Herald on a container that has it (Payara); elsewhere (Tomcat, this slim WildFly) Herald
     * reads system properties and environment variables only, and the default holds.
     */
    @Test
    @RunAsClient
    void theApplicationsMicroProfileConfigIsReadWhereTheContainerHasIt() {
        boolean microProfile = System.getProperty("herald.container.name", "").startsWith("Payara");
        try (SseClient sse = SseClient.open(app.resolve("herald/sse?channel=" + encode(Http.channel("cfg"))),
                Map.of())) {
            assertThat(sse.status()).isEqualTo(200);
            Awaitility.await().atMost(WsClient.WAIT).until(() -> sse.retry() != null);
            assertThat(sse.retry()).isEqualTo(microProfile ? "1500" : "2000");
        }
    }

    /**
     * The transport scenarios of {@code dev.herald.it} against Herald at {@code /shop/herald/}: the protocol holds
     * under a mount point. The ones about the demo (pages, ticker) do not apply; {@code -Dherald.library.scenarios}
     * (class names) changes the selection.
     */
    @Test
    @RunAsClient
    void theProtocolScenariosPassAtTheMountPoint() {
        String container = System.getProperty("herald.container.name", "container") + ", library";
        String previous = System.getProperty("herald.test.url");
        try {
            ContainerSuiteIT.runScenarios(container, app.resolve("herald/"), System.getProperty(
                    "herald.library.scenarios", ".*\\.(Resume|HistoryApi|Poll|SseHeraldMode|Errors|Cleanup)IT"), 5);
        } finally {
            if (previous == null) {
                System.clearProperty("herald.test.url");
            } else {
                System.setProperty("herald.test.url", previous);
            }
        }
    }

    private int subscribers(String channel) {
        return Http.json(get("herald/api/channels?channel=" + encode(channel))).getInt("subscribers");
    }

    private HttpResponse<String> get(String path) {
        return Http.send(HttpRequest.newBuilder(app.resolve(path)).build());
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
