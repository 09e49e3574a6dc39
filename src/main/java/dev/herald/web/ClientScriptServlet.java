package dev.herald.web;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * {@code {path}/herald.js} and {@code {path}/herald.d.ts}: the browser client and its types, with the modules
 * herald.js imports ({@code herald-share.js}, cross-tab sharing) or starts ({@code herald-worker.js}, the
 * SharedWorker that holds the connection the tabs share, which must come from the same origin as the page), read once from
 * {@code META-INF/herald/} on Herald's class path (the library jar, or {@code WEB-INF/classes} of the WARs). herald.js
 * takes its base URL from where it was loaded, so a page that imports {@code {ctx}{path}/herald.js} talks to this
 * Herald with no setting. Answers with an ETag and {@code Cache-Control: no-cache} (a browser revalidates, and gets
 * the new client after an upgrade); 404 for a file the build did not package.
 */
public class ClientScriptServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Map<String, String> TYPES = Map.of(
            "herald.js", "text/javascript; charset=utf-8",
            "herald-share.js", "text/javascript; charset=utf-8",
            "herald-worker.js", "text/javascript; charset=utf-8",
            "herald.d.ts", "text/plain; charset=utf-8");

    private transient Map<String, Script> scripts;

    private record Script(byte[] bytes, String type, String etag) {
    }

    @Override
    public void init() throws ServletException {
        Map<String, Script> loaded = new HashMap<>();
        for (Map.Entry<String, String> e : TYPES.entrySet()) {
            try (InputStream in = ClientScriptServlet.class.getClassLoader()
                    .getResourceAsStream("META-INF/herald/" + e.getKey())) {
                if (in != null) {
                    byte[] bytes = in.readAllBytes();
                    loaded.put(e.getKey(), new Script(bytes, e.getValue(), etag(bytes)));
                }
            } catch (IOException ex) {
                throw new ServletException("cannot read META-INF/herald/" + e.getKey(), ex);
            }
        }
        scripts = Map.copyOf(loaded);
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String uri = request.getRequestURI();
        Script script = scripts.get(uri.substring(uri.lastIndexOf('/') + 1));
        if (script == null) {
            response.sendError(HttpServletResponse.SC_NOT_FOUND);
            return;
        }
        response.setHeader("ETag", script.etag());
        response.setHeader("Cache-Control", "no-cache");
        if (script.etag().equals(request.getHeader("If-None-Match"))) {
            response.setStatus(HttpServletResponse.SC_NOT_MODIFIED);
            return;
        }
        response.setContentType(script.type());
        response.setContentLength(script.bytes().length);
        response.getOutputStream().write(script.bytes());
    }

    private static String etag(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
