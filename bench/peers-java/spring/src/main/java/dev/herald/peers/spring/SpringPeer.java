package dev.herald.peers.spring;

import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;

/**
 * The Spring Boot peer of Herald's benchmark (bench/run.sh), written as Spring Framework's reference documentation
 * shows it: a {@code TextWebSocketHandler} registered through {@code @EnableWebSocket}/{@link WebSocketConfigurer}
 * ("WebSocket API" chapter), each session wrapped in a {@code ConcurrentWebSocketSessionDecorator} for sends from
 * other threads, and an {@code SseEmitter} returned from a controller ("Asynchronous Requests", HTTP Streaming), on
 * Spring MVC and embedded Tomcat. It speaks what the load generator speaks to the Node peers (bench/peers):
 * <ul>
 *   <li>{@code WS /ws}: client frame {@code {"type":"subscribe","channel":"bench"}}, answered with
 *       {@code {"type":"subscribed","channel":"bench","offset":N}}; then every message.</li>
 *   <li>{@code GET /sse}: {@code text/event-stream}; first event {@code id:0} / {@code data:"ready"} to that client
 *       alone, then {@code id:N} / {@code data:MESSAGE} per message.</li>
 *   <li>{@code POST /publish}: a JSON body; sends
 *       {@code {"type":"message","channel":"bench","offset":N,"data":BODY,"ts":MILLIS}} to every WebSocket and SSE
 *       subscriber and answers 201 {@code {"offset":N}} after the broadcast loop.</li>
 * </ul>
 * Command line: {@code java -jar spring-peer.jar --port 0 --host 127.0.0.1}; prints
 * {@code spring peer started at http://localhost:PORT/} once it serves.
 */
@SpringBootApplication
@EnableWebSocket
public class SpringPeer implements WebSocketConfigurer {

    public static void main(String[] args) {
        ConfigurableApplicationContext ctx = SpringApplication.run(SpringPeer.class, springArgs(args));
        String port = ctx.getEnvironment().getProperty("local.server.port");
        System.out.println("spring peer started at http://localhost:" + port + "/");
        System.out.flush();
    }

    /** {@code --port P --host H} (as the Node peers take them) as Spring Boot's {@code --server.port=P} … */
    private static String[] springArgs(String[] args) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--port") && i + 1 < args.length) {
                out.add("--server.port=" + args[++i]);
            } else if (args[i].equals("--host") && i + 1 < args.length) {
                out.add("--server.address=" + args[++i]);
            } else {
                out.add(args[i]);
            }
        }
        return out.toArray(String[]::new);
    }

    @Bean
    WsBroadcast wsBroadcast() {
        return new WsBroadcast();
    }

    @Override
    public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
        registry.addHandler(wsBroadcast(), "/ws").setAllowedOrigins("*");
    }
}
