/**
 * An example application that embeds Herald as a library (README, "Add Herald to your application"): its own
 * {@code /api/*} ({@link dev.herald.example.ShopApiServlet}), a servlet that publishes from application code
 * ({@link dev.herald.example.OrdersServlet}), and its own authorization rules ({@link dev.herald.example.ShopRules}).
 * {@code dev.herald.container.LibraryIT} packages it with the Herald library jar into {@code shop.war} and deploys it
 * to Tomcat, Payara and WildFly.
 */
package dev.herald.example;
