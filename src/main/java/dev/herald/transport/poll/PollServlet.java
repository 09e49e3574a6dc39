package dev.herald.transport.poll;

import dev.herald.core.Bus;
import dev.herald.core.Disconnect;
import dev.herald.core.ErrorCode;
import dev.herald.core.HeraldException;
import dev.herald.core.StreamPosition;
import dev.herald.core.StrictJson;
import dev.herald.core.Subscriber;
import dev.herald.protocol.ResumeToken;
import dev.herald.security.Action;
import dev.herald.security.Authenticator;
import dev.herald.security.Caller;
import dev.herald.security.Limits;
import dev.herald.transport.Beans;
import dev.herald.transport.HttpAuth;
import dev.herald.transport.HttpIo;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code GET {ctx}/poll?channel=A&channel=B[&since=<token>]}: long-polling, for networks whose proxies buffer event
 * streams (docs/protocol.md section 6.2). Each request is a short-lived {@link Subscriber}: it subscribes to every
 * channel from its position in {@code since}, and its {@link PollTransport} answers with the first batch that
 * carries envelopes or gaps, or with none when {@code herald.poll.timeout} passes. Without {@code since} it answers
 * at once with the current positions. A bad request is refused with the HTTP error of section 3 before holding.
 */
public class PollServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private transient Bus bus;
    private transient Authenticator authenticator;
    private transient Limits limits;

    @Override
    public void init() {
        bus = Beans.get(Bus.class);
        authenticator = Beans.get(Authenticator.class);
        limits = Beans.get(Limits.class);
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Caller caller;
        Set<String> channels;
        Map<String, StreamPosition> since;
        Limits.Permit permit;
        try {
            caller = HttpAuth.caller(request, "poll", authenticator, limits, true);
            channels = HttpIo.channels(request, authenticator.settings().maxSubscriptions());
            since = since(HttpIo.parameter(request, "since"), channels);
            for (String channel : channels) {
                bus.authorize(caller, Action.SUBSCRIBE, channel);
            }
            permit = limits.poll(caller.remoteAddress());
        } catch (HeraldException e) {
            HttpIo.error(response, e);
            return;
        } catch (RuntimeException e) {
            HttpIo.internal(response, e);
            return;
        }

        AsyncContext async = request.startAsync();
        long timeout = bus.config().pollTimeout().toMillis();
        if (caller.expires() != null) { // answer (empty) by the token's expiry: the next poll is then refused, 401
            timeout = Math.max(1, Math.min(timeout, caller.expires().toEpochMilli() - System.currentTimeMillis()));
        }
        async.setTimeout(timeout);
        PollTransport transport = new PollTransport(async, since != null);
        async.addListener(transport);
        // set before connecting: a draining node answers (and so releases the permit) from inside connect
        AtomicReference<Subscriber> connected = new AtomicReference<>();
        transport.onAnswered(() -> {
            Subscriber s = connected.get();
            if (s != null) {
                s.close(Disconnect.NORMAL);
            }
            permit.close();
        });
        Subscriber subscriber = bus.connect(caller, transport);
        connected.set(subscriber);
        try {
            for (String channel : channels) {
                StreamPosition from = since == null ? null : since.get(channel);
                if (from != null) {
                    transport.resumes(channel, from);
                }
                bus.subscribe(subscriber, channel, from == null ? null : from.offset(),
                        from == null ? null : from.epoch(), null);
            }
            subscriber.send(PollTransport.SUBSCRIBED_ALL);
        } catch (HeraldException e) {
            transport.refuse(e); // authorised above; only a changed decision lands here, before anything is answered
        }
    }


    /**
     * The positions of {@code since} on the requested channels (a resume token; a bare offset when one channel is
     * named), or null when absent: then the answer comes at once.
     */
    private static Map<String, StreamPosition> since(String since, Set<String> channels) {
        if (since == null || since.isEmpty()) {
            return null;
        }
        if (since.chars().allMatch(c -> c >= '0' && c <= '9')) {
            if (channels.size() != 1) {
                throw new HeraldException(ErrorCode.BAD_REQUEST, "a bare offset needs exactly one channel");
            }
            return Map.of(channels.iterator().next(),
                    new StreamPosition(StrictJson.safeInteger(since, "since"), null));
        }
        Map<String, StreamPosition> positions = new LinkedHashMap<>(ResumeToken.parse(since));
        positions.keySet().retainAll(channels);
        return positions;
    }
}
