package dev.herald.example;

import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * The application's own {@code {app}/api/*}, which Herald (at {@code {app}/herald/api/*}) must leave alone. Answers
 * {@code {"api":"shop","path":PATH_INFO}}.
 */
@WebServlet("/api/*")
public class ShopApiServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = String.valueOf(request.getPathInfo()).replaceAll("[^A-Za-z0-9/_-]", "");
        response.setContentType("application/json");
        response.getWriter().write("{\"api\":\"shop\",\"path\":\"" + path + "\"}");
    }
}
