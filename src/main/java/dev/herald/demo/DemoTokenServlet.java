package dev.herald.demo;

import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldException;
import dev.herald.core.SecuritySettings;
import dev.herald.protocol.JsonText;
import dev.herald.security.Authenticator;
import dev.herald.security.Capabilities;
import dev.herald.security.jwt.TokenIssuer;
import dev.herald.transport.Beans;
import dev.herald.transport.HttpIo;
import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * {@code POST {ctx}/demo/token} with {@code {"nick":"…"}}: a short-lived token for the chat demo
 * (docs/security.md, "The demos with security on"): subject {@code demo:<nick>}, capability
 * {@value #CHAT} for {@code herald.demo.token-ttl}. Answers {@code {"token":…,"expires":MILLIS}}; 404 when
 * {@code herald.demo=false}; 400 for a missing or bad nick (1–24 characters, no control characters). Anyone may ask:
 * it is a demo, which is why production turns the demos off.
 */
@WebServlet(urlPatterns = "/demo/token")
public class DemoTokenServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    static final String CHAT = "{\"chat:*\":[\"subscribe\",\"publish\",\"history\",\"presence\"]}";
    private static final Capabilities CHAT_CAPABILITY = Capabilities.parse(CHAT);

    private transient Authenticator authenticator;

    @Override
    public void init() {
        authenticator = Beans.get(Authenticator.class);
    }

    /** Not the container's error page, which may name this class: a JSON 405. */
    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("Allow", "POST");
        HttpIo.error(response, 405, ErrorCode.BAD_REQUEST, "POST {\"nick\":\"…\"} to get a demo token");
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            TokenIssuer issuer = authenticator.demoIssuer();
            if (issuer == null) {
                throw new HeraldException(ErrorCode.NOT_FOUND, "the demos are off (herald.demo=false)");
            }
            String nick = nick(request);
            SecuritySettings s = authenticator.settings();
            Instant expires = Instant.now().plus(s.demoTokenTtl());
            String token = issuer.issue("demo:" + nick, CHAT_CAPABILITY, expires);
            StringBuilder b = new StringBuilder(token.length() + 48).append("{\"token\":");
            JsonText.string(b, token).append(",\"expires\":").append(expires.toEpochMilli()).append('}');
            HttpIo.json(response, 200, b.toString());
        } catch (HeraldException e) {
            HttpIo.error(response, e);
        }
    }

    private static String nick(HttpServletRequest request) throws IOException {
        byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes(1024);
        }
        String nick = null;
        try (JsonReader reader = Json.createReader(new StringReader(new String(body, StandardCharsets.UTF_8)))) {
            if (reader.readValue() instanceof JsonObject o && o.get("nick") instanceof JsonString s) {
                nick = s.getString().strip();
            }
        } catch (JsonException | IllegalStateException e) {
            // refused below
        }
        if (nick == null || nick.isEmpty() || nick.length() > 24 || nick.chars().anyMatch(Character::isISOControl)) {
            throw new HeraldException(ErrorCode.BAD_REQUEST, "send {\"nick\":\"…\"}: 1 to 24 characters");
        }
        return nick;
    }
}
