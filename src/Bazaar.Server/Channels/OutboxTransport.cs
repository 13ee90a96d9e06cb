namespace Bazaar.Server.Channels;

/// <summary>
/// Delivers outbox rows of one channel (Telegram now, WhatsApp later). The sender owns claiming, pacing,
/// ordering and retries; a transport only makes the call and says how it went.
/// </summary>
public interface IOutboxTransport
{
    string Channel { get; }

    /// <summary>False when the channel is not configured (e.g. no bot token): its rows stay queued.</summary>
    bool IsEnabled { get; }

    Task<Delivery> SendAsync(OutboxMessage message, IReadOnlyList<OutboxAttachment> attachments, CancellationToken ct);
}

/// <summary>How one delivery attempt went.</summary>
public abstract record Delivery
{
    private Delivery() { }

    /// <summary>Done; <paramref name="Result"/> is what the channel answered, as JSON.</summary>
    public sealed record Sent(string? Result, string? ExternalId = null) : Delivery;

    /// <summary>The channel cannot take it at all (e.g. outside WhatsApp's 24-hour window with no template): failed, with the reason for the operator.</summary>
    public sealed record Undeliverable(string Reason) : Delivery;

    /// <summary>Flood control: try again after the wait; <paramref name="Global"/> when it was not about one chat.</summary>
    public sealed record RetryAfter(TimeSpan Wait, bool Global, string Error) : Delivery;

    /// <summary>The recipient blocked the bot or left (403): drop everything queued for the chat.</summary>
    public sealed record Blocked(string Error) : Delivery;

    /// <summary>The request itself is wrong (400): retrying cannot help.</summary>
    public sealed record Rejected(string Error) : Delivery;

    /// <summary>Server error, timeout, network: retry with backoff up to the bound.</summary>
    public sealed record Transient(string Error) : Delivery;
}
